"""The outbox's job source: a flush per mailbox that can send.

The flush of a mailbox runs on the agent working that mailbox (its lease),
every [agent] outbox_interval seconds and once at start, so sends left in
doubt or unfiled by a stopped agent are settled first thing. Claims keep two
senders from ever sending one row, whoever runs them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from inbox_crm.agent.jobs import AgentContext, Job, Watch, every
from inbox_crm.agent.mailbox import mailbox_lease
from inbox_crm.config import Config, MailboxConfig
from inbox_crm.errors import SmtpError
from inbox_crm.ingest.steps import Steps
from inbox_crm.outreach.flush import Flusher, FlushReport
from inbox_crm.storage.db import Database

log = logging.getLogger(__name__)


def outbox_job_id(mailbox: str) -> str:
    return f"outbox.{mailbox}"


def outbox_jobs(context: AgentContext) -> Iterator[Job | Watch]:
    """A flush job for each of the agent's mailboxes with an [smtp] table."""
    interval = context.config.agent.outbox_interval
    for mailbox in context.mailboxes:
        if mailbox.smtp is None:
            continue
        yield Job(
            id=outbox_job_id(mailbox.name),
            run=OutboxWorker(
                context.config, context.database, mailbox, context.steps
            ).run,
            trigger=every(interval),
            lease=mailbox_lease(mailbox.name),
            description=f"outbox of {mailbox.name} every {interval}s",
            run_at_start=True,
        )


class OutboxWorker:
    """Flushes the outbox of one mailbox; a failed connection fails the run."""

    def __init__(
        self,
        config: Config,
        database: Database,
        mailbox: MailboxConfig,
        steps: Steps | None = None,
    ) -> None:
        self.config = config
        self.database = database
        self.mailbox = mailbox
        self.steps = steps

    async def run(self) -> None:
        report = await flush_outbox(
            self.config, self.database, self.mailbox, self.steps
        )
        if report.error is not None:
            raise SmtpError(report.error)


async def flush_outbox(
    config: Config,
    database: Database,
    mailbox: MailboxConfig,
    steps: Steps | None = None,
) -> FlushReport:
    """One flush of the mailbox's outbox, logged when it did something."""
    report = await Flusher(database, config, mailbox, steps=steps).run()
    busy = (
        report.sent
        or report.retrying
        or report.failed
        or report.in_doubt
        or report.cancelled
        or report.settled.resolved
        or report.settled.requeued
    )
    log.log(logging.INFO if busy else logging.DEBUG, "outbox %s", report.summary())
    return report
