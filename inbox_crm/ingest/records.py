"""Column values of the rows that store one message, ready for a bulk insert.

Text from mail is untrusted: NUL characters (which PostgreSQL refuses) are
removed and values are cut to their column's size, so a hostile header can
not make a message unstorable. Every row of a kind has the same keys, as an
executemany needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inbox_crm.mail.message import Address, Classification, ParsedMessage

ROLES = ("from", "sender", "reply_to", "to", "cc", "bcc")

Row = dict[str, Any]


@dataclass(frozen=True)
class MessageRows:
    """A new message's own row and its participants, attachments, bounces
    and references; `sha256` is of the raw source, stored beside it."""

    message: Row
    participants: list[Row]
    attachments: list[Row]
    bounces: list[Row]
    references: list[str]
    sha256: str

    @property
    def addresses(self) -> set[str]:
        return {participant["address"] for participant in self.participants}


def message_rows(
    parsed: ParsedMessage,
    classification: Classification,
    sha256: str,
    size: int,
    date: datetime,
    date_source: str,
) -> MessageRows:
    """The rows of a parsed and classified message, without any database ids."""
    message = _message_row(
        message_id=clean(parsed.message_id, 998),
        in_reply_to=clean(parsed.in_reply_to, 998),
        subject=clean(parsed.subject) or "",
        date=date,
        date_source=date_source,
        direction=classification.direction,
        kind=classification.kind,
        list_id=clean(classification.list_id, 500),
        bulk=classification.bulk,
        text=clean(parsed.text) or "",
        has_html=parsed.has_html,
        size=size,
        classification_reasons="; ".join(classification.reasons),
    )
    attachments = [
        {
            "filename": clean(attachment.filename),
            "content_type": clean(attachment.content_type, 255) or "",
            "size": attachment.size,
            "disposition": clean(attachment.disposition, 50),
            "content_id": clean(attachment.content_id, 998),
            "md5": attachment.md5,
        }
        for attachment in parsed.attachments
    ]
    bounces = [
        {
            "recipient": clean(bounce.recipient.lower(), 320) or "",
            "status": clean(bounce.status, 20) or "",
            "action": clean(bounce.action, 20) or "",
            "diagnostic": clean(bounce.diagnostic) or "",
        }
        for bounce in classification.bounces
    ]
    references = list(parsed.references)
    # A bounce or read receipt belongs with the message it reports on.
    for named in (parsed.in_reply_to, parsed.reported_message_id):
        if named and named not in references:
            references.append(named)
    cleaned = (clean(referenced, 998) for referenced in references)
    return MessageRows(
        message=message,
        participants=participants(parsed),
        attachments=attachments,
        bounces=bounces,
        references=[value for value in cleaned if value],
        sha256=sha256,
    )


def participants(parsed: ParsedMessage) -> list[Row]:
    rows: list[Row] = []
    by_role: dict[str, list[Address]] = {
        "from": [parsed.from_] if parsed.from_ else [],
        "sender": [parsed.sender] if parsed.sender else [],
        "reply_to": parsed.reply_to,
        "to": parsed.to,
        "cc": parsed.cc,
        "bcc": parsed.bcc,
    }
    for role in ROLES:
        for position, address in enumerate(by_role[role]):
            rows.append(
                {
                    "role": role,
                    "position": position,
                    "address": clean(address.address.lower(), 320) or "",
                    "name": clean(address.name) or "",
                    "domain": clean(address.domain, 255) or "",
                }
            )
    return rows


def quarantine_row(size: int, date: datetime, reason: str) -> Row:
    """The row of a message that keeps only its raw source and why it is unread."""
    return _message_row(
        subject="",
        date=date,
        date_source="internaldate",
        size=size,
        quarantined=True,
        quarantine_reason=clean(reason, 2000),
    )


def _message_row(**values: Any) -> Row:
    row: Row = {
        "message_id": None,
        "in_reply_to": None,
        "direction": "inbound",
        "kind": "normal",
        "list_id": None,
        "bulk": False,
        "text": "",
        "has_html": False,
        "quarantined": False,
        "quarantine_reason": None,
        "classification_reasons": "",
    }
    row.update(values)
    return row


def clean(value: str | None, limit: int | None = None) -> str | None:
    """`value` without NUL characters and cut to `limit` characters."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    if limit is not None:
        value = value[:limit]
    return value
