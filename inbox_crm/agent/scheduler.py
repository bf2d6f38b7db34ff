"""APScheduler on the agent's event loop: each run recorded, each failure logged.

Missed runs are coalesced into one (coalesce), a late run is never dropped
(no misfire limit unless a job sets one), and a job never overlaps itself.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import SQLAlchemyError

from inbox_crm.agent.jobs import Job
from inbox_crm.agent.records import JobRecorder
from inbox_crm.errors import InboxCrmError
from inbox_crm.storage.db import Database

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def make_scheduler() -> AsyncIOScheduler:
    """An AsyncIOScheduler in UTC with the agent's job defaults."""
    return AsyncIOScheduler(timezone=UTC, job_defaults=dict(JOB_DEFAULTS))


class Scheduler:
    """The agent's jobs on one AsyncIOScheduler."""

    def __init__(self, database: Database, agent_id: str) -> None:
        self.recorder = JobRecorder(database, agent_id, self.next_run)
        self.apscheduler = make_scheduler()
        # Runs in progress, which a shutdown lets finish their batch.
        self.running: set[asyncio.Task[None]] = set()
        self._first_triggers: dict[str, str] = {}

    def start(self) -> None:
        self.apscheduler.start()

    def pause(self) -> None:
        if self.apscheduler.running:
            self.apscheduler.pause()

    def shutdown(self) -> None:
        if self.apscheduler.running:
            self.apscheduler.shutdown(wait=False)

    def add(self, job: Job, first: datetime, first_trigger: str = "schedule") -> None:
        """Schedule `job`, first at `first`, then as its trigger says."""
        self._first_triggers[job.id] = first_trigger
        self.apscheduler.add_job(
            self._run,
            job.trigger,
            args=(job,),
            id=job.id,
            name=job.id,
            next_run_time=first,
            misfire_grace_time=job.misfire_grace,
            replace_existing=True,
        )

    def remove(self, job_id: str) -> None:
        if self.apscheduler.get_job(job_id) is not None:
            self.apscheduler.remove_job(job_id)

    def next_run(self, job_id: str) -> datetime | None:
        scheduled = self.apscheduler.get_job(job_id)
        if scheduled is None or scheduled.next_run_time is None:
            return None
        moment: datetime = scheduled.next_run_time
        return moment.astimezone(UTC)

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: self.next_run(job.id) for job in self.apscheduler.get_jobs()}

    async def _run(self, job: Job) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.running.add(task)
        trigger = self._first_triggers.pop(job.id, "schedule")
        try:
            if job.record:
                self.recorder.started(job.id, trigger)
            error = await attempt(job)
            if job.record:
                self.recorder.finished(job.id, error)
        except SQLAlchemyError:
            log.exception("job %s: its run could not be recorded", job.id)
        finally:
            self.running.discard(task)


async def attempt(job: Job) -> str | None:
    """Run a job once; None when it succeeded, else what went wrong (logged)."""
    try:
        await job.run()
    except InboxCrmError as exc:
        log.error("job %s failed: %s", job.id, exc)
        return str(exc)
    except Exception as exc:  # a failed run never stops the agent
        log.exception("job %s failed", job.id)
        return f"{type(exc).__name__}: {exc}"
    log.debug("job %s done", job.id)
    return None
