"""Threading: which conversation a newly stored message belongs to.

References and In-Reply-To come first, in both directions: a reply that
arrived before its parent is joined when the parent comes. Failing that, a
message that looks like a reply joins the most recent conversation with the
same normalised subject, within a time window, that shares a participant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inbox_crm.mail.subjects import has_reply_prefix, normalize_subject
from inbox_crm.storage.models import Message, MessageReference, Participant, Thread


@dataclass(frozen=True)
class NewMessage:
    """What threading needs of a message just stored (and not yet threaded)."""

    id: int
    message_id: str | None
    subject: str
    date: datetime


class Threader:
    """Assigns stored messages of one mailbox to threads."""

    def __init__(
        self,
        session: Session,
        mailbox_id: int,
        window: timedelta,
        own_addresses: Iterable[str] = (),
    ) -> None:
        self.session = session
        self.mailbox_id = mailbox_id
        self.window = window
        # The mailbox's own addresses are in nearly every conversation, so
        # they never count as the participant two messages share.
        self.own_addresses = {address.lower() for address in own_addresses}

    def assign(
        self, message: NewMessage, references: list[str], addresses: Iterable[str]
    ) -> Thread:
        """Put `message` (already stored) into its thread and return the thread."""
        thread_ids = self._by_references(message, references)
        if not thread_ids and (references or has_reply_prefix(message.subject)):
            others = set(addresses) - self.own_addresses
            thread_ids = self._by_subject(message, others)

        if thread_ids:
            thread = self._merge(sorted(thread_ids))
        else:
            thread = Thread(
                mailbox_id=self.mailbox_id,
                subject=message.subject,
                subject_key=normalize_subject(message.subject)[:500],
            )
            self.session.add(thread)
            self.session.flush()

        self.session.execute(
            update(Message)
            .where(Message.id == message.id)
            .values(thread_id=thread.id)
            .execution_options(synchronize_session=False)
        )
        self._account(thread, message)
        return thread

    def _by_references(self, message: NewMessage, references: list[str]) -> set[int]:
        found: set[int] = set()
        if references:
            parents = select(Message.thread_id).where(
                Message.mailbox_id == self.mailbox_id,
                Message.message_id.in_(references),
                Message.thread_id.is_not(None),
            )
            found.update(self.session.scalars(parents))
        if message.message_id:
            children = (
                select(Message.thread_id)
                .join(MessageReference, MessageReference.message_id == Message.id)
                .where(
                    Message.mailbox_id == self.mailbox_id,
                    MessageReference.referenced == message.message_id,
                    Message.thread_id.is_not(None),
                )
            )
            found.update(self.session.scalars(children))
        return {thread_id for thread_id in found if thread_id is not None}

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
        for thread_id in self.session.scalars(candidates):
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
        return self.session.scalar(query) is not None

    def _merge(self, thread_ids: list[int]) -> Thread:
        """Fold several threads into the oldest; a late parent can join two."""
        keep = self.session.get_one(Thread, thread_ids[0])
        others = thread_ids[1:]
        if not others:
            return keep
        self.session.execute(
            update(Message)
            .where(Message.thread_id.in_(others))
            .values(thread_id=keep.id)
            .execution_options(synchronize_session="fetch")
        )
        for other_id in others:
            other = self.session.get_one(Thread, other_id)
            keep.first_date = _earliest(keep.first_date, other.first_date)
            keep.last_date = _latest(keep.last_date, other.last_date)
            self.session.delete(other)
        keep.message_count = (
            self.session.scalar(
                select(func.count()).where(Message.thread_id == keep.id)
            )
            or 0
        )
        return keep

    def _account(self, thread: Thread, message: NewMessage) -> None:
        thread.message_count = (thread.message_count or 0) + 1
        if thread.first_date is None or message.date < thread.first_date:
            thread.first_date = message.date
            thread.subject = message.subject
        thread.last_date = _latest(thread.last_date, message.date)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [value for value in (a, b) if value is not None]
    return min(values) if values else None


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [value for value in (a, b) if value is not None]
    return max(values) if values else None
