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


def make_bounce(
    *,
    failed: tuple[str, ...] = ("ann@clinet.example",),
    about: str = "<proposal@agency.example>",
    to: str = "maya@agency.example",
    message_id: str = "<bounce-1@mx.agency.example>",
    date: datetime = datetime(2026, 11, 2, 9, 31, tzinfo=UTC),
) -> bytes:
    """An RFC 3464 delivery report: mail `about` failed for each of `failed`."""
    groups = "".join(
        f"\nFinal-Recipient: rfc822; {address}\nAction: failed\nStatus: 5.1.2\n"
        f"Diagnostic-Code: smtp; 550 5.1.2 Host or domain name not found\n"
        for address in failed
    )
    text = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.agency.example>\n"
        f"To: {to}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {format_datetime(date)}\n"
        f"Message-ID: {message_id}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status;\n"
        '\tboundary="=report"\n'
        "\n"
        "--=report\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
        "Your message could not be delivered.\n"
        "\n"
        "--=report\n"
        "Content-Type: message/delivery-status\n"
        "\n"
        "Reporting-MTA: dns; mx.agency.example\n"
        f"{groups}"
        "\n"
        "--=report\n"
        "Content-Type: text/rfc822-headers\n"
        "\n"
        f"From: Maya <{to}>\n"
        f"To: {', '.join(failed)}\n"
        f"Message-ID: {about}\n"
        "\n"
        "--=report--\n"
    )
    return text.replace("\n", "\r\n").encode("ascii")
