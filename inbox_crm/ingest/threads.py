"""Threading: which conversation a newly stored message belongs to.

References and In-Reply-To come first, in both directions: a reply that
arrived before its parent is joined when the parent comes. Failing that, a
message that looks like a reply joins the most recent conversation with the
same normalised subject, within a time window, that shares a participant.

Messages are threaded one at a time, in arrival order, with plain SQL
statements: a message stored but not yet threaded is invisible here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.orm import Session

from inbox_crm.mail.subjects import has_reply_prefix, normalize_subject
from inbox_crm.storage.models import Message, MessageReference, Participant, Thread

# Bound parameters per IN (...) list, well below every database's limit.
IN_CHUNK = 500


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
    """Assigns stored messages of one mailbox to threads."""

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
        # Message-IDs that some stored message references; None: not looked up.
        self.referenced: set[str] | None = None

    def look_up_references(self, message_ids: Collection[str]) -> None:
        """Learn which of `message_ids` stored messages reference, in one query.

        Most messages have no replies yet when they arrive: for those, the
        search for children is skipped.
        """
        ordered = sorted(message_ids)
        found: set[str] = set()
        for start in range(0, len(ordered), IN_CHUNK):
            query = (
                select(MessageReference.referenced)
                .join(Message, Message.id == MessageReference.message_id)
                .where(
                    Message.mailbox_id == self.mailbox_id,
                    MessageReference.referenced.in_(ordered[start : start + IN_CHUNK]),
                )
                .distinct()
            )
            found.update(self.connection.scalars(query))
        self.referenced = found

    def assign(
        self, message: NewMessage, references: list[str], addresses: Iterable[str]
    ) -> int:
        """Put `message` (already stored) into its thread; return the thread id."""
        thread_ids = self._by_references(message, references)
        if not thread_ids and (references or has_reply_prefix(message.subject)):
            others = set(addresses) - self.own_addresses
            thread_ids = self._by_subject(message, others)

        if not thread_ids:
            thread_id = self._create(message)
            self._set_thread(message, thread_id)
            return thread_id

        thread = self._merge(sorted(thread_ids))
        self._set_thread(message, thread.id)
        self._account(thread, message)
        return thread.id

    def _by_references(self, message: NewMessage, references: list[str]) -> set[int]:
        found: set[int | None] = set()
        if references:
            parents = select(Message.thread_id).where(
                Message.mailbox_id == self.mailbox_id,
                Message.message_id.in_(references),
                Message.thread_id.is_not(None),
            )
            found.update(self.connection.scalars(parents))
        if message.message_id and self._may_have_children(message.message_id):
            children = (
                select(Message.thread_id)
                .join(MessageReference, MessageReference.message_id == Message.id)
                .where(
                    Message.mailbox_id == self.mailbox_id,
                    MessageReference.referenced == message.message_id,
                    Message.thread_id.is_not(None),
                )
            )
            found.update(self.connection.scalars(children))
        return {thread_id for thread_id in found if thread_id is not None}

    def _may_have_children(self, message_id: str) -> bool:
        return self.referenced is None or message_id in self.referenced

    def _by_subject(self, message: NewMessage, addresses: set[str]) -> set[int]:
        key = normalize_subject(message.subject)[:500]
        if not key or not addresses:
            return set()
        candidates = (
            select(Thread.id)
            .where(
                Thread.mailbox_id == self.mailbox_id,
                Thread.subject_key == key,
                Thread.last_date >= message.date - self.window,
                Thread.first_date <= message.date + self.window,
            )
            .order_by(Thread.last_date.desc())
        )
        for thread_id in self.connection.scalars(candidates).all():
            if self._shares_participant(thread_id, addresses, message.id):
                return {thread_id}
        return set()

    def _shares_participant(
        self, thread_id: int, addresses: set[str], message_id: int
    ) -> bool:
        query = (
            select(Participant.id)
            .join(Message, Message.id == Participant.message_id)
            .where(
                Message.thread_id == thread_id,
                Message.id != message_id,
                Participant.address.in_(addresses),
            )
            .limit(1)
        )
        return self.connection.scalar(query) is not None

    def _create(self, message: NewMessage) -> int:
        """A new thread holding just `message`."""
        statement = (
            insert(Thread)
            .values(
                mailbox_id=self.mailbox_id,
                subject=message.subject,
                subject_key=normalize_subject(message.subject)[:500],
                first_date=message.date,
                last_date=message.date,
                message_count=1,
            )
            .returning(Thread.id)
        )
        return self.connection.execute(statement).scalar_one()

    def _merge(self, thread_ids: list[int]) -> _ThreadRow:
        """Fold several threads into the oldest; a late parent can join two."""
        keep = self._thread(thread_ids[0])
        others = thread_ids[1:]
        if not others:
            return keep
        self.connection.execute(
            update(Message)
            .where(Message.thread_id.in_(others))
            .values(thread_id=keep.id)
        )
        for other_id in others:
            other = self._thread(other_id)
            keep.first_date = _earliest(keep.first_date, other.first_date)
            keep.last_date = _latest(keep.last_date, other.last_date)
        self.connection.execute(delete(Thread).where(Thread.id.in_(others)))
        keep.message_count = (
            self.connection.scalar(
                select(func.count()).where(Message.thread_id == keep.id)
            )
            or 0
        )
        return keep

    def _thread(self, thread_id: int) -> _ThreadRow:
        row = self.connection.execute(
            select(
                Thread.id,
                Thread.subject,
                Thread.first_date,
                Thread.last_date,
                Thread.message_count,
            ).where(Thread.id == thread_id)
        ).one()
        return _ThreadRow(*row)

    def _set_thread(self, message: NewMessage, thread_id: int) -> None:
        self.connection.execute(
            update(Message).where(Message.id == message.id).values(thread_id=thread_id)
        )

    def _account(self, thread: _ThreadRow, message: NewMessage) -> None:
        """Count `message` in `thread` and widen its dates."""
        thread.message_count = (thread.message_count or 0) + 1
        if thread.first_date is None or message.date < thread.first_date:
            thread.first_date = message.date
            thread.subject = message.subject
        thread.last_date = _latest(thread.last_date, message.date)
        self.connection.execute(
            update(Thread)
            .where(Thread.id == thread.id)
            .values(
                subject=thread.subject,
                first_date=thread.first_date,
                last_date=thread.last_date,
                message_count=thread.message_count,
            )
        )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [value for value in (a, b) if value is not None]
    return min(values) if values else None


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [value for value in (a, b) if value is not None]
    return max(values) if values else None
