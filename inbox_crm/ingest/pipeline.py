"""The ingestion pipeline: parse, classify, de-duplicate, store, thread and link.

One batch is one transaction, and the caller advances its cursor inside the
same transaction, so a crash at any point loses nothing and duplicates
nothing. Each message runs in a savepoint: one bad message is quarantined
with its reason and the batch goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.config import LinkingConfig
from inbox_crm.contacts.linker import Linker
from inbox_crm.errors import ParseError
from inbox_crm.ingest.fingerprint import fingerprint, raw_fingerprint
from inbox_crm.ingest.records import message_row, quarantine_row
from inbox_crm.ingest.threads import Threader
from inbox_crm.mail.classify import classify
from inbox_crm.mail.message import ParsedMessage
from inbox_crm.mail.parse import parse_message
from inbox_crm.storage.models import Folder, Mailbox, Message, MessageLocation

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Called with each newly stored and threaded message once its batch is stored,
# in the batch's transaction; an observer isolates its own failures.
MessageObserver = Callable[[Session, Message], None]


@dataclass(frozen=True)
class Incoming:
    """One message as it arrives: raw bytes and where it was found."""

    raw: bytes
    folder_id: int | None = None
    uidvalidity: int = 0
    uid: int | None = None
    received_at: datetime | None = None


@dataclass
class BatchResult:
    """Counts of what one batch did."""

    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    new_ids: list[int] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.new_ids.extend(other.new_ids)


class Ingestor:
    """Stores messages for one mailbox, links their participants, runs observers.

    Without a `linker`, participants are linked with the default settings.
    The observers (the rules) see each new message once its batch is stored
    and linked, in the same transaction.
    """

    def __init__(
        self,
        mailbox_id: int,
        own_addresses: Iterable[str],
        thread_window: timedelta = timedelta(days=30),
        linker: Linker | None = None,
        observers: Sequence[MessageObserver] = (),
    ) -> None:
        self.mailbox_id = mailbox_id
        self.own_addresses = tuple(own_addresses)
        self.thread_window = thread_window
        self.linker = linker or Linker(LinkingConfig(), self.own_addresses)
        self.observers = tuple(observers)

    def ingest(self, session: Session, batch: Sequence[Incoming]) -> BatchResult:
        """Store `batch` in the session's open transaction; the caller commits."""
        result = BatchResult()
        threader = Threader(
            session, self.mailbox_id, self.thread_window, self.own_addresses
        )
        for item in batch:
            try:
                with session.begin_nested():
                    self._one(session, threader, item, result)
            except Exception as exc:  # one bad message never stops the batch
                log.exception("message at uid %s could not be stored", item.uid)
                with session.begin_nested():
                    self._quarantine(session, item, f"storage failed: {exc}", result)
        # Linking comes first: the rules read the contacts and companies.
        self._link(session, result.new_ids)
        self._observe(session, result.new_ids)
        return result

    def _link(self, session: Session, message_ids: list[int]) -> None:
        try:
            with session.begin_nested():
                self.linker.link_messages(session, message_ids)
        except Exception:  # a linking failure never costs a stored message
            log.exception(
                "participants of %d new messages could not be linked "
                "(`inbox-crm contacts relink` tries again)",
                len(message_ids),
            )

    def _observe(self, session: Session, message_ids: list[int]) -> None:
        """Hand each new message, in order, to the observers (the rules)."""
        if not self.observers:
            return
        for message_id in message_ids:
            message = session.get_one(Message, message_id)
            for observer in self.observers:
                observer(session, message)

    def _one(
        self, session: Session, threader: Threader, item: Incoming, result: BatchResult
    ) -> None:
        try:
            parsed = parse_message(item.raw)
        except ParseError as exc:
            self._quarantine(session, item, f"cannot parse: {exc}", result)
            return

        key = fingerprint(parsed)
        existing = self._find(session, key)
        if existing is not None:
            self._locate(session, existing, item)
            result.duplicates += 1
            return

        classification = classify(parsed, self.own_addresses)
        date, date_source = _date(parsed, item)
        message = message_row(
            parsed, classification, item.raw, key, self.mailbox_id, date, date_source
        )
        session.add(message)
        session.flush()
        self._locate(session, message, item)
        addresses = {participant.address for participant in message.participants}
        references = [reference.referenced for reference in message.references]
        threader.assign(message, references, addresses)
        result.stored += 1
        result.new_ids.append(message.id)
        log.info(
            "message %s stored: %s %s in thread %s",
            message.id,
            message.direction,
            message.kind,
            message.thread_id,
        )

    def _quarantine(
        self, session: Session, item: Incoming, reason: str, result: BatchResult
    ) -> None:
        key = raw_fingerprint(item.raw)
        existing = self._find(session, key)
        if existing is None:
            existing = quarantine_row(
                item.raw, key, self.mailbox_id, item.received_at or EPOCH, reason
            )
            session.add(existing)
            session.flush()
            result.quarantined += 1
            result.new_ids.append(existing.id)
            log.warning("message %s quarantined: %s", existing.id, reason)
        else:
            result.duplicates += 1
        self._locate(session, existing, item)

    def _find(self, session: Session, key: str) -> Message | None:
        query = select(Message).where(
            Message.mailbox_id == self.mailbox_id, Message.fingerprint == key
        )
        return session.scalars(query).first()

    def _locate(self, session: Session, message: Message, item: Incoming) -> None:
        if item.folder_id is None:
            return
        query = select(MessageLocation.id).where(
            MessageLocation.message_id == message.id,
            MessageLocation.folder_id == item.folder_id,
            MessageLocation.uidvalidity == item.uidvalidity,
        )
        if item.uid is not None:
            query = query.where(MessageLocation.uid == item.uid)
        if session.scalar(query.limit(1)) is not None:
            return
        session.add(
            MessageLocation(
                message_id=message.id,
                folder_id=item.folder_id,
                uidvalidity=item.uidvalidity,
                uid=item.uid,
            )
        )


def _date(parsed: ParsedMessage, item: Incoming) -> tuple[datetime, str]:
    if parsed.date is not None:
        return parsed.date, "header"
    if item.received_at is not None:
        return item.received_at.astimezone(UTC), "internaldate"
    return EPOCH, "unknown"


def ensure_mailbox(session: Session, name: str) -> Mailbox:
    """The mailbox row named `name`, created when new."""
    mailbox = session.scalars(select(Mailbox).where(Mailbox.name == name)).first()
    if mailbox is None:
        mailbox = Mailbox(name=name)
        session.add(mailbox)
        session.flush()
    return mailbox


def ensure_folder(session: Session, mailbox_id: int, name: str) -> Folder:
    """The folder row of a mailbox, created when new."""
    query = select(Folder).where(Folder.mailbox_id == mailbox_id, Folder.name == name)
    folder = session.scalars(query).first()
    if folder is None:
        folder = Folder(mailbox_id=mailbox_id, name=name, last_uid=0)
        session.add(folder)
        session.flush()
    return folder
