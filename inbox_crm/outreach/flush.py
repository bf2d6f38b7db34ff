"""Flushing the outbox of one mailbox: send what is due now, once.

A flush first tidies up (abandoned claims, new bounces and unsubscribe
requests, follow-ups whose contact replied, mail in doubt, sent mail not yet
filed), then claims and sends due rows one at a time over one SMTP
connection, within the rate limits, trying each row at most once.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inbox_crm.config import Config, MailboxConfig
from inbox_crm.contacts.linker import Linker
from inbox_crm.errors import SmtpError
from inbox_crm.ingest.pipeline import Ingestor, ensure_mailbox
from inbox_crm.outreach import suppression
from inbox_crm.outreach.claims import claim_due, recover_abandoned
from inbox_crm.outreach.compose import Undeliverable, compose, row_links, row_parts
from inbox_crm.outreach.counts import outbox_counts
from inbox_crm.outreach.doubt import (
    Settled,
    rows_in_doubt,
    rows_to_file,
    rows_to_store,
    settle,
)
from inbox_crm.outreach.models import BOUNCED, QUEUED, OutboxRow
from inbox_crm.outreach.outcomes import Outcomes
from inbox_crm.outreach.rates import REFRESH, RateWindow
from inbox_crm.outreach.replies import cancel_answered, stopping_reply
from inbox_crm.outreach.sentfolder import SentFolder
from inbox_crm.outreach.smtp import (
    Accepted,
    SendInDoubt,
    SendPermanent,
    SendTemporary,
    SmtpSession,
    smtp_secret,
)
from inbox_crm.storage.db import Database

if TYPE_CHECKING:
    from inbox_crm.ingest.steps import Steps

log = logging.getLogger(__name__)

# Rows claimed in one transaction; each is still sent and marked on its own.
BATCH = 20


@dataclass
class FlushReport:
    """What one flush of one mailbox did."""

    mailbox: str
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    # Put in doubt by this flush; `doubtful` is every row of the mailbox in
    # doubt when it ended (these, earlier ones not settled, claims recovered).
    in_doubt: int = 0
    doubtful: int = 0
    cancelled: int = 0
    deferred: int = 0
    settled: Settled = field(default_factory=Settled)
    error: str | None = None

    def summary(self) -> str:
        parts = [
            f"{self.sent} sent",
            f"{self.retrying} to retry",
            f"{self.failed} failed",
            f"{self.doubtful} in doubt",
            f"{self.cancelled} cancelled",
        ]
        if self.deferred:
            parts.append(f"{self.deferred} held back by rate limits")
        settled = self.settled
        if settled.resolved or settled.requeued:
            parts.append(
                f"{settled.resolved} earlier sends found in Sent, "
                f"{settled.requeued} queued again"
            )
        line = f"{self.mailbox}: " + ", ".join(parts)
        for problem in (self.error, settled.error):
            if problem:
                line += f" - {problem}"
        return line


class Flusher:
    """Sends the due outreach of one mailbox."""

    def __init__(
        self,
        database: Database,
        config: Config,
        mailbox: MailboxConfig,
        *,
        only: Collection[int] | None = None,
        limit: int | None = None,
        steps: Steps | None = None,
    ) -> None:
        if mailbox.smtp is None:
            raise SmtpError(f"mailbox {mailbox.name!r} has no [smtp] table")
        self.database = database
        self.config = config
        self.settings = config.outreach
        self.mailbox = mailbox
        self.smtp_config = mailbox.smtp
        self.only = set(only) if only is not None else None
        self.limit = limit
        with database.session() as session, session.begin():
            self.mailbox_id = ensure_mailbox(session, mailbox.name).id
        own = (*mailbox.addresses, self.smtp_config.from_address.lower())
        window = timedelta(days=config.sync.thread_window_days)
        # Sent mail is linked, and seen by the rules as sent, like synced mail.
        linker = steps.linker if steps else Linker(config.linking, config.own_addresses)
        observers = steps.observers if steps else ()
        ingestor = Ingestor(self.mailbox_id, own, window, linker, observers)
        self.outcomes = Outcomes(database, ingestor, self.settings)
        self.rates = RateWindow(self.settings)
        self.report = FlushReport(mailbox.name)
        self.unstored: list[int] = []
        self.in_sent: list[int] = []
        self.suppressed: frozenset[str] = frozenset()
        self.suppressed_at: datetime | None = None
        self.sent_folder: SentFolder | None = None
        if self.smtp_config.sent_copy != "none":
            self.sent_folder = SentFolder(mailbox, config.sync.timeout)

    async def run(self) -> FlushReport:
        """Tidy up, then send every due row once; the report says what happened."""
        try:
            self._tidy()
            await self._settle()
            await self._send_due()
        finally:
            if self.sent_folder is not None:
                await self.sent_folder.close()
        self._locate_in_sent()
        with self.database.session() as session:
            self.report.doubtful = outbox_counts(session, self.mailbox_id).in_doubt
        return self.report

    def _locate_in_sent(self) -> None:
        """Record the Sent folder as the place of the stored mail filed there."""
        folder = self.sent_folder.folder if self.sent_folder is not None else None
        filed = [*self.report.settled.in_sent, *self.in_sent]
        if folder is not None and filed:
            self.outcomes.locate(filed, folder)

    def _tidy(self) -> None:
        now = datetime.now(UTC)
        timeout = timedelta(seconds=self.settings.claim_timeout)
        with self.database.session() as session:
            unstored = rows_to_store(session, self.mailbox_id)
        for start in range(0, len(unstored), BATCH):
            self.outcomes.store(unstored[start : start + BATCH])
        with self.database.session() as session, session.begin():
            recover_abandoned(session, self.mailbox_id, now, timeout)
            suppression.sweep(session)
            scope = self.settings.stop_on_reply
            self.report.cancelled += len(
                cancel_answered(session, self.mailbox_id, scope)
            )

    async def _settle(self) -> None:
        with self.database.session() as session:
            doubtful = rows_in_doubt(session, self.mailbox_id)
            pending = rows_to_file(session, self.mailbox_id)
        if not doubtful and not pending:
            return
        wait = timedelta(seconds=self.settings.in_doubt_wait)
        self.report.settled = await settle(
            doubtful, pending, self.sent_folder, self.smtp_config, self.outcomes, wait
        )
        self.outcomes.store([row.id for row in doubtful])

    async def _send_due(self) -> None:
        secret = smtp_secret(self.mailbox)
        session = SmtpSession(self.smtp_config, secret)
        started = datetime.now(UTC)
        tried = 0
        batch: list[OutboxRow] = []
        try:
            while self.limit is None or tried < self.limit:
                batch = await self._claim(session, started, tried)
                if not batch:
                    break
                while batch:
                    row = batch.pop(0)
                    tried += 1
                    await self._send_guarded(session, row)
                self._store_sent()
        except SmtpError as exc:
            self.report.error = str(exc)
            log.error("mailbox %s: %s", self.mailbox.name, exc)
            for row in batch:
                self.outcomes.requeue(
                    row.id,
                    "not tried: the server could not be reached",
                    datetime.now(UTC),
                )
        finally:
            self._store_sent()
            await session.quit()

    def _store_sent(self) -> None:
        sent, self.unstored = self.unstored, []
        self.outcomes.store(sent)

    async def _send_guarded(self, session: SmtpSession, row: OutboxRow) -> None:
        try:
            await self._send_one(session, row)
        except SmtpError:
            self.outcomes.requeue(
                row.id, "the server could not be reached", datetime.now(UTC)
            )
            raise
        except Exception as exc:  # one bad row never stops the flush
            log.exception("outreach %s: sending failed unexpectedly", row.id)
            self.outcomes.release(row.id, f"unexpected error: {exc}", datetime.now(UTC))

    async def _claim(
        self, session: SmtpSession, started: datetime, tried: int
    ) -> list[OutboxRow]:
        """The next rows to send, claimed; none when nothing (more) may go now."""
        now = datetime.now(UTC)
        with self.database.session() as db:
            self.rates.refresh(db, now)
            self._refresh_suppressed(db, now)
        count = min(BATCH, self.rates.room_for(now))
        if self.limit is not None:
            count = min(count, self.limit - tried)
        if self.rates.per_domain:
            count = min(count, 1)  # each claim must see the domains' counts
        if count <= 0:
            self.report.deferred = self._count_due(now)
            return []
        if not session.connected:
            if not self._anything_due(now, started):
                return []
            await session.connect()

        with self.database.session() as db, db.begin():
            ids = claim_due(
                db,
                self.mailbox_id,
                now,
                started=started,
                count=count,
                full_domains=self.rates.full_domains(now),
                only=self.only,
            )
            rows = {
                row.id: row
                for row in db.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids)))
            }
        batch = [rows[row_id] for row_id in ids]
        for row in batch:
            self.rates.record(row.recipient_domain, now)
        if not batch and self.rates.full_domains(now):
            self.report.deferred = self._count_due(now)
        return batch

    async def _send_one(self, session: SmtpSession, row: OutboxRow) -> None:
        stop = self._stop_reason(row)
        now = datetime.now(UTC)
        if stop is not None:
            self.outcomes.cancel(row.id, stop, now)
            self.report.cancelled += 1
            return

        reused = session.sent > 0
        try:
            accepted = await self._deliver(session, row)
        except SendTemporary as exc:
            if not (exc.dropped and reused):
                self._temporary(row.id, str(exc))
                return
            # The server closed a connection we kept open: once more, afresh.
            try:
                await session.connect()
                accepted = await self._deliver(session, row)
            except SendTemporary as again:
                self._temporary(row.id, str(again))
                return
            except (SendPermanent, SendInDoubt, Undeliverable) as again:
                self._final(row, again)
                return
        except (SendPermanent, SendInDoubt, Undeliverable) as exc:
            self._final(row, exc)
            return
        self.outcomes.sent(
            row.id, accepted.reply, accepted.raw, datetime.now(UTC), filed=False
        )
        self.unstored.append(row.id)
        self.report.sent += 1
        await self._file(row, accepted.raw)

    async def _deliver(self, session: SmtpSession, row: OutboxRow) -> Accepted:
        parts = row_parts(row)
        links = row_links(row, self.settings)

        def before_data(raw: bytes) -> None:
            if not self.outcomes.mark_data(row.id, raw, datetime.now(UTC)):
                raise SendTemporary("the claim on this row was lost; not sent")

        return await session.send(
            row.from_address,
            row.to_address,
            lambda envelope: compose(parts, envelope, links, datetime.now(UTC)),
            before_data,
        )

    def _stop_reason(self, row: OutboxRow) -> str | None:
        if suppression.key(row.to_address) in self.suppressed:
            return "suppressed since it was queued"
        if row.thread_id is None:
            return None
        with self.database.session() as db:
            reply = stopping_reply(db, row, self.settings.stop_on_reply)
        if reply is not None:
            return f"stopped: a reply came in the thread (message {reply.id})"
        return None

    def _refresh_suppressed(self, db: Session, now: datetime) -> None:
        """The addresses suppressed now, read again every REFRESH."""
        if self.suppressed_at is not None and now - self.suppressed_at < REFRESH:
            return
        self.suppressed = suppression.addresses(db)
        self.suppressed_at = now

    def _temporary(self, row_id: int, reason: str) -> None:
        status = self.outcomes.retry_later(row_id, reason, datetime.now(UTC))
        if status == QUEUED:
            self.report.retrying += 1
        else:
            self.report.failed += 1

    def _final(self, row: OutboxRow, exc: Exception) -> None:
        now = datetime.now(UTC)
        if isinstance(exc, SendInDoubt):
            self.outcomes.in_doubt(row.id, str(exc), now)
            self.report.in_doubt += 1
            return
        self.outcomes.failed(row.id, str(exc), now)
        self.report.failed += 1
        if isinstance(exc, SendPermanent) and _bad_address(str(exc)):
            with self.database.session() as db, db.begin():
                suppression.suppress(
                    db, row.to_address, BOUNCED, str(exc)[:500], outbox_id=row.id
                )

    async def _file(self, row: OutboxRow, raw: bytes) -> None:
        if self.sent_folder is None or self.smtp_config.sent_copy != "append":
            return
        try:
            await self.sent_folder.file(row.message_id, raw)
        except Exception as exc:  # filing is retried by the next flush
            log.warning("outreach %s: not filed in Sent yet: %s", row.id, exc)
            return
        self.outcomes.filed(row.id, datetime.now(UTC))
        self.in_sent.append(row.id)

    def _anything_due(self, now: datetime, started: datetime) -> bool:
        return self._count_due(now, started) > 0

    def _count_due(self, now: datetime, started: datetime | None = None) -> int:
        query = select(func.count(OutboxRow.id)).where(
            OutboxRow.mailbox_id == self.mailbox_id,
            OutboxRow.status == QUEUED,
            OutboxRow.due_at <= now,
        )
        if started is not None:
            query = query.where(
                or_(
                    OutboxRow.last_attempt_at.is_(None),
                    OutboxRow.last_attempt_at < started,
                )
            )
        if self.only is not None:
            query = query.where(OutboxRow.id.in_(sorted(self.only)))
        with self.database.session() as db:
            return db.scalar(query) or 0


def _bad_address(reply: str) -> bool:
    """A 5xx reply that says the address does not exist (5.1.x)."""
    words = reply.split()
    return len(words) > 1 and words[0].startswith("55") and words[1].startswith("5.1.")
