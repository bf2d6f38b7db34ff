"""The JSON records of outbox rows and suppressions, and the client cards' lists.

The keys are part of the public contract (`--format json`, the README).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.models import CompanyDomain, Contact, ContactAddress
from inbox_crm.export import iso_utc
from inbox_crm.outreach.models import OutboxRow, Suppression


def outbox_record(row: OutboxRow, *, full: bool = False) -> dict[str, Any]:
    """One outbox row; `full` adds the text and HTML parts."""
    record: dict[str, Any] = {
        "id": row.id,
        "status": row.status,
        "kind": row.kind,
        "template": row.template,
        "rule": row.rule,
        "contact_id": row.contact_id,
        "to": {"address": row.to_address, "name": row.to_name},
        "from": {"address": row.from_address, "name": row.from_name},
        "subject": row.subject,
        "message_id": row.message_id,
        "in_reply_to": row.in_reply_to,
        "thread_id": row.thread_id,
        "send_at": _iso(row.send_at),
        "due_at": _iso(row.due_at),
        "attempts": row.attempts,
        "last_attempt_at": _iso(row.last_attempt_at),
        "sent_at": _iso(row.sent_at),
        "smtp_reply": row.smtp_reply,
        "filed": row.filed_at is not None,
        "stored_message_id": row.stored_message_id,
        "reason": row.reason,
        "created_at": _iso(row.created_at),
    }
    if full:
        record["text"] = row.text
        record["html"] = row.html
    return record


def suppression_record(entry: Suppression) -> dict[str, Any]:
    return {
        "address": entry.address,
        "reason": entry.reason,
        "detail": entry.detail,
        "source_message_id": entry.source_message_id,
        "outbox_id": entry.outbox_id,
        "created_at": _iso(entry.created_at),
        "removed_at": _iso(entry.removed_at),
    }


def contact_outreach(session: Session, contact_id: int) -> list[dict[str, Any]]:
    """The client card's outreach: every row to the contact or its addresses,
    newest first, as outbox records."""
    addresses = select(ContactAddress.address).where(
        ContactAddress.contact_id == contact_id
    )
    query = (
        select(OutboxRow)
        .where(
            or_(
                OutboxRow.contact_id == contact_id,
                func.lower(OutboxRow.to_address).in_(addresses),
            )
        )
        .order_by(OutboxRow.created_at.desc(), OutboxRow.id.desc())
    )
    return [outbox_record(row) for row in session.scalars(query)]


def company_outreach(session: Session, company_id: int) -> list[dict[str, Any]]:
    """The company card's outreach: rows to its contacts or to its domains."""
    contacts = select(Contact.id).where(Contact.company_id == company_id)
    domains = select(CompanyDomain.domain).where(CompanyDomain.company_id == company_id)
    query = (
        select(OutboxRow)
        .where(
            or_(
                OutboxRow.contact_id.in_(contacts),
                OutboxRow.recipient_domain.in_(domains),
            )
        )
        .order_by(OutboxRow.created_at.desc(), OutboxRow.id.desc())
    )
    return [outbox_record(row) for row in session.scalars(query)]


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment is not None else None
