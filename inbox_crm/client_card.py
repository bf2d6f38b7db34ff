"""The whole client card: details and mail, with the work done for the client.

The contacts package knows a contact's details and messages; activities,
tickets, rule firings and outreach belong to packages built on top of it,
and this module puts all of them on one card.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.config import Config
from inbox_crm.contacts.card import company_card, contact_card
from inbox_crm.contacts.models import Company, Contact
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.outreach.records import company_outreach, contact_outreach
from inbox_crm.rules.card import card_sections


def contact_client_card(
    session: Session, config: Config, contact: Contact, limit: int
) -> dict[str, Any]:
    """A contact's card: details, mail, activities, tickets, rules, outreach."""
    card = contact_card(session, contact, limit)
    prefix = config.tickets.prefix
    card.update(card_sections(session, prefix, contact_id=contact.id, limit=limit))
    card["outreach"] = contact_outreach(session, contact.id)[:limit]
    mark_sent_by_outbox(session, card["timeline"])
    return card


def company_client_card(
    session: Session, config: Config, company: Company, limit: int
) -> dict[str, Any]:
    """A company's card: details, contacts, mail and the work done for it."""
    card = company_card(session, company, limit)
    prefix = config.tickets.prefix
    card.update(card_sections(session, prefix, company_id=company.id, limit=limit))
    card["outreach"] = company_outreach(session, company.id)[:limit]
    mark_sent_by_outbox(session, card["timeline"])
    return card


def mark_sent_by_outbox(session: Session, timeline: list[dict[str, Any]]) -> None:
    """Give each timeline entry the outbox row that sent it (`outbox_id`, or None)."""
    ids = [entry["message"] for entry in timeline]
    query = select(OutboxRow.stored_message_id, OutboxRow.id).where(
        OutboxRow.stored_message_id.in_(ids)
    )
    sent = {message: row for message, row in session.execute(query)} if ids else {}
    for entry in timeline:
        entry["outbox_id"] = sent.get(entry["message"])
