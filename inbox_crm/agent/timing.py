"""Pure scheduling arithmetic: when a job first runs after the agent starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inbox_crm.agent.jobs import Trigger

LATEST_DUE_STEPS = 10_000


@dataclass(frozen=True)
class FirstRun:
    """When a job first runs once its lease is taken, and whether that is a catch-up.

    `missed` is the latest due time that passed while no agent ran the job:
    however many runs were missed, the catch-up is one run.
    """

    at: datetime | None
    missed: datetime | None = None


def first_run(
    trigger: Trigger,
    last_run: datetime | None,
    now: datetime,
    *,
    run_at_start: bool = False,
    misfire_grace: float | None = None,
) -> FirstRun:
    """The first run of a job after a start, from its last run before it.

    A job that never ran waits for its trigger. One that was due while down
    runs once now, unless even its latest due time is more than
    `misfire_grace` seconds ago; then its next due time counts. One that was
    not yet due keeps its rhythm: it runs when the last run says, not one
    whole interval after the restart.
    """
    if run_at_start:
        return FirstRun(now)
    if last_run is None:
        return FirstRun(trigger.get_next_fire_time(None, now))

    due: datetime | None = trigger.get_next_fire_time(last_run, last_run)
    if due is None or due > now:
        return FirstRun(due)
    latest = latest_due(trigger, due, now)
    if misfire_grace is not None and (now - latest).total_seconds() > misfire_grace:
        return FirstRun(trigger.get_next_fire_time(None, now))
    return FirstRun(now, missed=latest)


def latest_due(trigger: Trigger, due: datetime, now: datetime) -> datetime:
    """The last due time at or before `now`, counting on from `due`.

    After very long downtime of a frequent job the count stops early, which
    only makes the run look later than it is.
    """
    latest = due
    for _ in range(LATEST_DUE_STEPS):
        following: datetime | None = trigger.get_next_fire_time(latest, latest)
        if following is None or following > now:
            break
        latest = following
    return latest
