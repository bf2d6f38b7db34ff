"""Settling what a send left open: mail in doubt, and sent mail not yet filed.

A mail in doubt is looked for in the Sent folder by its Message-ID. Found, it
was sent. Not found, it stays in doubt for a person to decide, except where
the server files what it accepts (sent_copy = "server"): there, a mail still
missing `in_doubt_wait` seconds after its attempt was not accepted, and is
queued again with the same Message-ID.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.errors import ImapError, SecretError
from inbox_crm.outreach.models import IN_DOUBT, SENT, OutboxRow
from inbox_crm.outreach.outcomes import Outcomes
from inbox_crm.outreach.sentfolder import SentFolder
from inbox_crm.outreach.settings import SmtpConfig

log = logging.getLogger(__name__)

UNRESOLVED = (
    "not found in the Sent folder; ask the recipient or check the server, then "
    "`inbox-crm outbox retry --in-doubt {id}` to send it again or "
    "`inbox-crm outbox cancel {id}`"
)
NO_SENT_FOLDER = (
    "it may have been delivered; with sent_copy = 'none' there is no Sent folder "
    "to look in: `inbox-crm outbox retry --in-doubt {id}` or "
    "`inbox-crm outbox cancel {id}`"
)


@dataclass
class Settled:
    """Counts of what settling did."""

    resolved: int = 0
    requeued: int = 0
    unresolved: int = 0
    filed: int = 0
    error: str | None = None
    # Rows whose mail is now known to be in the Sent folder (filed or found).
    in_sent: list[int] = field(default_factory=list)


async def settle(
    doubtful: list[OutboxRow],
    pending: list[OutboxRow],
    sent_folder: SentFolder | None,
    smtp: SmtpConfig,
    outcomes: Outcomes,
    wait: timedelta,
) -> Settled:
    """Resolve the rows in doubt and file the sent rows whose copy is missing."""
    settled = Settled()
    try:
        for row in doubtful:
            await _resolve(row, sent_folder, smtp, outcomes, wait, settled)
        if sent_folder is not None and smtp.sent_copy == "append":
            for row in pending:
                assert row.raw is not None
                await sent_folder.file(row.message_id, row.raw)
                outcomes.filed(row.id, datetime.now(UTC))
                settled.filed += 1
                settled.in_sent.append(row.id)
    except (ImapError, SecretError) as exc:
        settled.error = f"Sent folder: {exc}"
        log.warning("outbox: cannot use the Sent folder: %s", exc)
    return settled


def rows_in_doubt(session: Session, mailbox_id: int) -> list[OutboxRow]:
    query = select(OutboxRow).where(
        OutboxRow.mailbox_id == mailbox_id, OutboxRow.status == IN_DOUBT
    )
    return list(session.scalars(query.order_by(OutboxRow.id)))


def rows_to_store(session: Session, mailbox_id: int) -> list[int]:
    """Sent rows whose mail is not stored as a message yet (a crash came first)."""
    query = select(OutboxRow.id).where(
        OutboxRow.mailbox_id == mailbox_id,
        OutboxRow.status == SENT,
        OutboxRow.stored_message_id.is_(None),
        OutboxRow.raw.is_not(None),
    )
    return list(session.scalars(query.order_by(OutboxRow.id)))


def rows_to_file(session: Session, mailbox_id: int) -> list[OutboxRow]:
    query = select(OutboxRow).where(
        OutboxRow.mailbox_id == mailbox_id,
        OutboxRow.status == SENT,
        OutboxRow.filed_at.is_(None),
        OutboxRow.raw.is_not(None),
    )
    return list(session.scalars(query.order_by(OutboxRow.id)))


async def _resolve(
    row: OutboxRow,
    sent_folder: SentFolder | None,
    smtp: SmtpConfig,
    outcomes: Outcomes,
    wait: timedelta,
    settled: Settled,
) -> None:
    now = datetime.now(UTC)
    if sent_folder is None or smtp.sent_copy == "none":
        outcomes.in_doubt(
            row.id, NO_SENT_FOLDER.format(id=row.id), now, expect=IN_DOUBT
        )
        settled.unresolved += 1
        return
    if await sent_folder.contains(row.message_id):
        raw = row.raw or b""
        reply = "found in the Sent folder"
        if outcomes.sent(row.id, reply, raw, now, filed=True, expect=IN_DOUBT):
            settled.resolved += 1
            settled.in_sent.append(row.id)
        return
    attempted = row.data_at or row.last_attempt_at or now
    if smtp.sent_copy == "server" and now - attempted >= wait:
        outcomes.requeue(
            row.id,
            "not in the Sent folder, which the server fills: it was not "
            "accepted; queued again with the same Message-ID",
            now,
            expect=IN_DOUBT,
        )
        settled.requeued += 1
        return
    if smtp.sent_copy == "server":
        outcomes.in_doubt(
            row.id,
            f"not in the Sent folder yet; looked for again until "
            f"{wait.total_seconds():.0f}s after the attempt",
            now,
            expect=IN_DOUBT,
        )
    else:
        outcomes.in_doubt(row.id, UNRESOLVED.format(id=row.id), now, expect=IN_DOUBT)
    settled.unresolved += 1
