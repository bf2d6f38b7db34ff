"""Ticket numbers as people see them: T-1042, and [T-1042] in a subject."""

from __future__ import annotations

import re

STATUSES = ("open", "pending", "solved", "closed")


def ticket_label(prefix: str, number: int) -> str:
    return f"{prefix}-{number}"


def ticket_token(prefix: str, number: int) -> str:
    """The token that replies carry in their subject."""
    return f"[{ticket_label(prefix, number)}]"


def subject_with_token(subject: str, prefix: str, number: int) -> str:
    """`subject` with the ticket's token, added once."""
    if number in tokens_in(subject, prefix):
        return subject
    return f"{subject} {ticket_token(prefix, number)}".strip()


def tokens_in(subject: str, prefix: str) -> list[int]:
    """The ticket numbers named by tokens in `subject` ([T-12], [t#12], [T 12])."""
    pattern = re.compile(
        rf"\[\s*{re.escape(prefix)}\s*[-#: ]?\s*(\d{{1,9}})\s*\]", re.I
    )
    return [int(number) for number in pattern.findall(subject)]


def parse_label(text: str, prefix: str) -> int | None:
    """The number in "T-1042", "[T-1042]" or plain "1042"; None otherwise."""
    value = text.strip().strip("[]").strip()
    if value.isdigit():
        return int(value)
    match = re.fullmatch(rf"{re.escape(prefix)}\s*[-#: ]?\s*(\d+)", value, re.I)
    return int(match.group(1)) if match else None
