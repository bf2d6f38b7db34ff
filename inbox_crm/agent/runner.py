"""The agent process: claims leases, runs what it holds, and stops cleanly.

Every third of the lease duration the agent writes its heartbeat, renews the
leases it holds and tries those it lacks. Holding a lease starts the jobs and
watches that name it; losing one stops them. SIGTERM or SIGINT lets each run
in progress finish its batch and commit, releases the leases, and returns.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from inbox_crm.agent import records
from inbox_crm.agent.jobs import AgentContext, Job, JobSource, Watch, every
from inbox_crm.agent.leases import Claim, claim, release
from inbox_crm.agent.registry import JOB_SOURCES
from inbox_crm.agent.scheduler import Scheduler
from inbox_crm.agent.timing import first_run
from inbox_crm.config import Config, MailboxConfig
from inbox_crm.errors import ConfigError
from inbox_crm.ingest.steps import Steps
from inbox_crm.storage.db import Database

log = logging.getLogger(__name__)

KEEPER_JOB = "agent.leases"


def new_agent_id() -> str:
    """host:pid:random, unique even when a pid is reused."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Agent:
    """One `inbox-crm run`: leases, scheduler, watches, signals."""

    def __init__(
        self,
        config: Config,
        database: Database,
        mailboxes: Sequence[MailboxConfig],
        sources: Sequence[JobSource] = JOB_SOURCES,
        steps: Steps | None = None,
    ) -> None:
        self.config = config
        self.steps = steps
        self.database = database
        self.mailboxes = tuple(mailboxes)
        self.sources = tuple(sources)
        self.agent_id = new_agent_id()
        self.lease_duration = float(config.agent.lease_duration)
        self.scheduler = Scheduler(database, self.agent_id)
        self.stopping = asyncio.Event()
        self._hurry = asyncio.Event()
        self._signals = 0
        self._jobs: list[Job] = []
        self._watches: list[Watch] = []
        # Resource -> monotonic time until which our lease surely holds.
        self._held: dict[str, float] = {}
        self._active: set[str] = set()
        self._standby: dict[str, str | None] = {}
        self._watch_tasks: dict[str, asyncio.Task[None]] = {}
        self._spawned: set[asyncio.Task[None]] = set()

    def holding(self, resource: str) -> bool:
        return self._held.get(resource, 0.0) > time.monotonic()

    async def run(self) -> None:
        """Work until a signal (or `stop()`), then shut down cleanly."""
        self._install_signals()
        self._collect(self._context())
        records.agent_started(self.database, self.agent_id)
        log.info(
            "agent %s started: %d mailboxes, lease %ss",
            self.agent_id,
            len(self.mailboxes),
            self.config.agent.lease_duration,
        )
        self.scheduler.start()
        try:
            self._keep_leases()
            period = self.lease_duration / 3
            keeper = Job(KEEPER_JOB, self._keep, every(period), None, record=False)
            first = datetime.now(UTC) + timedelta(seconds=period)
            self.scheduler.add(keeper, first)
            await self.stopping.wait()
        finally:
            await self._shutdown()

    def stop(self) -> None:
        self.stopping.set()

    def _context(self) -> AgentContext:
        return AgentContext(
            config=self.config,
            database=self.database,
            agent_id=self.agent_id,
            mailboxes=self.mailboxes,
            stopping=self.stopping,
            spawn=self._spawn,
            holding=self.holding,
            recorder=self.scheduler.recorder,
            steps=self.steps,
        )

    def _collect(self, context: AgentContext) -> None:
        for source in self.sources:
            for item in source(context):
                if isinstance(item, Job):
                    self._jobs.append(item)
                else:
                    self._watches.append(item)
        if not self._jobs and not self._watches:
            raise ConfigError(f"{self.config.path}: nothing to run; add a mailbox")

    def _resources(self) -> list[str]:
        leases = [job.lease for job in self._jobs] + [w.lease for w in self._watches]
        return sorted({lease for lease in leases if lease is not None})

    # -- leases ---------------------------------------------------------------

    async def _keep(self) -> None:
        self._keep_leases()

    def _keep_leases(self) -> None:
        """Heartbeat, renew what we hold, take what is free; act on the changes."""
        duration = timedelta(seconds=self.lease_duration)
        asked_at = time.monotonic()
        with self.database.session() as session, session.begin():
            records.heartbeat(session, self.agent_id)
            claims = [
                claim(session, resource, self.agent_id, duration)
                for resource in self._resources()
            ]
        for outcome in claims:
            if outcome.held:
                self._held[outcome.resource] = asked_at + self.lease_duration
                if outcome.resource not in self._active:
                    self._start_unit(outcome)
            else:
                self._held.pop(outcome.resource, None)
                if outcome.resource in self._active:
                    self._stop_unit(outcome.resource, f"now held by {outcome.owner}")
                self._report_standby(outcome)
        next_runs = self.scheduler.next_runs()
        # Every agent has a keeper of its own; only shared jobs are shown.
        next_runs.pop(KEEPER_JOB, None)
        self.scheduler.recorder.scheduled(next_runs)

    def _start_unit(self, outcome: Claim) -> None:
        resource = outcome.resource
        if outcome.taken_from:
            log.info(
                "%s: lease taken over from %s, whose lease had expired",
                resource,
                outcome.taken_from,
            )
        else:
            log.info("%s: lease taken", resource)
        self._standby.pop(resource, None)
        self._active.add(resource)
        self._schedule([job for job in self._jobs if job.lease == resource])
        for watch in self._watches:
            if watch.lease == resource:
                task = asyncio.create_task(self._watch(watch), name=watch.id)
                self._watch_tasks[watch.id] = task

    def _schedule(self, jobs: list[Job]) -> None:
        last = self.scheduler.recorder.last_started(job.id for job in jobs)
        now = datetime.now(UTC)
        for job in jobs:
            first = first_run(
                job.trigger,
                last[job.id],
                now,
                run_at_start=job.run_at_start,
                misfire_grace=job.misfire_grace,
            )
            if first.at is None:
                continue
            trigger = "start" if job.run_at_start else "schedule"
            if first.missed is not None:
                trigger = "catch-up"
                log.info(
                    "job %s was due at %s while no agent ran it; running it once now",
                    job.id,
                    first.missed.isoformat(timespec="seconds"),
                )
            self.scheduler.add(job, first.at, trigger)

    def _stop_unit(self, resource: str, reason: str) -> None:
        log.warning("%s: lease lost (%s); its work stops", resource, reason)
        self._active.discard(resource)
        jobs = [job.id for job in self._jobs if job.lease == resource]
        for job_id in jobs:
            self.scheduler.remove(job_id)
        self.scheduler.recorder.unscheduled(jobs)
        for watch in self._watches:
            if watch.lease == resource and watch.id in self._watch_tasks:
                self._watch_tasks.pop(watch.id).cancel()

    def _report_standby(self, outcome: Claim) -> None:
        if self._standby.get(outcome.resource, "") == outcome.owner:
            return
        self._standby[outcome.resource] = outcome.owner
        until = (
            outcome.expires_at.isoformat(timespec="seconds")
            if outcome.expires_at
            else "?"
        )
        log.info(
            "%s: held by %s until %s; standing by",
            outcome.resource,
            outcome.owner,
            until,
        )

    async def _watch(self, watch: Watch) -> None:
        try:
            await watch.run()
        except Exception:  # a watch that fails leaves the polls running
            log.exception("%s failed; the mailbox is polled meanwhile", watch.id)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)
        return task

    # -- stopping ---------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, self._on_signal, number)

    def _on_signal(self, number: signal.Signals) -> None:
        self._signals += 1
        if self._signals == 1:
            log.info("%s: finishing the batch in hand, then stopping", number.name)
            self.stopping.set()
        else:
            log.warning("%s again: stopping without waiting", number.name)
            self._hurry.set()

    async def _shutdown(self) -> None:
        self.stopping.set()
        self.scheduler.pause()
        work = set(self.scheduler.running) | set(self._spawned)
        await self._finish(work, float(self.config.agent.shutdown_timeout), "run")
        await self._finish(
            set(self._watch_tasks.values()), self.config.sync.timeout, "IDLE session"
        )
        self.scheduler.shutdown()
        try:
            self._release_all()
        except SQLAlchemyError:
            log.exception("the leases could not be released; they expire by themselves")
        log.info("agent %s stopped", self.agent_id)

    async def _finish(
        self, tasks: set[asyncio.Task[None]], timeout: float, what: str
    ) -> None:
        """Let `tasks` end by themselves, then cancel what is left."""
        if not tasks:
            return
        hurry: asyncio.Future[Any] = asyncio.ensure_future(self._hurry.wait())
        deadline = time.monotonic() + timeout
        pending: set[asyncio.Future[Any]] = set(tasks)
        while pending and not hurry.done():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            _, pending = await asyncio.wait(
                pending | {hurry}, timeout=left, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(hurry)
        hurry.cancel()
        for task in pending:
            name = task.get_name() if isinstance(task, asyncio.Task) else what
            log.warning(
                "%s %s did not end in time; cancelled (nothing half-stored)",
                what,
                name,
            )
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _release_all(self) -> None:
        with self.database.session() as session, session.begin():
            for resource in sorted(self._active):
                release(session, resource, self.agent_id)
        self.scheduler.recorder.unscheduled()
        records.agent_stopped(self.database, self.agent_id)
        self._active.clear()
        self._held.clear()
