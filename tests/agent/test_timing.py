"""The first run after a start: missed runs coalesced, rhythm kept, DST respected."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from inbox_crm.agent.jobs import daily, every
from inbox_crm.agent.timing import first_run
from inbox_crm.imap.idle import reconnect_delay

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_job_that_never_ran_waits_for_its_trigger() -> None:
    trigger = every(3600)

    first = first_run(trigger, None, NOW)

    assert first.missed is None
    assert first.at is not None and first.at > NOW


def test_many_missed_runs_become_one_run_now() -> None:
    last = NOW - 10 * HOUR - timedelta(minutes=5)

    first = first_run(every(3600), last, NOW)

    assert first.at == NOW
    # One catch-up run stands for all ten, as for the latest of them.
    assert first.missed == last + 10 * HOUR


def test_a_run_not_yet_due_keeps_the_rhythm_of_the_last_one() -> None:
    last = NOW - timedelta(minutes=20)

    first = first_run(every(3600), last, NOW)

    assert first.missed is None
    assert first.at == last + HOUR


def test_a_run_later_than_its_grace_is_skipped_to_the_next_due_time() -> None:
    trigger = daily(time(8, 0), "UTC")
    last = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    late = first_run(trigger, last, NOW, misfire_grace=3600)
    forgiven = first_run(trigger, last, NOW)

    assert late.missed is None
    assert late.at == datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    assert forgiven.at == NOW
    assert forgiven.missed == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_grace_counts_from_the_latest_missed_run() -> None:
    trigger = daily(time(8, 0), "UTC")
    last = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

    # Down for two weeks; this morning's run is four hours late.
    first = first_run(trigger, last, NOW, misfire_grace=6 * 3600)

    assert first.at == NOW
    assert first.missed == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_a_job_run_at_start_runs_now_whatever_its_history() -> None:
    first = first_run(every(3600), NOW - timedelta(minutes=1), NOW, run_at_start=True)

    assert first.at == NOW


def test_a_daily_trigger_keeps_local_time_across_both_dst_changes() -> None:
    trigger = daily(time(8, 0), "Europe/Berlin")

    def next_after(moment: datetime) -> datetime:
        fire: datetime = trigger.get_next_fire_time(None, moment)
        return fire.astimezone(UTC)

    # Berlin moves to summer time on 29 March 2026 and back on 25 October.
    before_spring = next_after(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    after_spring = next_after(before_spring + timedelta(minutes=1))
    before_autumn = next_after(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    after_autumn = next_after(before_autumn + timedelta(minutes=1))

    assert before_spring == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert after_spring == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert before_autumn == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    assert after_autumn == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)


def test_reconnect_delays_grow_from_a_second_up_to_the_ceiling() -> None:
    chance = random.Random(7)

    delays = [reconnect_delay(failures, 30, chance) for failures in range(1, 9)]

    assert 0.5 <= delays[0] <= 1.0
    assert 4.0 <= delays[3] <= 8.0
    assert all(15.0 <= delay <= 30.0 for delay in delays[5:])
    assert reconnect_delay(0, 30, chance) == 0.0


def test_a_daily_time_that_the_autumn_change_repeats_fires_once() -> None:
    trigger = daily(time(2, 30), "Europe/Berlin")
    moment = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)

    fires = []
    previous = None
    for _ in range(3):
        fire: datetime = trigger.get_next_fire_time(previous, moment)
        fires.append(fire.astimezone(UTC))
        previous = moment = fire

    # 02:30 CEST on the 25th; its repeat at 02:30 CET is not a second run.
    assert fires == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
        datetime(2026, 10, 27, 1, 30, tzinfo=UTC),
    ]


def test_a_daily_run_caught_up_before_its_time_still_runs_that_day() -> None:
    trigger = daily(time(8, 0), "Europe/Berlin")
    caught_up = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # 06:00 local

    following: datetime = trigger.get_next_fire_time(caught_up, caught_up)

    assert following.astimezone(UTC) == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
