"""Cron slots in local wall-clock time, once each, across DST changes.

The cron expression is walked over naive local times, so each wall-clock
slot comes once: a slot inside the autumn's repeated hour fires at its first
occurrence only, and a slot inside the spring gap fires when the clock
jumps past it, never skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import CroniterBadCronError, croniter


class CronError(ValueError):
    """A cron expression croniter cannot read."""


def check_cron(expression: str) -> None:
    """Raise CronError unless `expression` is a valid five-field cron line."""
    if len(expression.split()) != 5:
        raise CronError(
            f"{expression!r}: write five fields: minute hour day month weekday"
        )
    try:
        croniter(expression)
    except (CroniterBadCronError, ValueError, KeyError) as exc:
        raise CronError(f"{expression!r}: {exc}") from exc


def slots(
    expression: str, zone: ZoneInfo, after: datetime, until: datetime
) -> Iterator[tuple[str, datetime]]:
    """Each slot in (after, until]: its local wall-clock key and its UTC moment."""
    start = after.astimezone(zone).replace(tzinfo=None)
    walker = croniter(expression, start)
    while True:
        naive: datetime = walker.get_next(datetime)
        moment = naive.replace(tzinfo=zone).astimezone(UTC)
        if moment > until:
            return
        if moment > after:
            yield naive.isoformat(timespec="minutes"), moment
