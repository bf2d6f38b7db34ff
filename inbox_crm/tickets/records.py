"""Tickets as listed and exported: JSON-ready records with stable keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from inbox_crm.export import iso_utc
from inbox_crm.storage.models import Mailbox, Message
from inbox_crm.storage.tracking import RuleFiring, Ticket, TicketEvent, TicketMessage
from inbox_crm.tickets.tokens import ticket_label


def tickets_query(
    status: tuple[str, ...] = (),
    assignee: str | None = None,
    queue: str | None = None,
) -> Select[Ticket]:
    query = select(Ticket)
    if status:
        query = query.where(Ticket.status.in_(status))
    if assignee:
        query = query.where(Ticket.assignee == assignee)
    if queue:
        query = query.where(Ticket.queue == queue)
    return query.order_by(Ticket.number)


def ticket_record(session: Session, ticket: Ticket, prefix: str) -> dict[str, Any]:
    """One ticket: keys are part of the export contract."""
    mailbox = session.get(Mailbox, ticket.mailbox_id)
    messages = session.scalars(
        select(TicketMessage.message_id)
        .join(Message, Message.id == TicketMessage.message_id)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(Message.date, Message.id)
    )
    return {
        "id": ticket.id,
        "number": ticket_label(prefix, ticket.number),
        "status": ticket.status,
        "priority": ticket.priority,
        "queue": ticket.queue,
        "assignee": ticket.assignee,
        "subject": ticket.subject,
        "requester": ticket.requester,
        "mailbox": mailbox.name if mailbox else None,
        "thread_id": ticket.thread_id,
        "contact_id": ticket.contact_id,
        "company_id": ticket.company_id,
        "messages": list(messages),
        "opened_at": iso_utc(ticket.opened_at),
        "updated_at": iso_utc(ticket.updated_at),
        "closed_at": iso_utc(ticket.closed_at) if ticket.closed_at else None,
        "rule": rule_record(session, ticket.rule_id, ticket.firing_id),
    }


def ticket_events(session: Session, ticket: Ticket) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id)
    )
    return [
        {
            "at": iso_utc(event.at),
            "change": event.change,
            "old": event.old,
            "new": event.new,
            "by": event.actor,
            "message_id": event.message_id,
        }
        for event in rows
    ]


def rule_record(
    session: Session, rule_id: str | None, firing_id: int | None
) -> dict[str, Any] | None:
    """The rule that made a record, with its firing: {id, firing_id, trigger, ...}."""
    if rule_id is None:
        return None
    firing = session.get(RuleFiring, firing_id) if firing_id else None
    return {
        "id": rule_id,
        "firing_id": firing_id,
        "trigger": firing.trigger if firing else None,
        "fired_at": iso_utc(firing.fired_at) if firing else None,
    }
