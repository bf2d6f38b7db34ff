"""The digest's job source: one daily job per user, at the user's local digest time.

The job makes the digest of the day whose digest time came last, so a run
caught up after downtime sends the missed day's digest (once: it is keyed by
user and day), and the outbox flush sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from inbox_crm.agent.jobs import AgentContext, Job, Watch, daily
from inbox_crm.config import Config, UserConfig
from inbox_crm.digest.models import QUEUED
from inbox_crm.digest.period import due_day
from inbox_crm.digest.queue import Queued, queue_digest
from inbox_crm.storage.db import Database

log = logging.getLogger(__name__)

LEASE = "digests"


def digest_job_id(user: str) -> str:
    return f"digest.{user}"


def digest_jobs(context: AgentContext) -> Iterator[Job | Watch]:
    """A daily job for each user whose digest is on."""
    for user in context.config.users.values():
        if not user.digest.enabled:
            continue
        worker = DigestWorker(context.config, context.database, user)
        yield Job(
            id=digest_job_id(user.name),
            run=worker.run,
            trigger=daily(user.digest.at, user.business.timezone),
            lease=LEASE,
            description=(
                f"digest of {user.name} at {user.digest.at:%H:%M} "
                f"{user.business.timezone}"
            ),
        )


class DigestWorker:
    """Queues one user's digest for the day that is due."""

    def __init__(self, config: Config, database: Database, user: UserConfig) -> None:
        self.config = config
        self.database = database
        self.user = user

    async def run(self) -> None:
        self.queue(datetime.now(UTC))

    def queue(self, now: datetime) -> Queued:
        """Queue the digest due at `now` (the day whose digest time came last)."""
        day = due_day(self.user, now)
        with self.database.session() as session, session.begin():
            queued = queue_digest(session, self.config, self.user, day, now)
        if not queued.created:
            state = "queued" if queued.record.status == QUEUED else "skipped"
            log.info(
                "digest of %s for %s was %s already",
                self.user.name,
                day.isoformat(),
                state,
            )
        return queued
