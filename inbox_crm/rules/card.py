"""What the client card shows of the work on a contact or company.

`card_sections` gives the activities, tickets and rule firings about one
contact or company as plain data, for the card to merge into its own
(`card.update(card_sections(...))`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.activities.records import activity_record
from inbox_crm.export import iso_utc
from inbox_crm.storage.tracking import Activity, RuleFiring, Ticket
from inbox_crm.tickets.records import ticket_record


def card_sections(
    session: Session,
    prefix: str,
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """Open and recent activities, tickets and firings, newest first."""
    if (contact_id is None) == (company_id is None):
        raise ValueError("give a contact_id or a company_id")
    if contact_id is not None:
        about = (
            Activity.contact_id == contact_id,
            Ticket.contact_id == contact_id,
            RuleFiring.contact_id == contact_id,
        )
    else:
        about = (
            Activity.company_id == company_id,
            Ticket.company_id == company_id,
            RuleFiring.company_id == company_id,
        )
    activities = session.scalars(
        select(Activity)
        .where(about[0])
        .order_by((Activity.status == "open").desc(), Activity.id.desc())
        .limit(limit)
    )
    tickets = session.scalars(
        select(Ticket).where(about[1]).order_by(Ticket.number.desc()).limit(limit)
    )
    firings = session.scalars(
        select(RuleFiring)
        .where(about[2])
        .order_by(RuleFiring.fired_at.desc(), RuleFiring.id.desc())
        .limit(limit)
    )
    return {
        "activities": [activity_record(session, a, prefix) for a in activities],
        "tickets": [ticket_record(session, t, prefix) for t in tickets],
        "rule_firings": [
            {
                "rule": firing.rule_id,
                "trigger": firing.trigger,
                "fired_at": iso_utc(firing.fired_at),
                "status": firing.status,
                "message_id": firing.message_id,
                "ticket_id": firing.ticket_id,
            }
            for firing in firings
        ],
    }
