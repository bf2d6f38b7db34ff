"""The job sources `inbox-crm run` starts: one line per domain with scheduled work."""

from __future__ import annotations

from inbox_crm.agent.jobs import JobSource
from inbox_crm.agent.mailbox import mailbox_jobs
from inbox_crm.digest.jobs import digest_jobs
from inbox_crm.outreach.jobs import outbox_jobs
from inbox_crm.rules.jobs import rules_jobs

# A source lives beside its domain and returns that domain's Jobs and Watches,
# each under a lease, so that only one agent runs it (see inbox_crm.agent.jobs).
JOB_SOURCES: tuple[JobSource, ...] = (
    mailbox_jobs,
    rules_jobs,
    outbox_jobs,
    digest_jobs,
)
