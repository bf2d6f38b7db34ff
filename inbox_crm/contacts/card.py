"""The client card: a contact's or company's details and whole history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.models import Company, Contact, ParticipantLink
from inbox_crm.export import iso_utc
from inbox_crm.storage.models import Message, Participant


def contact_card(session: Session, contact: Contact, limit: int) -> dict[str, Any]:
    """Everything the card shows for one contact, as plain data."""
    linked = ParticipantLink.contact_id == contact.id
    card = contact_details(contact)
    card.update(_history(session, linked, limit))
    return card


def company_card(session: Session, company: Company, limit: int) -> dict[str, Any]:
    """Everything the card shows for one company, as plain data."""
    linked = ParticipantLink.company_id == company.id
    card = company_details(company)
    card["contacts"] = [
        {"id": c.id, "name": c.name, "address": c.primary_address}
        for c in sorted(company.contacts, key=lambda c: (c.name.lower(), c.id))
    ]
    card.update(_history(session, linked, limit))
    return card


def contact_details(contact: Contact) -> dict[str, Any]:
    company = contact.company
    return {
        "id": contact.id,
        "name": contact.name,
        "address": contact.primary_address,
        "addresses": [
            {"address": a.address, "primary": a.primary, "source": a.source}
            for a in contact.addresses
        ],
        "company": {"id": company.id, "name": company.name} if company else None,
        "owner": contact.owner,
        "tags": list(contact.tags or []),
        "phones": list(contact.phones or []),
        "notes": contact.notes,
        "custom_fields": dict(contact.custom_fields or {}),
        "source": contact.source,
        "created_at": iso_utc(contact.created_at),
    }


def company_details(company: Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "domains": [d.domain for d in company.domains],
        "tags": list(company.tags or []),
        "notes": company.notes,
        "source": company.source,
        "created_at": iso_utc(company.created_at),
    }


def _history(
    session: Session, linked: ColumnElement[bool], limit: int
) -> dict[str, Any]:
    """Timeline, last contact each way, and threads awaiting a reply.

    The last message in or out is the newest of the timeline in that
    direction, whoever of the client was on it and in whichever role.
    """
    involved = (
        select(Participant.message_id)
        .join(ParticipantLink, ParticipantLink.participant_id == Participant.id)
        .where(linked)
    )
    timeline = select(Message).where(
        Message.id.in_(involved), Message.quarantined.is_(False)
    )
    total = session.scalar(select(func.count()).select_from(timeline.subquery()))
    newest = session.scalars(timeline.order_by(Message.date.desc()).limit(limit))
    return {
        "message_count": total or 0,
        "last_inbound": _last(session, timeline, "inbound"),
        "last_outbound": _last(session, timeline, "outbound"),
        "awaiting_reply": _awaiting(session, linked),
        "timeline": [_entry(message) for message in newest],
    }


def _last(
    session: Session, timeline: Select[Message], direction: str
) -> dict[str, Any] | None:
    query = timeline.where(Message.direction == direction)
    message = session.scalars(query.order_by(Message.date.desc()).limit(1)).first()
    return _entry(message) if message else None


def _awaiting(session: Session, linked: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Threads whose newest message came from them and has no answer yet."""
    newest = (
        select(Message.thread_id, func.max(Message.date).label("last"))
        .where(Message.thread_id.is_not(None))
        .group_by(Message.thread_id)
        .subquery()
    )
    query = (
        select(Message)
        .join(newest, (newest.c.thread_id == Message.thread_id))
        .join(Participant, Participant.message_id == Message.id)
        .join(ParticipantLink, ParticipantLink.participant_id == Participant.id)
        .where(
            linked,
            Message.date == newest.c.last,
            Message.direction == "inbound",
            Message.kind == "normal",
            Participant.role == "from",
        )
        .order_by(Message.date.desc())
    )
    return [_entry(message) for message in session.scalars(query).unique()]


def _entry(message: Message) -> dict[str, Any]:
    return {
        "message": message.id,
        "date": iso_utc(message.date),
        "direction": message.direction,
        "kind": message.kind,
        "subject": message.subject,
        "thread_id": message.thread_id,
    }
