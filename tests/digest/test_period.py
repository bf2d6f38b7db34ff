"""When a digest is due and what it covers, on both sides of DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from inbox_crm.agent.jobs import daily
from inbox_crm.agent.timing import first_run
from inbox_crm.config import BusinessConfig, DigestConfig, UserConfig
from inbox_crm.digest.models import SKIPPED, DigestRecord
from inbox_crm.digest.period import (
    LONGEST_PERIOD,
    DigestError,
    digest_moment,
    due_day,
    period,
)
from inbox_crm.storage.db import Database, open_database

# Berlin moves to summer time on 29 March 2026 and back on 25 October.
SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)


def berlin(at: time = time(8, 0)) -> UserConfig:
    return UserConfig(
        name="maya",
        email="maya@agency.example",
        business=BusinessConfig(timezone="Europe/Berlin"),
        digest=DigestConfig(enabled=True, at=at),
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_the_digest_time_is_local_on_both_sides_of_each_change() -> None:
    user = berlin()

    assert digest_moment(user, SPRING - timedelta(days=1)) == utc(2026, 3, 28, 7)
    assert digest_moment(user, SPRING) == utc(2026, 3, 29, 6)
    assert digest_moment(user, AUTUMN - timedelta(days=1)) == utc(2026, 10, 24, 6)
    assert digest_moment(user, AUTUMN) == utc(2026, 10, 25, 7)


def test_a_time_the_change_skips_or_repeats_happens_once() -> None:
    user = berlin(time(2, 30))

    # 02:30 does not exist on 29 March: the moment after the gap (03:30 CEST).
    assert digest_moment(user, SPRING) == utc(2026, 3, 29, 1, 30)
    # 02:30 happens twice on 25 October: the first one (CEST) counts.
    assert digest_moment(user, AUTUMN) == utc(2026, 10, 25, 0, 30)


def test_the_due_day_is_the_one_whose_digest_time_came_last() -> None:
    user = berlin()

    assert due_day(user, utc(2026, 3, 29, 5, 59)) == date(2026, 3, 28)
    assert due_day(user, utc(2026, 3, 29, 6, 0)) == SPRING
    assert due_day(user, utc(2026, 3, 29, 21, 59)) == SPRING


@pytest.mark.parametrize("at", [time(8, 0), time(2, 30), time(0, 0), time(23, 30)])
@pytest.mark.parametrize("change", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_the_job_makes_one_digest_a_day_around_a_change(at: time, change: date) -> None:
    user = berlin(at)
    trigger = daily(at, user.business.timezone)
    moment = datetime.combine(change - timedelta(days=3), time(12), UTC)
    fires: list[datetime] = []
    previous = None
    for _ in range(7):
        fire: datetime = trigger.get_next_fire_time(previous, moment)
        fires.append(fire)
        previous = moment = fire

    days = [due_day(user, fire) for fire in fires]
    # One digest for each day in a row, the day of the change among them.
    assert days == [days[0] + timedelta(days=n) for n in range(7)]
    assert change in days
    # Each run happens at the digest time of the day it makes.
    assert [digest_moment(user, day) for day in days] == [
        fire.astimezone(UTC) for fire in fires
    ]


def test_after_downtime_the_catch_up_makes_the_latest_days_digest_once() -> None:
    user = berlin()
    trigger = daily(user.digest.at, user.business.timezone)
    last_run = utc(2026, 3, 25, 7)  # Wednesday's digest
    now = utc(2026, 3, 29, 9)  # back on Sunday after the change, 11:00 CEST

    first = first_run(trigger, last_run, now)

    assert first.at == now
    assert first.missed == utc(2026, 3, 29, 6)
    assert due_day(user, now) == SPRING


@pytest.fixture
def database(db_url: str, tmp_path: Path) -> Database:
    return open_database(db_url)


def record(database: Database, day: date, start: datetime, end: datetime) -> None:
    with database.session() as session, session.begin():
        session.add(
            DigestRecord(
                user="maya",
                day=day,
                period_start=start,
                period_end=end,
                status=SKIPPED,
            )
        )


def test_the_first_digest_looks_back_to_the_day_befores_digest_time(
    database: Database,
) -> None:
    user = berlin()
    now = utc(2026, 3, 29, 6, 0, 5)

    with database.session() as session:
        span = period(session, user, SPRING, now)

    # 23 hours: the night of the change is an hour short.
    assert (span.start, span.end) == (utc(2026, 3, 28, 7), now)
    assert span.end - span.start == timedelta(hours=23, seconds=5)
    database.dispose()


def test_a_digest_starts_where_the_last_one_ended_however_late_it_is(
    database: Database,
) -> None:
    user = berlin()
    record(database, SPRING, utc(2026, 3, 28, 7), utc(2026, 3, 29, 6, 0, 3))
    late = utc(2026, 3, 30, 13)  # made at 15:00, after downtime

    with database.session() as session:
        span = period(session, user, date(2026, 3, 30), late)
        again = period(session, user, SPRING, late)

    assert (span.start, span.end) == (utc(2026, 3, 29, 6, 0, 3), late)
    # A day already made keeps the period it was made with.
    assert (again.start, again.end) == (utc(2026, 3, 28, 7), utc(2026, 3, 29, 6, 0, 3))
    database.dispose()


def test_a_digest_looks_back_a_week_at_most(database: Database) -> None:
    user = berlin()
    record(database, date(2026, 1, 5), utc(2026, 1, 4, 7), utc(2026, 1, 5, 7))
    now = utc(2026, 3, 2, 7, 0)

    with database.session() as session:
        span = period(session, user, date(2026, 3, 2), now)

    assert span.end - span.start == LONGEST_PERIOD
    database.dispose()


def test_a_day_whose_digest_time_is_still_ahead_is_refused(
    database: Database,
) -> None:
    user = berlin()

    with database.session() as session, pytest.raises(DigestError, match="08:00"):
        period(session, user, SPRING, utc(2026, 3, 29, 5, 0))
    database.dispose()


def record_period(
    database: Database, user: UserConfig, day: date, now: datetime
) -> None:
    with database.session() as session:
        span = period(session, user, day, now)
    record(database, day, span.start, span.end)


def recorded_periods(database: Database) -> list[tuple[date, datetime, datetime]]:
    with database.session() as session:
        rows = session.query(DigestRecord).order_by(DigestRecord.day).all()
        return [(row.day, row.period_start, row.period_end) for row in rows]


@pytest.mark.parametrize(
    ("day", "hours"),
    [(SPRING, 23), (AUTUMN, 25), (date(2026, 6, 10), 24)],
    ids=["spring", "autumn", "summer"],
)
def test_a_past_days_digest_covers_its_own_day_only(
    database: Database, day: date, hours: int
) -> None:
    user = berlin()
    now = digest_moment(user, day + timedelta(days=3)) + timedelta(hours=2)

    with database.session() as session:
        span = period(session, user, day, now)

    # From the digest time the day before to that day's digest time, however
    # long the local day is.
    before = digest_moment(user, day - timedelta(days=1))
    assert (span.start, span.end) == (before, digest_moment(user, day))
    assert span.end - span.start == timedelta(hours=hours)


@pytest.mark.parametrize("change", [SPRING, AUTUMN], ids=["spring", "autumn"])
@pytest.mark.parametrize(
    "order",
    [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 0, 3, 1], [4, 0, 2, 1, 3]],
    ids=["forwards", "backwards", "scattered", "due-day-first"],
)
def test_digests_made_in_any_order_tile_time_without_overlap_or_gap(
    database: Database, change: date, order: list[int]
) -> None:
    user = berlin()
    days = [change + timedelta(days=n) for n in range(-2, 3)]
    # The last day is the one due: its digest covers up to the moment it is made.
    now = digest_moment(user, days[-1]) + timedelta(hours=3)

    for index in order:
        record_period(database, user, days[index], now)

    periods = recorded_periods(database)
    assert [day for day, _, _ in periods] == days
    assert periods[0][1] == digest_moment(user, days[0] - timedelta(days=1))
    for (_, _, end), (_, start, _) in pairwise(periods):
        assert end == start
    assert periods[-1][2] == now
    if order in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0]):
        # Made one after the other, each past day covers exactly its own day.
        for day, start, end in periods[:-1]:
            assert (start, end) == (
                digest_moment(user, day - timedelta(days=1)),
                digest_moment(user, day),
            )
    database.dispose()


def test_a_past_day_already_covered_by_its_neighbours_covers_nothing(
    database: Database,
) -> None:
    user = berlin()
    # After downtime, Monday's digest covered the whole weekend.
    record(database, date(2026, 3, 27), utc(2026, 3, 26, 7), utc(2026, 3, 27, 7))
    record(database, date(2026, 3, 30), utc(2026, 3, 27, 7), utc(2026, 3, 30, 9))
    now = utc(2026, 3, 31, 9)

    with database.session() as session:
        span = period(session, user, SPRING, now)

    assert span.start == span.end
    assert utc(2026, 3, 27, 7) <= span.start <= utc(2026, 3, 30, 9)
    database.dispose()
