"""Building test messages: small, explicit, written for each test."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime


def make_message(
    *,
    sender: str = "Ann Client <ann@client.example>",
    to: str = "Maya <maya@agency.example>",
    subject: str = "Project kickoff",
    body: str = "Hello,\nshall we start on Monday?\n",
    message_id: str | None = "<kickoff-1@client.example>",
    date: datetime | None = datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """The bytes of one message with exactly the headers asked for."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if date is not None:
        message["Date"] = format_datetime(date)
    if message_id is not None:
        message["Message-ID"] = message_id
    if in_reply_to is not None:
        message["In-Reply-To"] = in_reply_to
    if references is not None:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()
