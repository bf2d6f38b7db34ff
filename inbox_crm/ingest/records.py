"""Building database rows from a parsed and classified message.

Text from mail is untrusted: NUL characters (which PostgreSQL refuses) are
removed and values are cut to their column's size, so a hostile header can
not make a message unstorable.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from inbox_crm.mail.message import Address, Classification, ParsedMessage
from inbox_crm.storage.models import (
    AttachmentRow,
    BounceRow,
    Message,
    MessageReference,
    MessageSource,
    Participant,
)

ROLES = ("from", "sender", "reply_to", "to", "cc", "bcc")


def message_row(
    parsed: ParsedMessage,
    classification: Classification,
    raw: bytes,
    key: str,
    mailbox_id: int,
    date: datetime,
    date_source: str,
) -> Message:
    """A new Message with its source, participants, attachments and bounces."""
    message = Message(
        mailbox_id=mailbox_id,
        fingerprint=key,
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
        size=len(raw),
        quarantined=False,
        classification_reasons="; ".join(classification.reasons),
    )
    message.source = MessageSource(raw=raw, sha256=hashlib.sha256(raw).hexdigest())
    message.participants = participants(parsed)
    message.attachments = [
        AttachmentRow(
            filename=clean(attachment.filename),
            content_type=clean(attachment.content_type, 255) or "",
            size=attachment.size,
            disposition=clean(attachment.disposition, 50),
            content_id=clean(attachment.content_id, 998),
            md5=attachment.md5,
        )
        for attachment in parsed.attachments
    ]
    message.bounces = [
        BounceRow(
            recipient=clean(bounce.recipient.lower(), 320) or "",
            status=clean(bounce.status, 20) or "",
            action=clean(bounce.action, 20) or "",
            diagnostic=clean(bounce.diagnostic) or "",
        )
        for bounce in classification.bounces
    ]
    references = list(parsed.references)
    # A bounce or read receipt belongs with the message it reports on.
    for named in (parsed.in_reply_to, parsed.reported_message_id):
        if named and named not in references:
            references.append(named)
    message.references = [
        MessageReference(referenced=value)
        for value in (clean(referenced, 998) for referenced in references)
        if value
    ]
    return message


def participants(parsed: ParsedMessage) -> list[Participant]:
    rows: list[Participant] = []
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
                Participant(
                    role=role,
                    position=position,
                    address=clean(address.address.lower(), 320) or "",
                    name=clean(address.name) or "",
                    domain=clean(address.domain, 255) or "",
                )
            )
    return rows


def quarantine_row(
    raw: bytes, key: str, mailbox_id: int, date: datetime, reason: str
) -> Message:
    """A Message that keeps only the raw source and why it could not be read."""
    message = Message(
        mailbox_id=mailbox_id,
        fingerprint=key,
        subject="",
        date=date,
        date_source="internaldate",
        size=len(raw),
        quarantined=True,
        quarantine_reason=clean(reason, 2000),
    )
    message.source = MessageSource(raw=raw, sha256=hashlib.sha256(raw).hexdigest())
    return message


def clean(value: str | None, limit: int | None = None) -> str | None:
    """`value` without NUL characters and cut to `limit` characters."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    if limit is not None:
        value = value[:limit]
    return value
