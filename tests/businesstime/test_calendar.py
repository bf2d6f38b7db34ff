"""Business-day and business-hour arithmetic across weekends, holidays and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from inbox_crm.businesstime.calendar import BusinessCalendar
from inbox_crm.businesstime.durations import DurationError, parse_duration
from inbox_crm.config import BusinessConfig

BERLIN = BusinessConfig(timezone="Europe/Berlin", country="DE")


def berlin(*parts: int) -> datetime:
    """A Berlin wall-clock time as an aware datetime (zoneinfo resolves DST)."""
    calendar = BusinessCalendar(BERLIN)
    return datetime(*parts, tzinfo=calendar.zone)  # type: ignore[misc]


def add(start: datetime, text: str, config: BusinessConfig = BERLIN) -> datetime:
    return BusinessCalendar(config).add(start, parse_duration(text))


def test_business_days_skip_the_weekend() -> None:
    friday = berlin(2026, 11, 6, 15, 0)
    assert add(friday, "1 business day") == berlin(2026, 11, 9, 15, 0)
    assert add(friday, "3 business days") == berlin(2026, 11, 11, 15, 0)


def test_business_days_skip_public_holidays() -> None:
    # Wednesday 23 Dec + 2 business days: 24 Dec is a weekday, 25 and 26 are
    # holidays, the 27th a Sunday.
    assert add(berlin(2026, 12, 23, 10), "2 business days") == berlin(2026, 12, 28, 10)


def test_a_region_adds_its_own_holidays() -> None:
    bavaria = BusinessConfig(timezone="Europe/Berlin", country="DE", subdivision="BY")
    monday = berlin(2026, 1, 5, 10)  # 6 January: Epiphany in Bavaria, not in Berlin
    assert add(monday, "1 business day") == berlin(2026, 1, 6, 10)
    assert add(monday, "1 business day", bavaria) == berlin(2026, 1, 7, 10)


def test_a_start_outside_business_hours_counts_from_the_next_opening() -> None:
    saturday = berlin(2026, 11, 7, 11, 0)
    assert add(saturday, "1 business day") == berlin(2026, 11, 10, 9, 0)
    evening = berlin(2026, 11, 9, 20, 0)
    assert add(evening, "1 business day") == berlin(2026, 11, 11, 9, 0)


def test_business_days_keep_the_local_time_across_the_autumn_change() -> None:
    # Clocks go back on Sunday 25 October 2026: 15:00 stays 15:00 local.
    friday = berlin(2026, 10, 23, 15, 0)
    monday = add(friday, "1 business day")
    assert monday.astimezone(UTC) == datetime(2026, 10, 26, 14, 0, tzinfo=UTC)
    assert friday.astimezone(UTC) == datetime(2026, 10, 23, 13, 0, tzinfo=UTC)


def test_business_days_keep_the_local_time_across_the_spring_change() -> None:
    friday = berlin(2026, 3, 27, 9, 0)
    monday = add(friday, "1 business day")
    assert monday.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_calendar_days_are_wall_clock_days_but_hours_are_elapsed() -> None:
    saturday = berlin(2026, 3, 28, 12, 0)
    assert add(saturday, "1 day") == berlin(2026, 3, 29, 12, 0)
    # 24 elapsed hours over the spring change end at 13:00 local.
    assert add(saturday, "24 hours").astimezone(UTC) == datetime(
        2026, 3, 29, 11, 0, tzinfo=UTC
    )
    assert add(saturday, "24 hours") == berlin(2026, 3, 29, 13, 0)


def test_business_hours_carry_over_to_the_next_business_day() -> None:
    friday = berlin(2026, 11, 6, 15, 0)
    # 2 hours on Friday (until 17:00), 2 more from Monday 09:00.
    assert add(friday, "4 business hours") == berlin(2026, 11, 9, 11, 0)
    assert add(friday, "2 business hours") == berlin(2026, 11, 6, 17, 0)


def test_business_hours_across_the_autumn_change_count_open_time_only() -> None:
    friday = berlin(2026, 10, 23, 16, 0)
    result = add(friday, "3 business hours")
    assert result == berlin(2026, 10, 26, 11, 0)
    assert result.astimezone(UTC) == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


def test_custom_days_and_hours() -> None:
    config = BusinessConfig(
        timezone="America/New_York",
        country="US",
        days=(0, 1, 2, 3),
        start=time(8, 0),
        end=time(12, 0),
    )
    calendar = BusinessCalendar(config)
    friday = datetime(2026, 11, 6, 10, 0, tzinfo=calendar.zone)
    assert not calendar.is_business_day(date(2026, 11, 6))
    assert add(friday, "1 business day", config) == datetime(
        2026, 11, 10, 8, 0, tzinfo=calendar.zone
    )
    assert calendar.holiday(date(2026, 11, 26)) == "Thanksgiving Day"


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("3 business days", 3, "business days"),
        ("1 Business Day", 1, "business days"),
        ("48 hours", 48, "hours"),
        ("30 minutes", 30, "minutes"),
        ("2 weeks", 2, "weeks"),
        ("4 business hours", 4, "business hours"),
    ],
)
def test_durations_read_as_written(text: str, amount: int, unit: str) -> None:
    duration = parse_duration(text)
    assert (duration.amount, duration.unit) == (amount, unit)


@pytest.mark.parametrize(
    "text", ["three days", "3", "3 fortnights", "2 business weeks"]
)
def test_bad_durations_say_what_is_allowed(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)
