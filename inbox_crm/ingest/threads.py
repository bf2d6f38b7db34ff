"""Threading: which conversation a newly stored message belongs to.

References and In-Reply-To come first, in both directions: a reply that
arrived before its parent is joined when the parent comes. Failing that, a
message that looks like a reply joins the most recent conversation with the
same normalised subject, within a time window, that shares a participant.
The subject works in both directions too: a message that does not look like
a reply joins a conversation that starts with a reply to that subject, up
to a window after it, with a shared participant. So a reply filed in INBOX
and read before its original in Sent still ends up beside it.

Messages are threaded one at a time, in arrival order; a message stored but
not yet threaded is invisible here. The thread of each message and the
counts and dates of each thread are written once per batch (`finish`), or
earlier when a query needs them in the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from inbox_crm.ingest.lists import in_lists
from inbox_crm.mail.subjects import has_reply_prefix, normalize_subject
from inbox_crm.storage.models import Message, MessageReference, Participant, Thread

# Built once: composing a statement costs more than running it on SQLite.
_PARENTS = select(Message.message_id, Message.id, Message.thread_id).where(
    Message.mailbox_id == bindparam("mailbox"),
    Message.message_id.in_(bindparam("references", expanding=True)),
)
_CHILDREN = (
    select(Message.id, Message.thread_id)
    .join(MessageReference, MessageReference.message_id == Message.id)
    .where(
        Message.mailbox_id == bindparam("mailbox"),
        MessageReference.referenced == bindparam("message_id"),
    )
)
_REFERENCED = (
    select(MessageReference.referenced)
    .join(Message, Message.id == MessageReference.message_id)
    .where(
        Message.mailbox_id == bindparam("mailbox"),
        MessageReference.referenced.in_(bindparam("message_ids", expanding=True)),
    )
    .distinct()
)
# The most recent thread with the subject, within the window, that shares a
# participant with the message: one statement, however many threads match.
# It starts from the subject and from each thread's own messages: `+ 0` keeps
# SQLite (which has no statistics to go by) off the mailbox index, and the
# nested EXISTS off the index of every message an address is on.
_SHARES_PARTICIPANT = (
    select(Participant.id)
    .where(
        Participant.message_id == Message.id,
        Participant.address.in_(bindparam("addresses", expanding=True)),
    )
    .exists()
)
_BY_SUBJECT = (
    select(Thread.id)
    .where(
        Thread.subject_key == bindparam("key"),
        Thread.mailbox_id + 0 == bindparam("mailbox"),
        Thread.last_date >= bindparam("earliest"),
        Thread.first_date <= bindparam("latest"),
        select(Message.id)
        .where(
            Message.thread_id == Thread.id,
            Message.id != bindparam("message"),
            _SHARES_PARTICIPANT,
        )
        .exists(),
    )
    .order_by(Thread.last_date.desc())
    .limit(1)
)
# Conversations that began after `date` (within the window) with a reply to
# the subject: the message being threaded may be what they answer.
_STARTED_BY_REPLY = (
    select(Thread.id, Thread.subject)
    .where(
        Thread.subject_key == bindparam("key"),
        Thread.mailbox_id + 0 == bindparam("mailbox"),
        Thread.first_date >= bindparam("date"),
        Thread.first_date <= bindparam("latest"),
        select(Message.id)
        .where(
            Message.thread_id == Thread.id,
            Message.id != bindparam("message"),
            _SHARES_PARTICIPANT,
        )
        .exists(),
    )
    .order_by(Thread.first_date)
    .limit(5)
)
_KEYS_WITH_THREADS = select(Thread.subject_key).where(
    Thread.mailbox_id + 0 == bindparam("mailbox"),
    Thread.subject_key.in_(bindparam("keys", expanding=True)),
)
_THREADS = select(
    Thread.id, Thread.subject, Thread.first_date, Thread.last_date, Thread.message_count
).where(Thread.id.in_(bindparam("threads", expanding=True)))
_CREATE = insert(Thread).returning(Thread.id)
_SET_THREAD = (
    update(Message)
    .where(Message.id == bindparam("message"))
    .values(thread_id=bindparam("thread"))
)
_SET_COUNTS = (
    update(Thread)
    .where(Thread.id == bindparam("thread"))
    .values(
        subject=bindparam("new_subject"),
        first_date=bindparam("new_first_date"),
        last_date=bindparam("new_last_date"),
        message_count=bindparam("new_message_count"),
    )
)


@dataclass(frozen=True)
class NewMessage:
    """What threading needs of a message just stored (and not yet threaded)."""

    id: int
    message_id: str | None
    subject: str
    date: datetime


@dataclass
class _ThreadRow:
    id: int
    subject: str
    first_date: datetime | None
    last_date: datetime | None
    message_count: int


class Threader:
    """Assigns stored messages of one mailbox to threads, within one transaction."""

    def __init__(
        self,
        session: Session,
        mailbox_id: int,
        window: timedelta,
        own_addresses: Iterable[str] = (),
    ) -> None:
        self.connection: Connection = session.connection()
        self.mailbox_id = mailbox_id
        self.window = window
        # The mailbox's own addresses are in nearly every conversation, so
        # they never count as the participant two messages share.
        self.own_addresses = {address.lower() for address in own_addresses}
        # Looked up once per batch (see `look_up`); None: not looked up.
        # Message-IDs that stored messages reference, and the stored messages
        # (ids) that have each Message-ID the batch references.
        self.referenced: set[str] | None = None
        self.parents: dict[str, list[int]] | None = None
        # Subject keys that some thread of the mailbox has (of the batch's
        # keys), so that most new conversations skip the search for replies
        # that came before them.
        self.keys_in_use: set[str] | None = None
        # The thread of each message met here (None: not threaded yet), and
        # each thread touched, as they are now; `_unwritten` is what the
        # database still lacks.
        self.thread_of: dict[int, int | None] = {}
        self.threads: dict[int, _ThreadRow] = {}
        self._unwritten_messages: list[int] = []
        self._unwritten_threads: set[int] = set()

    def look_up(
        self,
        message_ids: Collection[str],
        references: Collection[str],
        subjects: Collection[str] = (),
    ) -> None:
        """Read what threading a batch needs in a few queries, before `assign`.

        `message_ids` are the batch's own, `references` all it references,
        `subjects` its subjects. Most messages have no replies yet when they
        arrive: for those, the searches for children are skipped.
        """
        keys = {normalize_subject(subject)[:500] for subject in subjects}
        self.keys_in_use = set()
        for chunk in in_lists(sorted(key for key in keys if key)):
            found = self.connection.scalars(
                _KEYS_WITH_THREADS, {"mailbox": self.mailbox_id, "keys": chunk}
            )
            self.keys_in_use.update(found)

        self.referenced = set()
        for chunk in in_lists(message_ids):
            referenced = self.connection.scalars(
                _REFERENCED, {"mailbox": self.mailbox_id, "message_ids": chunk}
            )
            self.referenced.update(referenced)

        self.parents = {}
        for chunk in in_lists(references):
            parameters = {"mailbox": self.mailbox_id, "references": chunk}
            rows = self.connection.execute(_PARENTS, parameters)
            for message_id, row_id, thread_id in rows:
                self.parents.setdefault(str(message_id), []).append(row_id)
                self.thread_of[row_id] = thread_id
        known = {thread for thread in self.thread_of.values() if thread is not None}
        self._load_threads(known)

    def assign(
        self, message: NewMessage, references: list[str], addresses: Iterable[str]
    ) -> int:
        """Put `message` (already stored) into its thread; return the thread id."""
        thread_ids = self._by_references(message, references)
        if not thread_ids:
            others = set(addresses) - self.own_addresses
            if references or has_reply_prefix(message.subject):
                thread_ids = self._by_subject(message, others)
            else:
                thread_ids = self._answered_by(message, others)

        if thread_ids:
            thread = self._merge(sorted(thread_ids))
            _account(thread, message)
            self._unwritten_threads.add(thread.id)
        else:
            thread = self._create(message)

        self.thread_of[message.id] = thread.id
        self._unwritten_messages.append(message.id)
        return thread.id

    def finish(self) -> None:
        """Write what is not yet in the database; call after the last `assign`."""
        if self._unwritten_messages:
            self.connection.execute(
                _SET_THREAD,
                [
                    {"message": message, "thread": self.thread_of[message]}
                    for message in self._unwritten_messages
                ],
            )
            self._unwritten_messages.clear()
        if self._unwritten_threads:
            self.connection.execute(
                _SET_COUNTS,
                [_counts(self.threads[thread]) for thread in self._unwritten_threads],
            )
            self._unwritten_threads.clear()

    def _by_references(self, message: NewMessage, references: list[str]) -> set[int]:
        found = {
            self.thread_of[row_id]
            for reference in references
            for row_id in self._parents(reference)
        }
        if message.message_id and self._may_have_children(message.message_id):
            parameters = {"mailbox": self.mailbox_id, "message_id": message.message_id}
            for row_id, thread_id in self.connection.execute(_CHILDREN, parameters):
                found.add(self.thread_of.get(row_id, thread_id))
        return {thread_id for thread_id in found if thread_id is not None}

    def _parents(self, message_id: str) -> list[int]:
        """Stored messages with this Message-ID (looked up now if not before)."""
        if self.parents is None:
            self.parents = {}
        if message_id not in self.parents:
            parameters = {"mailbox": self.mailbox_id, "references": [message_id]}
            self.parents[message_id] = []
            for _, row_id, thread_id in self.connection.execute(_PARENTS, parameters):
                self.parents[message_id].append(row_id)
                self.thread_of.setdefault(row_id, thread_id)
        return self.parents[message_id]

    def _may_have_children(self, message_id: str) -> bool:
        return self.referenced is None or message_id in self.referenced

    def _by_subject(self, message: NewMessage, addresses: set[str]) -> set[int]:
        key = normalize_subject(message.subject)[:500]
        if not key or not addresses:
            return set()
        self.finish()
        parameters = {
            "mailbox": self.mailbox_id,
            "key": key,
            "earliest": message.date - self.window,
            "latest": message.date + self.window,
            "message": message.id,
            "addresses": sorted(addresses),
        }
        thread_id = self.connection.scalar(_BY_SUBJECT, parameters)
        return set() if thread_id is None else {thread_id}

    def _answered_by(self, message: NewMessage, addresses: set[str]) -> set[int]:
        """The conversation that a reply stored earlier started about `message`."""
        key = normalize_subject(message.subject)[:500]
        if not key or not addresses:
            return set()
        if self.keys_in_use is not None and key not in self.keys_in_use:
            return set()
        self.finish()
        parameters = {
            "mailbox": self.mailbox_id,
            "key": key,
            "date": message.date,
            "latest": message.date + self.window,
            "message": message.id,
            "addresses": sorted(addresses),
        }
        for thread_id, subject in self.connection.execute(
            _STARTED_BY_REPLY, parameters
        ):
            if has_reply_prefix(subject):
                return {thread_id}
        return set()

    def _create(self, message: NewMessage) -> _ThreadRow:
        """A new thread holding just `message`."""
        key = normalize_subject(message.subject)[:500]
        values = {
            "mailbox_id": self.mailbox_id,
            "subject": message.subject,
            "subject_key": key,
            "first_date": message.date,
            "last_date": message.date,
            "message_count": 1,
        }
        thread_id = self.connection.execute(_CREATE, values).scalar_one()
        if self.keys_in_use is not None and key:
            self.keys_in_use.add(key)
        thread = _ThreadRow(thread_id, message.subject, message.date, message.date, 1)
        self.threads[thread_id] = thread
        return thread

    def _merge(self, thread_ids: list[int]) -> _ThreadRow:
        """Fold several threads into the oldest; a late parent can join two."""
        keep = self._thread(thread_ids[0])
        others = thread_ids[1:]
        if not others:
            return keep

        self.finish()
        self.connection.execute(
            update(Message)
            .where(Message.thread_id.in_(others))
            .values(thread_id=keep.id)
        )
        for other_id in others:
            other = self._thread(other_id)
            keep.first_date = _earliest(keep.first_date, other.first_date)
            keep.last_date = _latest(keep.last_date, other.last_date)
            del self.threads[other_id]
        self.connection.execute(delete(Thread).where(Thread.id.in_(others)))
        for message_id, thread_id in self.thread_of.items():
            if thread_id in others:
                self.thread_of[message_id] = keep.id
        keep.message_count = (
            self.connection.scalar(
                select(func.count()).where(Message.thread_id == keep.id)
            )
            or 0
        )
        return keep

    def _thread(self, thread_id: int) -> _ThreadRow:
        if thread_id not in self.threads:
            self._load_threads({thread_id})
        return self.threads[thread_id]

    def _load_threads(self, thread_ids: Collection[int]) -> None:
        missing = [thread for thread in thread_ids if thread not in self.threads]
        for chunk in in_lists(missing):
            for row in self.connection.execute(_THREADS, {"threads": chunk}):
                self.threads[row.id] = _ThreadRow(*row)


def _account(thread: _ThreadRow, message: NewMessage) -> None:
    """Count `message` in `thread` and widen its dates."""
    thread.message_count = (thread.message_count or 0) + 1
    if thread.first_date is None or message.date < thread.first_date:
        thread.first_date = message.date
        thread.subject = message.subject
    thread.last_date = _latest(thread.last_date, message.date)


def _counts(thread: _ThreadRow) -> dict[str, Any]:
    return {
        "thread": thread.id,
        "new_subject": thread.subject,
        "new_first_date": thread.first_date,
        "new_last_date": thread.last_date,
        "new_message_count": thread.message_count,
    }


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [value for value in (a, b) if value is not None]
    return min(values) if values else None


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [value for value in (a, b) if value is not None]
    return max(values) if values else None
