"""A business calendar: open days and hours in one timezone, minus holidays.

All arithmetic happens on local dates and wall-clock times, converted to UTC
only at the end, so a change to or from daylight saving time neither
shortens nor lengthens a business day, and "1 day" after 09:00 is 09:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from inbox_crm.businesstime.durations import Duration
from inbox_crm.config import BusinessConfig

if TYPE_CHECKING:
    from holidays import HolidayBase

# A search for the next open day gives up after this many days: a calendar
# whose every day is a holiday is a configuration mistake, not a loop.
_SEARCH_DAYS = 3660


class BusinessCalendar:
    """Open business time for one user (or the configuration's default)."""

    def __init__(self, config: BusinessConfig) -> None:
        self.zone = ZoneInfo(config.timezone)
        self.days = frozenset(config.days)
        self.start = config.start
        self.end = config.end
        self.holidays: HolidayBase | None = None
        if config.country:
            # Imported only for a calendar with a country: the library is large.
            import holidays

            self.holidays = holidays.country_holidays(
                config.country, subdiv=config.subdivision
            )

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, day: date, clock: time) -> datetime:
        """The UTC moment of a local wall-clock time; a time in a gap moves on."""
        local = datetime.combine(day, clock, self.zone)
        return local.astimezone(UTC)

    def holiday(self, day: date) -> str | None:
        if self.holidays is None:
            return None
        name = self.holidays.get(day)
        return str(name) if name else None

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.days and self.holiday(day) is None

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        if not self.is_business_day(local.date()):
            return False
        return self.start <= local.time() < self.end

    def next_business_day(self, day: date) -> date:
        """The first business day after `day`."""
        for offset in range(1, _SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError("no business day within ten years: check business.days")

    def next_open(self, moment: datetime) -> datetime:
        """`moment` if business is open then, else the next opening."""
        local = self.local(moment)
        day = local.date()
        if self.is_business_day(day):
            if local.time() < self.start:
                return self.at(day, self.start)
            if local.time() < self.end:
                return moment.astimezone(UTC)
        return self.at(self.next_business_day(day), self.start)

    def add(self, moment: datetime, duration: Duration) -> datetime:
        """The moment `duration` after `moment`, in UTC."""
        # Elapsed time is added in UTC: aware arithmetic in a local zone would
        # add wall-clock time and be an hour off across a DST change.
        if duration.unit == "minutes":
            return moment.astimezone(UTC) + timedelta(minutes=duration.amount)
        if duration.unit == "hours":
            return moment.astimezone(UTC) + timedelta(hours=duration.amount)
        if duration.unit in ("days", "weeks"):
            days = duration.amount * (7 if duration.unit == "weeks" else 1)
            local = self.local(moment)
            return self.at(local.date() + timedelta(days=days), local.time())
        if duration.unit == "business days":
            return self.add_business_days(moment, duration.amount)
        return self.add_business_hours(moment, duration.amount)

    def add_business_days(self, moment: datetime, count: int) -> datetime:
        """The same local time `count` business days on, from the next opening."""
        local = self.local(self.next_open(moment))
        day = local.date()
        for _ in range(count):
            day = self.next_business_day(day)
        return self.at(day, local.time())

    def add_business_hours(self, moment: datetime, hours: int) -> datetime:
        """The moment when `hours` of open business time have passed."""
        remaining = timedelta(hours=hours)
        current = self.next_open(moment).astimezone(UTC)
        while True:
            local = self.local(current)
            closing = self.at(local.date(), self.end)
            available = closing - current
            if remaining <= available:
                return current.astimezone(UTC) + remaining
            remaining -= available
            current = self.at(self.next_business_day(local.date()), self.start)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The UTC start and end of a local calendar day."""
        return self.at(day, time(0)), self.at(day + timedelta(days=1), time(0))
