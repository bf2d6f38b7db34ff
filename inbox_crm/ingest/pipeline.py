"""The ingestion pipeline: parse, classify, de-duplicate, store, thread, link.

One batch is one transaction, and the caller advances its cursor inside the
same transaction, so a crash at any point loses nothing and duplicates
nothing. A batch is written with a few bulk statements; if that fails, it is
written again message by message, each in a savepoint, so that one bad
message is quarantined with its reason and the batch goes on. Then the new
messages' participants are linked to contacts and companies, and the
observers (the rules) see each new message, in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.config import LinkingConfig
from inbox_crm.contacts.linker import Linker
from inbox_crm.ingest.prepared import Preparation, unreadable
from inbox_crm.ingest.results import BatchResult, Incoming
from inbox_crm.ingest.threads import Threader
from inbox_crm.ingest.writer import BatchWriter, Pair
from inbox_crm.storage.models import Folder, Mailbox, Message

log = logging.getLogger(__name__)

__all__ = [
    "BatchResult",
    "Incoming",
    "Ingestor",
    "MessageObserver",
    "ensure_folder",
    "ensure_mailbox",
]

# Called with each newly stored and threaded message once its batch is stored,
# in the batch's transaction; an observer isolates its own failures.
MessageObserver = Callable[[Session, Message], None]


class Ingestor:
    """Stores messages for one mailbox, links their participants, runs observers.

    Without a `linker`, participants are linked with the default settings.
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

    def prepare(self, item: Incoming) -> Preparation:
        # Imported here: a sync parses in its worker, and the parsing
        # libraries would only weigh on the storing process.
        from inbox_crm.ingest.prepare import prepare

        return prepare(item.raw, item.received_at, self.own_addresses)

    def ingest(
        self,
        session: Session,
        batch: Sequence[Incoming],
        prepared: Sequence[Preparation] | None = None,
    ) -> BatchResult:
        """Store `batch` in the session's open transaction; the caller commits.

        `prepared` holds the batch already parsed (by `prepare`, perhaps in
        another process); without it the batch is parsed here.
        """
        if prepared is None:
            prepared = [self.prepare(item) for item in batch]
        result = self._store(session, list(zip(batch, prepared, strict=True)))

        # Linking comes first: the rules read the contacts and companies.
        self._link(session, result.new_ids)
        self._observe(session, result.new_ids)
        return result

    def _store(self, session: Session, pairs: list[Pair]) -> BatchResult:
        if len(pairs) > 1:
            try:
                with session.begin_nested():
                    return self._write(session, pairs)
            except Exception:  # one bad message must not cost the batch
                log.warning(
                    "a batch of %d messages could not be stored at once; "
                    "storing them one by one",
                    len(pairs),
                    exc_info=True,
                )
        return self._one_by_one(session, pairs)

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

    def _one_by_one(self, session: Session, pairs: list[Pair]) -> BatchResult:
        result = BatchResult()
        for item, preparation in pairs:
            try:
                with session.begin_nested():
                    result.add(self._write(session, [(item, preparation)]))
            except Exception as exc:  # one bad message never stops the batch
                log.exception("message at uid %s could not be stored", item.uid)
                failed = unreadable(item.raw, f"storage failed: {exc}")
                with session.begin_nested():
                    result.add(self._write(session, [(item, failed)]))
        return result

    def _write(self, session: Session, pairs: Sequence[Pair]) -> BatchResult:
        threader = Threader(
            session, self.mailbox_id, self.thread_window, self.own_addresses
        )
        return BatchWriter(session, self.mailbox_id, threader).write(pairs)


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
