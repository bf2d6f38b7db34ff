"""The JSON Lines records of `inbox-crm export`, with their stable keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from inbox_crm.contacts.models import ParticipantLink
from inbox_crm.storage.models import Message, Participant
from inbox_crm.storage.queries import message_folders

Links = Mapping[int, ParticipantLink]


def message_record(
    message: Message, mailbox: str, links: Links | None = None
) -> dict[str, Any]:
    """One message as exported: keys are part of the public contract.

    Each address carries its link from `links` (participant id to link):
    contact {id, name, address}, company {id, name}, match {method, score},
    each null when there is none.
    """
    roles: dict[str, list[dict[str, Any]]] = {"from": [], "to": [], "cc": []}
    for participant in message.participants:
        if participant.role in roles:
            roles[participant.role].append(_address(participant, links or {}))
    return {
        "id": message.id,
        "message_id": message.message_id,
        "mailbox": mailbox,
        "folders": message_folders(message),
        "date": iso_utc(message.date),
        "date_source": message.date_source,
        "from": roles["from"][0] if roles["from"] else None,
        "to": roles["to"],
        "cc": roles["cc"],
        "subject": message.subject,
        "thread_id": message.thread_id,
        "in_reply_to": message.in_reply_to,
        "direction": message.direction,
        "kind": message.kind,
        "list_id": message.list_id,
        "size": message.size,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments
        ],
        "bounces": [
            {"recipient": b.recipient, "status": b.status, "action": b.action}
            for b in message.bounces
        ],
        "quarantined": message.quarantined,
        "quarantine_reason": message.quarantine_reason,
    }


def message_details(
    message: Message, mailbox: str, links: Links | None = None
) -> dict[str, Any]:
    """The export record with all else stored: body text, every role, reasons."""
    record = message_record(message, mailbox, links)
    record["reply_to"] = [
        _address(p, links or {}) for p in message.participants if p.role == "reply_to"
    ]
    record["bcc"] = [
        _address(p, links or {}) for p in message.participants if p.role == "bcc"
    ]
    record["classification"] = [
        reason for reason in message.classification_reasons.split("; ") if reason
    ]
    record["bounces"] = [
        {
            "recipient": b.recipient,
            "status": b.status,
            "action": b.action,
            "diagnostic": b.diagnostic,
        }
        for b in message.bounces
    ]
    record["has_html"] = message.has_html
    record["text"] = message.text
    return record


def _address(participant: Participant, links: Links) -> dict[str, Any]:
    link = links.get(participant.id)
    contact = link.contact if link else None
    company = link.company if link else None
    return {
        "address": participant.address,
        "name": participant.name,
        "contact": (
            {"id": contact.id, "name": contact.name, "address": contact.primary_address}
            if contact
            else None
        ),
        "company": {"id": company.id, "name": company.name} if company else None,
        "match": (
            {"method": link.method, "score": link.score}
            if link and (contact or company)
            else None
        ),
    }


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, e.g. 2026-12-03T09:15:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
