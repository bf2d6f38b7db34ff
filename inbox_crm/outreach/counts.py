"""How many outbox rows wait, are being sent or are in doubt: one count for all.

A row is in doubt when the server may have accepted it and nobody knows yet:
its status is `in_doubt`, or it is `sending` and its DATA was offered (a
sender working on it now, or one that stopped and whose claim the next flush
recovers). The flush summary, `outbox list` and `inbox-crm status` all count
with this module, so they agree on the same state.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from inbox_crm.outreach.models import IN_DOUBT, QUEUED, SENDING, OutboxRow


@dataclass(frozen=True)
class OutboxCounts:
    """Rows not sent yet, by where they stand."""

    queued: int = 0
    sending: int = 0
    in_doubt: int = 0

    @property
    def unsent(self) -> int:
        """Every row that is neither sent nor settled: what still needs the outbox."""
        return self.queued + self.sending + self.in_doubt


def in_doubt_clause() -> ColumnElement[bool]:
    """Rows in doubt: marked so, or being sent with their DATA offered."""
    offered = and_(OutboxRow.status == SENDING, OutboxRow.data_at.is_not(None))
    return or_(OutboxRow.status == IN_DOUBT, offered)


def is_in_doubt(row: OutboxRow) -> bool:
    """Whether one row is in doubt, the way `in_doubt_clause` counts it."""
    return row.status == IN_DOUBT or (row.status == SENDING and row.data_at is not None)


def outbox_counts(session: Session, mailbox_id: int | None = None) -> OutboxCounts:
    """The unsent rows of one mailbox's outbox, or of every mailbox's."""
    doubt = in_doubt_clause()
    query = select(
        func.count().filter(OutboxRow.status == QUEUED),
        func.count().filter(OutboxRow.status == SENDING, ~doubt),
        func.count().filter(doubt),
    ).select_from(OutboxRow)
    if mailbox_id is not None:
        query = query.where(OutboxRow.mailbox_id == mailbox_id)
    queued, sending, in_doubt = session.execute(query).one()
    return OutboxCounts(queued or 0, sending or 0, in_doubt or 0)
