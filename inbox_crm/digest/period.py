"""When a user's digest is due, and the stretch of time each digest covers.

A digest belongs to a local day: the one whose digest time came last. It
covers the time from the end of the user's previous digest (or, for the first
one, from the digest time the day before) to the moment it is made, so that
two digests never share a message and none falls between them, however late
a digest is made after downtime.

A past day's digest (one made after the next day's digest time) ends at its
own day's digest time, where the next day's digest begins, and never reaches
into a digest already made for a later day: digests made in any order tile
time without overlap or gap. Where the neighbouring digests already cover
its time, its period is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.config import UserConfig
from inbox_crm.digest.models import DigestRecord
from inbox_crm.errors import InboxCrmError

# However long since the last digest, one digest looks back at most this far.
LONGEST_PERIOD = timedelta(days=7)


class DigestError(InboxCrmError):
    """A digest cannot be made as asked (an unknown user, a day to come)."""


@dataclass(frozen=True)
class Period:
    """The local day a digest is for and the UTC moments it covers [start, end)."""

    day: date
    start: datetime
    end: datetime


def zone_of(user: UserConfig) -> ZoneInfo:
    return ZoneInfo(user.business.timezone)


def digest_moment(user: UserConfig, day: date) -> datetime:
    """The UTC moment of the user's digest time on a local day.

    A time that a change to summer time skips is the moment after the gap; a
    time that the change back repeats is its first occurrence.
    """
    local = datetime.combine(day, user.digest.at).replace(tzinfo=zone_of(user))
    return local.astimezone(UTC)


def due_day(user: UserConfig, now: datetime) -> date:
    """The local day of the latest digest time at or before `now`."""
    today = now.astimezone(zone_of(user)).date()
    if now >= digest_moment(user, today):
        return today
    return today - timedelta(days=1)


def period(session: Session, user: UserConfig, day: date, now: datetime) -> Period:
    """The period of the user's digest for `day`: as recorded, or as it would be now."""
    query = select(DigestRecord).where(
        DigestRecord.user == user.name, DigestRecord.day == day
    )
    recorded = session.scalars(query).first()
    if recorded is not None:
        return Period(day, recorded.period_start, recorded.period_end)
    if digest_moment(user, day) > now:
        raise DigestError(
            f"the digest of {user.name} for {day.isoformat()} is due at "
            f"{user.digest.at:%H:%M} ({user.business.timezone}) that day; "
            "choose that day or an earlier one"
        )

    end = now if day == due_day(user, now) else digest_moment(user, day)
    later = _neighbour(session, user, day, later=True)
    if later is not None:
        end = min(end, later)
    start = _neighbour(session, user, day, later=False)
    if start is None:
        start = digest_moment(user, day - timedelta(days=1))
    start = min(max(start, end - LONGEST_PERIOD), end)
    return Period(day, start, end)


def _neighbour(
    session: Session, user: UserConfig, day: date, *, later: bool
) -> datetime | None:
    """Where the nearest digest made for a later day starts, or for an earlier
    day ends; None if there is none."""
    if later:
        query = select(DigestRecord.period_start).where(DigestRecord.day > day)
        query = query.order_by(DigestRecord.day)
    else:
        query = select(DigestRecord.period_end).where(DigestRecord.day < day)
        query = query.order_by(DigestRecord.day.desc())
    return session.scalar(query.where(DigestRecord.user == user.name).limit(1))
