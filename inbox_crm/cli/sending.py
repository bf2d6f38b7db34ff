"""Sending one outbox row at once, for the commands that send as they queue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from inbox_crm.cli.context import AppContext
from inbox_crm.config import MailboxConfig
from inbox_crm.ingest.steps import configured_steps
from inbox_crm.outreach.flush import Flusher, FlushReport
from inbox_crm.outreach.models import OutboxRow


@dataclass(frozen=True)
class Sent:
    """Where one row stands after its flush, and why."""

    status: str
    detail: str
    report: FlushReport

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "in_doubt") or bool(self.report.error)


def send_row(app: AppContext, mailbox: MailboxConfig, row_id: int) -> Sent:
    """Flush just `row_id` from `mailbox` now, linked and seen by the rules."""
    config = app.config
    steps = configured_steps(config)
    flusher = Flusher(app.database, config, mailbox, only={row_id}, steps=steps)
    report = asyncio.run(flusher.run())
    with app.database.session() as session:
        row = session.get_one(OutboxRow, row_id)
        status, reason = row.status, row.reason
    detail = f": {reason}" if reason else ""
    if report.error:
        detail += f" ({report.error})"
    return Sent(status, detail, report)
