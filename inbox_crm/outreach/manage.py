"""What a person does to outbox rows: send again, or cancel."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inbox_crm.errors import OutreachError
from inbox_crm.outreach.models import (
    CANCELLED,
    FAILED,
    IN_DOUBT,
    QUEUED,
    SENDING,
    SENT,
    OutboxRow,
)

log = logging.getLogger(__name__)


def retry(session: Session, row_id: int, *, in_doubt: bool = False) -> OutboxRow:
    """Queue a failed row (or, when told, one in doubt) to be sent now."""
    row = _row(session, row_id)
    if row.status == IN_DOUBT and not in_doubt:
        raise OutreachError(
            f"outreach {row_id} is in doubt: the server may have delivered it, and "
            "sending it again may deliver it twice; pass --in-doubt to send it anyway"
        )
    if row.status not in (FAILED, IN_DOUBT):
        raise OutreachError(
            f"outreach {row_id} is {row.status}; only failed or in-doubt mail "
            "can be retried"
        )
    now = datetime.now(UTC)
    previous = row.status
    row.status = QUEUED
    row.attempts = 0
    row.due_at = now
    row.data_at = None
    row.reason = f"queued again by hand (was {previous})"
    row.updated_at = now
    log.info("outreach %s queued again by hand (was %s)", row_id, previous)
    return row


def cancel(session: Session, row_id: int) -> OutboxRow:
    """Cancel a row that has not been sent (queued, failed or in doubt)."""
    row = _row(session, row_id)
    if row.status in (SENT, CANCELLED):
        raise OutreachError(f"outreach {row_id} is {row.status} already")
    if row.status == SENDING:
        raise OutreachError(
            f"outreach {row_id} is being sent right now; cancel it once it is done"
        )
    now = datetime.now(UTC)
    row.reason = f"cancelled by hand (was {row.status})"
    row.status = CANCELLED
    row.updated_at = now
    log.info("outreach %s cancelled by hand", row_id)
    return row


def _row(session: Session, row_id: int) -> OutboxRow:
    row = session.get(OutboxRow, row_id, with_for_update=True)
    if row is None:
        raise OutreachError(f"no outreach with id {row_id} in the outbox")
    return row
