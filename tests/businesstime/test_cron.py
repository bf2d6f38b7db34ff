"""Cron slots in local time: once per wall-clock slot across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from inbox_crm.businesstime.cron import CronError, check_cron, slots

BERLIN = ZoneInfo("Europe/Berlin")


def run(expression: str, start: datetime, end: datetime) -> list[str]:
    return [key for key, _ in slots(expression, BERLIN, start, end)]


def test_a_daily_slot_in_the_repeated_autumn_hour_fires_once() -> None:
    keys = run(
        "30 2 * * *",
        datetime(2026, 10, 23, 12, tzinfo=UTC),
        datetime(2026, 10, 27, 12, tzinfo=UTC),
    )
    assert keys == [
        "2026-10-24T02:30",
        "2026-10-25T02:30",
        "2026-10-26T02:30",
        "2026-10-27T02:30",
    ]


def test_a_daily_slot_in_the_spring_gap_fires_after_the_jump() -> None:
    moments = list(
        slots(
            "30 2 * * *",
            BERLIN,
            datetime(2026, 3, 28, 12, tzinfo=UTC),
            datetime(2026, 3, 30, 12, tzinfo=UTC),
        )
    )
    assert [key for key, _ in moments] == ["2026-03-29T02:30", "2026-03-30T02:30"]
    # 02:30 does not exist on the 29th: the slot comes at 03:30 CEST.
    assert moments[0][1] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_weekday_morning_job_never_skips_or_doubles_a_day() -> None:
    keys = run(
        "0 9 * * mon-fri",
        datetime(2026, 10, 19, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    assert len(keys) == 10
    assert len(set(keys)) == 10


def test_the_window_is_open_at_its_start_and_closed_at_its_end() -> None:
    nine = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert run("0 9 * * *", nine, nine) == []
    assert run("0 9 * * *", nine.replace(hour=7), nine) == ["2026-11-02T09:00"]


@pytest.mark.parametrize("expression", ["0 9 * *", "61 9 * * *", "0 9 * * funday"])
def test_bad_cron_lines_are_refused(expression: str) -> None:
    with pytest.raises(CronError):
        check_cron(expression)
