"""Durations as rules write them: "48 hours", "3 business days", "30 minutes"."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = ("minutes", "hours", "days", "weeks", "business hours", "business days")
_PATTERN = re.compile(
    r"^\s*(\d+)\s+(business\s+)?(minute|hour|day|week)s?\s*$", re.IGNORECASE
)


class DurationError(ValueError):
    """A duration that is not a number followed by a known unit."""


@dataclass(frozen=True)
class Duration:
    """An amount of one unit; business units count only open business time."""

    amount: int
    unit: str

    @property
    def business(self) -> bool:
        return self.unit.startswith("business")

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {unit}"


def parse_duration(text: str) -> Duration:
    """Read "3 business days" and the like; raise DurationError otherwise."""
    match = _PATTERN.match(text)
    if match is None:
        raise DurationError(
            f"{text!r} is not a duration; write a number and a unit: "
            + ", ".join(UNITS)
        )
    amount, business, unit = match.groups()
    unit = unit.lower() + "s"
    if business:
        if unit not in ("hours", "days"):
            raise DurationError(f"{text!r}: business time counts in hours or days only")
        unit = "business " + unit
    return Duration(int(amount), unit)
