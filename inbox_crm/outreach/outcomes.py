"""The state changes of an outbox row, each in a transaction of its own.

Every change names the status it expects the row to be in (and, for a row
being sent, that this process holds the claim); a row that moved on meanwhile
is left alone, so a slow sender can never undo a faster one.

Marking a row sent is one small update, committed the moment the server
accepts the mail, so that a crash leaves as little as possible in doubt. The
mail is then stored as an outbound message through the ingestion pipeline,
several at a time, from the exact bytes kept on the row; a sent row not yet
stored (after a crash) is stored by the next flush.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inbox_crm.ingest.pipeline import Incoming, Ingestor, ensure_folder
from inbox_crm.outreach.claims import CLAIMANT
from inbox_crm.outreach.models import (
    CANCELLED,
    FAILED,
    IN_DOUBT,
    QUEUED,
    SENDING,
    SENT,
    OutboxRow,
)
from inbox_crm.outreach.settings import OutreachConfig
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message, MessageLocation
from inbox_crm.wording import counted

log = logging.getLogger(__name__)

LONGEST_WAIT = timedelta(hours=6)


class Outcomes:
    """Writes what became of each send, for one mailbox."""

    def __init__(
        self, database: Database, ingestor: Ingestor, config: OutreachConfig
    ) -> None:
        self.database = database
        self.ingestor = ingestor
        self.config = config

    def mark_data(self, row_id: int, raw: bytes, now: datetime) -> bool:
        """Record that DATA is about to be sent; False if the claim was lost."""
        with self.database.session() as session, session.begin():
            result = session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == row_id,
                    OutboxRow.status == SENDING,
                    OutboxRow.claimed_by == CLAIMANT,
                )
                .values(data_at=now, raw=raw, updated_at=now)
            )
        return bool(getattr(result, "rowcount", 0))

    def sent(
        self,
        row_id: int,
        reply: str,
        raw: bytes,
        now: datetime,
        *,
        filed: bool,
        expect: str = SENDING,
    ) -> bool:
        """Mark the row sent (the mail is stored later, by `store`)."""
        statement = update(OutboxRow).where(OutboxRow.id == row_id)
        # A mail the server accepted is sent even if our claim ran out.
        if expect != SENDING:
            statement = statement.where(OutboxRow.status == expect)
        values: dict[str, object] = {
            "status": SENT,
            "sent_at": now,
            "smtp_reply": reply[:1000],
            "raw": raw,
            "reason": None,
            "updated_at": now,
        }
        if filed:
            values["filed_at"] = now
        with self.database.session() as session, session.begin():
            result = session.execute(statement.values(values))
        if not getattr(result, "rowcount", 0):
            return False
        log.info("outreach %s sent: %s", row_id, reply)
        return True

    def store(self, row_ids: list[int]) -> None:
        """Store the mail of sent rows as outbound messages, in one transaction."""
        if not row_ids:
            return
        with self.database.session() as session, session.begin():
            rows = list(
                session.scalars(
                    select(OutboxRow).where(
                        OutboxRow.id.in_(row_ids),
                        OutboxRow.status == SENT,
                        OutboxRow.stored_message_id.is_(None),
                        OutboxRow.raw.is_not(None),
                    )
                )
            )
            items = [
                Incoming(raw=row.raw or b"", received_at=row.sent_at) for row in rows
            ]
            self.ingestor.ingest(session, items)
            for row in rows:
                message = self._stored(session, row)
                if message is not None:
                    row.stored_message_id = message.id
                    row.thread_id = message.thread_id

    def retry_later(self, row_id: int, reason: str, now: datetime) -> str:
        """Queue the row again after a backoff, or fail it after the last attempt."""
        with self.database.session() as session, session.begin():
            row = session.get_one(OutboxRow, row_id, with_for_update=True)
            if row.status != SENDING or row.claimed_by != CLAIMANT:
                return row.status
            row.updated_at = now
            if row.attempts >= self.config.max_attempts:
                row.status = FAILED
                tries = counted(row.attempts, "attempt")
                row.reason = f"gave up after {tries}: {reason}"
                log.warning("outreach %s failed: %s", row_id, row.reason)
                return FAILED
            delay = timedelta(seconds=self.config.retry_delay * 2 ** (row.attempts - 1))
            row.status = QUEUED
            row.due_at = now + min(delay, LONGEST_WAIT)
            row.data_at = None
            row.reason = f"attempt {row.attempts}: {reason}"
        log.warning(
            "outreach %s: %s; trying again after %s", row_id, reason, row.due_at
        )
        return QUEUED

    def failed(self, row_id: int, reason: str, now: datetime) -> None:
        if self._set(row_id, FAILED, reason, now):
            log.warning("outreach %s failed: %s", row_id, reason)

    def in_doubt(
        self, row_id: int, reason: str, now: datetime, *, expect: str = SENDING
    ) -> None:
        if self._set(row_id, IN_DOUBT, reason, now, expect=expect):
            log.warning("outreach %s in doubt: %s", row_id, reason)

    def cancel(self, row_id: int, reason: str, now: datetime) -> None:
        if self._set(row_id, CANCELLED, reason, now):
            log.info("outreach %s cancelled: %s", row_id, reason)

    def requeue(
        self, row_id: int, reason: str, now: datetime, *, expect: str = SENDING
    ) -> None:
        """Queue the row again, due now (it never reached the server)."""
        values = {"due_at": now, "data_at": None}
        if self._set(row_id, QUEUED, reason, now, expect=expect, **values):
            log.info("outreach %s queued again: %s", row_id, reason)

    def release(self, row_id: int, reason: str, now: datetime) -> str:
        """After an unexpected error: queue again if DATA never began, else doubt."""
        with self.database.session() as session:
            data_at = session.scalar(
                select(OutboxRow.data_at).where(OutboxRow.id == row_id)
            )
        if data_at is None:
            self.requeue(row_id, reason, now)
            return QUEUED
        self.in_doubt(row_id, reason, now)
        return IN_DOUBT

    def filed(self, row_id: int, now: datetime) -> None:
        with self.database.session() as session, session.begin():
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id)
                .values(filed_at=now, updated_at=now)
            )

    def locate(self, row_ids: list[int], folder: str) -> None:
        """Record `folder` as a place of the stored mail of these rows, once."""
        with self.database.session() as session, session.begin():
            rows = session.scalars(
                select(OutboxRow).where(
                    OutboxRow.id.in_(row_ids), OutboxRow.stored_message_id.is_not(None)
                )
            )
            for row in rows:
                assert row.stored_message_id is not None
                place = ensure_folder(session, row.mailbox_id, folder)
                known = session.scalar(
                    select(MessageLocation.id).where(
                        MessageLocation.message_id == row.stored_message_id,
                        MessageLocation.folder_id == place.id,
                    )
                )
                if known is None:
                    # Its UID is learnt when a sync of the folder meets it.
                    session.add(
                        MessageLocation(
                            message_id=row.stored_message_id,
                            folder_id=place.id,
                            uidvalidity=place.uidvalidity or 0,
                            uid=None,
                        )
                    )

    def _set(
        self,
        row_id: int,
        status: str,
        reason: str,
        now: datetime,
        *,
        expect: str = SENDING,
        **values: object,
    ) -> bool:
        """Move the row from `expect` to `status`; False if it had moved on."""
        statement = update(OutboxRow).where(
            OutboxRow.id == row_id, OutboxRow.status == expect
        )
        if expect == SENDING:
            statement = statement.where(OutboxRow.claimed_by == CLAIMANT)
        statement = statement.values(
            status=status, reason=reason[:2000], updated_at=now, **values
        )
        with self.database.session() as session, session.begin():
            result = session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    def _stored(self, session: Session, row: OutboxRow) -> Message | None:
        """The stored message of a row (a sync of Sent may have stored it first)."""
        query = select(Message).where(
            Message.mailbox_id == row.mailbox_id,
            Message.message_id == row.message_id,
            Message.direction == "outbound",
        )
        return session.scalars(query.order_by(Message.id)).first()
