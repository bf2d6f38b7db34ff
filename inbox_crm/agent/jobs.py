"""What the agent runs: scheduled jobs and long-running watches, each under a lease.

A job source is a function that, given the agent's context, returns the Jobs
and Watches of one domain (mailboxes today). The agent claims the lease each
one names; only the agent holding it schedules the job or runs the watch, so
two agents on one database never do the same work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from inbox_crm.agent.records import JobRecorder
from inbox_crm.config import Config, MailboxConfig
from inbox_crm.ingest.steps import Steps
from inbox_crm.storage.db import Database

Trigger = Any  # an APScheduler 3 trigger (the library ships no type hints)


@dataclass(frozen=True)
class Job:
    """A unit of work run on a schedule by the agent holding `lease`.

    `id` is stable across restarts: the last run is remembered under it, and a
    run missed while no agent was up happens once at start (coalesced), unless
    it is later than `misfire_grace` seconds (None: never too late).
    `run_at_start` runs the job as soon as its lease is taken. A job whose run
    records its own outcome (see JobRecorder) sets `record` to False.
    """

    id: str
    run: Callable[[], Awaitable[object]]
    trigger: Trigger
    lease: str | None
    description: str = ""
    run_at_start: bool = False
    misfire_grace: float | None = None
    record: bool = True


@dataclass(frozen=True)
class Watch:
    """A task that runs for as long as the agent holds `lease` (an IDLE session)."""

    id: str
    run: Callable[[], Awaitable[None]]
    lease: str


@dataclass
class AgentContext:
    """What job sources get: settings, the database, and the agent's controls."""

    config: Config
    database: Database
    agent_id: str
    mailboxes: tuple[MailboxConfig, ...]
    stopping: asyncio.Event
    # Start a task the agent waits for at shutdown (it finishes its batch).
    spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]]
    # Whether this agent holds a lease right now (False once it may have expired).
    holding: Callable[[str], bool]
    # Records runs that a job records itself (Job.record = False).
    recorder: JobRecorder
    # Linking and the rules for each message a sync stores (None: neither).
    steps: Steps | None = None


JobSource = Callable[[AgentContext], Iterable[Job | Watch]]


def every(seconds: float, *, jitter: float | None = None) -> Trigger:
    """A trigger firing every `seconds`, optionally spread by up to `jitter`."""
    return IntervalTrigger(seconds=seconds, jitter=jitter, timezone="UTC")


def daily(at: time, timezone: str) -> Trigger:
    """A trigger firing once a day at a local wall-clock time, DST included."""
    return DailyTrigger(at, ZoneInfo(timezone))


class DailyTrigger(CronTrigger):  # type: ignore[misc]
    """A cron trigger at one local time of day that fires once per local day.

    A time in the hour that a change to summer time skips fires at the
    moment after the gap; a time in the hour that the change back repeats
    fires at its first occurrence only (CronTrigger alone fires at both).
    """

    def __init__(self, at: time, zone: ZoneInfo) -> None:
        super().__init__(hour=at.hour, minute=at.minute, timezone=zone)
        self.at = at.replace(second=0, microsecond=0)
        self.zone = zone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is not None:
            local = previous_fire_time.astimezone(self.zone)
            if local.time() >= self.at:
                # This local day's run is done: look from the next local day on.
                tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0))
                start = tomorrow.replace(tzinfo=self.zone)
                fire: datetime | None = super().get_next_fire_time(None, start)
                return fire
        fire = super().get_next_fire_time(previous_fire_time, now)
        return fire
