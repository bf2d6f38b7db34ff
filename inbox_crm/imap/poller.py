"""The incremental poller: one pass over a mailbox's folders.

Per folder the cursor is (UIDVALIDITY, highest UID stored). Messages are
fetched in batches bounded by count and bytes; each batch is stored and the
cursor advanced in one transaction, in order. While a batch is stored, a
worker process parses the next one (for a folder of more than one batch).
A UIDVALIDITY change resynchronises the folder from the start, and
de-duplication keeps every message stored once.

A folder whose UIDVALIDITY and UIDNEXT are those of the last complete pass is
not opened at all. Where the server offers LIST-STATUS, the LIST that starts
a pass brings every folder's status, so a pass with nothing new is that one
command; elsewhere a STATUS per folder stands in for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from inbox_crm.config import MailboxConfig, SyncConfig
from inbox_crm.contacts.linker import Linker
from inbox_crm.errors import ImapError
from inbox_crm.imap.client import (
    FetchedMessage,
    FolderInfo,
    FolderStatus,
    ImapConnection,
    connect,
)
from inbox_crm.imap.secrets import mailbox_secret
from inbox_crm.ingest.pipeline import (
    BatchResult,
    Incoming,
    Ingestor,
    MessageObserver,
    ensure_folder,
    ensure_mailbox,
)
from inbox_crm.ingest.preparer import Preparer
from inbox_crm.ingest.worker import PrepareWorker
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Folder, MessageLocation

log = logging.getLogger(__name__)

SIZE_CHUNK = 500
BATCH_BYTES = 16 * 1024 * 1024
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "[Gmail]/Sent Mail", "INBOX.Sent")
Progress = Callable[[str, int, int], None]
# Asked between batches: True stops the pass after the batch in hand is stored.
StopCheck = Callable[[], bool]


@dataclass
class FolderReport:
    """What one pass did in one folder."""

    folder: str
    fetched: int = 0
    result: BatchResult = field(default_factory=BatchResult)
    resynced: bool = False
    error: str | None = None
    interrupted: bool = False


@dataclass
class SyncReport:
    """What one pass did in one mailbox."""

    mailbox: str
    folders: list[FolderReport] = field(default_factory=list)
    # IMAP commands sent after login, over every connection of the pass.
    commands: int = 0

    @property
    def errors(self) -> list[str]:
        return [f"{f.folder}: {f.error}" for f in self.folders if f.error]

    @property
    def interrupted(self) -> bool:
        return any(folder.interrupted for folder in self.folders)


class Poller:
    """Synchronises one configured mailbox into the database."""

    def __init__(
        self,
        database: Database,
        mailbox: MailboxConfig,
        sync: SyncConfig,
        progress: Progress | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        stop: StopCheck | None = None,
        linker: Linker | None = None,
        observers: Sequence[MessageObserver] = (),
    ) -> None:
        self.database = database
        self.mailbox = mailbox
        self.sync = sync
        self.progress = progress
        self.retries = retries
        self.backoff = backoff
        self.stop = stop
        with database.session() as session, session.begin():
            self.mailbox_id = ensure_mailbox(session, mailbox.name).id
        self.ingestor = Ingestor(
            self.mailbox_id,
            mailbox.addresses,
            timedelta(days=sync.thread_window_days),
            linker=linker,
            observers=observers,
        )
        self.preparer = Preparer(mailbox.addresses, sync.timeout)
        self.connection: ImapConnection | None = None
        # Commands sent on connections already closed.
        self.commands_sent = 0

    async def run_once(self) -> SyncReport:
        """One pass over every configured folder, reconnecting after drops."""
        report = SyncReport(self.mailbox.name)
        before = self.commands_sent + self._open_commands()
        try:
            connection = await self._connection()
            listed = await connection.list_folders()
            statuses = {info.name: info.status for info in listed}
            for wanted, name in resolve_folders(self.mailbox.folders, listed):
                if self._stopping():
                    report.folders.append(FolderReport(wanted, interrupted=True))
                    continue
                if name is None:
                    report.folders.append(
                        FolderReport(wanted, error="no such folder on the server")
                    )
                    continue
                report.folders.append(
                    await self._folder_with_retries(name, statuses.get(name))
                )
        finally:
            self.preparer.stop()
            await self.close()
            report.commands = self.commands_sent - before
        return report

    async def close(self) -> None:
        if self.connection is not None:
            self.commands_sent += self.connection.commands
            await self.connection.logout()
            self.connection = None

    def _open_commands(self) -> int:
        return self.connection.commands if self.connection is not None else 0

    async def _connection(self) -> ImapConnection:
        if self.connection is None:
            secret = mailbox_secret(self.mailbox)
            self.connection = await connect(self.mailbox, secret, self.sync.timeout)
        return self.connection

    async def _folder_with_retries(
        self, name: str, listed: FolderStatus | None
    ) -> FolderReport:
        """Sync one folder, unless `listed` (its status from LIST) shows no change."""
        report = FolderReport(name)
        for attempt in range(self.retries + 1):
            try:
                connection = await self._connection()
                known = listed or await connection.status(name)
                if known is None or not self._mark_if_unchanged(name, known):
                    await self._sync_folder(connection, name, report)
                report.error = None
                self._record_error(name, None)
                return report
            except ImapError as exc:
                report.error = str(exc)
                await self.close()
                if self._stopping():
                    report.interrupted = True
                    return report
                if attempt == self.retries:
                    break
                delay = self.backoff * 2**attempt
                log.warning(
                    "mailbox %s folder %s: %s; reconnecting in %.1fs",
                    self.mailbox.name,
                    name,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
        log.error(
            "mailbox %s folder %s: giving up: %s", self.mailbox.name, name, report.error
        )
        self._record_error(name, report.error)
        return report

    def _mark_if_unchanged(self, name: str, known: FolderStatus) -> bool:
        """True, with the sync time noted, if the last complete pass saw `known`.

        UIDNEXT grows with every message added, so an equal one means nothing
        arrived; a folder whose cursor was reset has no UIDNEXT stored.
        """
        with self.database.writing() as session, session.begin():
            folder = ensure_folder(session, self.mailbox_id, name)
            unchanged = (
                known.uidnext is not None
                and folder.uidvalidity == known.uidvalidity
                and folder.uidnext == known.uidnext
            )
            if unchanged:
                folder.last_sync_at = datetime.now(UTC)
            return unchanged

    async def _sync_folder(
        self, connection: ImapConnection, name: str, report: FolderReport
    ) -> None:
        status = await connection.examine(name)
        with self.database.writing() as session, session.begin():
            folder = ensure_folder(session, self.mailbox_id, name)
            if folder.uidvalidity != status.uidvalidity:
                report.resynced = folder.uidvalidity is not None
                reset_cursor(session, folder, status.uidvalidity)
            if status.uidnext is not None and folder.uidnext == status.uidnext:
                folder.last_sync_at = datetime.now(UTC)
                return
            folder_id, last_uid = folder.id, folder.last_uid

        uids = await connection.uids_from(last_uid + 1)
        await self._fetch_and_store(connection, name, folder_id, status, uids, report)
        if report.interrupted:
            # The cursor stands after the last stored batch: resumable.
            return

        with self.database.writing() as session, session.begin():
            folder = session.get_one(Folder, folder_id)
            folder.uidnext = status.uidnext
            folder.last_sync_at = datetime.now(UTC)

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop()

    async def _fetch_and_store(
        self,
        connection: ImapConnection,
        name: str,
        folder_id: int,
        status: FolderStatus,
        uids: Sequence[int],
        report: FolderReport,
    ) -> None:
        """Fetch `uids` in batches; each is stored while the next is parsed.

        When asked to stop, the batch in hand is stored and no other fetched.
        """
        if len(uids) > self.sync.batch_size:
            self.preparer.start()
        progress = _Progress(name, len(uids))
        pending: _Batch | None = None
        try:
            async for uid_batch in _uid_batches(connection, uids, self.sync):
                if self._stopping():
                    report.interrupted = True
                    break
                fetched = await connection.fetch(uid_batch)
                items = _incoming(folder_id, status.uidvalidity, fetched)
                batch = _Batch(uid_batch, items, self.preparer.submit(items))
                if pending is not None:
                    await self._store(folder_id, pending, report, progress)
                pending = batch
            if pending is not None:
                await self._store(folder_id, pending, report, progress)
        except BaseException:
            # The worker would answer for batches that are no longer wanted.
            self.preparer.stop()
            raise

    async def _store(
        self, folder_id: int, batch: _Batch, report: FolderReport, progress: _Progress
    ) -> None:
        prepared = await self.preparer.take(batch.worker)
        with self.database.writing() as session, session.begin():
            result = self.ingestor.ingest(session, batch.items, prepared)
            folder = session.get_one(Folder, folder_id)
            # UIDs of the batch that came back empty were expunged meanwhile.
            folder.last_uid = max(folder.last_uid, *batch.uids)
        report.result.add(result)
        report.fetched += len(batch.items)
        progress.done += len(batch.uids)
        if self.progress:
            self.progress(progress.folder, progress.done, progress.total)

    def _record_error(self, name: str, error: str | None) -> None:
        with self.database.writing() as session, session.begin():
            folder = ensure_folder(session, self.mailbox_id, name)
            folder.last_error = error


async def _uid_batches(
    connection: ImapConnection, uids: Sequence[int], sync: SyncConfig
) -> AsyncIterator[list[int]]:
    """The UIDs in batches bounded by count and bytes, sizes asked per chunk."""
    for chunk in chunked(uids, SIZE_CHUNK):
        sizes = await connection.sizes(chunk)
        for batch in batches(chunk, sizes, sync.batch_size, BATCH_BYTES):
            yield batch


@dataclass(frozen=True)
class _Batch:
    """Fetched messages waiting to be stored, and the worker preparing them."""

    uids: Sequence[int]
    items: list[Incoming]
    worker: PrepareWorker | None


@dataclass
class _Progress:
    folder: str
    total: int
    done: int = 0


def _incoming(
    folder_id: int, uidvalidity: int, fetched: Sequence[FetchedMessage]
) -> list[Incoming]:
    return [
        Incoming(
            raw=message.raw,
            folder_id=folder_id,
            uidvalidity=uidvalidity,
            uid=message.uid,
            received_at=message.internaldate,
        )
        for message in fetched
    ]


def reset_cursor(session: Session, folder: Folder, uidvalidity: int) -> None:
    """Start a folder over after its UIDVALIDITY changed; stored mail stays."""
    if folder.uidvalidity is not None:
        log.warning(
            "folder %s: UIDVALIDITY changed from %s to %s; resynchronising",
            folder.name,
            folder.uidvalidity,
            uidvalidity,
        )
        session.execute(
            delete(MessageLocation).where(
                MessageLocation.folder_id == folder.id,
                MessageLocation.uidvalidity != uidvalidity,
            )
        )
    folder.uidvalidity = uidvalidity
    folder.last_uid = 0
    folder.uidnext = None


def resolve_folders(
    wanted: Sequence[str], available: Sequence[FolderInfo]
) -> list[tuple[str, str | None]]:
    """Map configured folder names to server names; "\\Sent" finds the Sent folder."""
    by_name = {info.name: info for info in available}
    resolved: list[tuple[str, str | None]] = []
    for name in wanted:
        if name.startswith("\\"):
            resolved.append((name, _special(name, available)))
        elif name.upper() == "INBOX":
            resolved.append((name, "INBOX"))
        else:
            resolved.append((name, name if name in by_name else None))
    return resolved


def _special(flag: str, available: Sequence[FolderInfo]) -> str | None:
    for info in available:
        if flag.lower() in {f.lower() for f in info.flags}:
            return info.name
    if flag.lower() == "\\sent":
        names = {info.name for info in available}
        for candidate in SENT_NAMES:
            if candidate in names:
                return candidate
    return None


def chunked(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batches(
    uids: Sequence[int], sizes: dict[int, int], count: int, max_bytes: int
) -> Iterator[list[int]]:
    """Split `uids` into batches of at most `count` messages and `max_bytes`."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= count or total + size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch
