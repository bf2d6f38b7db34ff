"""The digest's work sections: follow-ups due, open tickets, possible leads,
what the rules did, and the notes rules left for the user."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from inbox_crm.contacts.bounced import only_bounced
from inbox_crm.contacts.models import Company, Contact, ReviewItem
from inbox_crm.digest.scope import Scope
from inbox_crm.storage.tracking import Activity, Notification, RuleFiring, Ticket
from inbox_crm.tickets.tokens import ticket_label

PRIORITIES = ("urgent", "high", "normal", "low")
LISTED = 20


def activities_due(session: Session, scope: Scope) -> dict[str, Any]:
    """Open activities of the user (or of no one) due today or overdue.

    Overdue: due before the start of the digest's local day; today: during it.
    """
    day_start = _local_midnight(scope, 0)
    day_end = _local_midnight(scope, 1)
    query = (
        select(Activity, Contact.name)
        .outerjoin(Contact, Contact.id == Activity.contact_id)
        .where(
            Activity.status == "open",
            Activity.due_at.is_not(None),
            Activity.due_at < day_end,
            _mine(scope, Activity.assignee),
        )
        .order_by(Activity.due_at, Activity.id)
    )
    overdue: list[dict[str, Any]] = []
    today: list[dict[str, Any]] = []
    for activity, contact in session.execute(query):
        assert activity.due_at is not None
        line = {
            "id": activity.id,
            "kind": activity.kind.replace("_", "-"),
            "title": activity.title,
            "contact": contact,
            "due": scope.when(activity.due_at),
            "late": scope.age(activity.due_at) if activity.due_at < scope.now else "",
        }
        (overdue if activity.due_at < day_start else today).append(line)
    return {
        "count": len(overdue) + len(today),
        "overdue": overdue[:LISTED],
        "overdue_count": len(overdue),
        "today": today[:LISTED],
        "today_count": len(today),
    }


def open_tickets(session: Session, scope: Scope) -> dict[str, Any]:
    """Open and pending tickets of the user, or unassigned in their mailboxes."""
    query = (
        select(Ticket)
        .where(
            Ticket.status.in_(("open", "pending")),
            or_(
                Ticket.assignee == scope.user.name,
                Ticket.assignee.is_(None) & scope.in_mailboxes(Ticket.mailbox_id),
            ),
        )
        .order_by(Ticket.opened_at, Ticket.id)
    )
    groups: dict[str, list[dict[str, Any]]] = {}
    for ticket in session.scalars(query):
        groups.setdefault(ticket.priority, []).append(
            {
                "number": ticket_label(scope.ticket_prefix, ticket.number),
                "subject": ticket.subject or "(no subject)",
                "status": ticket.status,
                "requester": ticket.requester,
                "age": scope.age(ticket.opened_at),
            }
        )
    order = [*PRIORITIES, *sorted(set(groups) - set(PRIORITIES))]
    return {
        "count": sum(len(tickets) for tickets in groups.values()),
        "by_priority": [
            {"priority": name, "count": len(groups[name]), "tickets": groups[name]}
            for name in order
            if name in groups
        ],
    }


def new_senders(session: Session, scope: Scope) -> dict[str, Any]:
    """Possible leads: contacts created from mail, and addresses waiting for review.

    A contact whose addresses only bounced is left out (see `only_bounced`).
    """
    start, end = scope.period.start, scope.period.end
    created = session.execute(
        select(Contact, Company.name)
        .outerjoin(Company, Company.id == Contact.company_id)
        .where(
            Contact.source == "auto",
            Contact.created_at >= start,
            Contact.created_at < end,
            # A mistyped address that bounced is no new person.
            ~only_bounced(),
        )
        .order_by(Contact.created_at, Contact.id)
    ).all()
    reviews = session.execute(
        select(ReviewItem, Contact.name)
        .join(Contact, Contact.id == ReviewItem.contact_id)
        .where(
            ReviewItem.status == "pending",
            ReviewItem.created_at >= start,
            ReviewItem.created_at < end,
        )
        .order_by(ReviewItem.score.desc(), ReviewItem.id)
    ).all()
    contacts = [
        {
            "id": contact.id,
            "name": contact.name or contact.primary_address or "",
            "address": contact.primary_address or "",
            "company": company,
        }
        for contact, company in created
    ]
    review = [
        {
            "id": item.id,
            "address": item.address,
            "name": item.name,
            "candidate": candidate,
            "score": round(item.score * 100),  # a percentage; stored 0 to 1
        }
        for item, candidate in reviews
    ]
    return {
        "count": len(contacts) + len(review),
        "contacts": contacts[:LISTED],
        "contacts_count": len(contacts),
        "review": review[:LISTED],
        "review_count": len(review),
    }


def rule_firings(session: Session, scope: Scope) -> dict[str, Any]:
    """Each rule that fired during the period: how often, what it did, failures."""
    query = (
        select(RuleFiring.rule_id, RuleFiring.status, RuleFiring.actions)
        .where(
            RuleFiring.fired_at >= scope.period.start,
            RuleFiring.fired_at < scope.period.end,
        )
        .order_by(RuleFiring.rule_id, RuleFiring.id)
    )
    rules: dict[str, dict[str, Any]] = {}
    for rule_id, status, actions in session.execute(query):
        entry = rules.setdefault(
            rule_id, {"rule": rule_id, "fired": 0, "failed": 0, "done": Counter()}
        )
        entry["fired"] += 1
        if status == "failed":
            entry["failed"] += 1
            continue
        for action in json.loads(actions or "[]"):
            name = action.get("action")
            if name and name not in ("note", "stop"):
                entry["done"][name] += 1
    listed = []
    for entry in rules.values():
        done = entry.pop("done")
        entry["actions"] = ", ".join(
            f"{count} {name}" for name, count in sorted(done.items())
        )
        listed.append(entry)
    return {
        "count": sum(entry["fired"] for entry in listed),
        "failed": sum(entry["failed"] for entry in listed),
        "rules": sorted(listed, key=lambda e: (-e["fired"], e["rule"])),
    }


def notifications(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Unread notes rules left for the user during the period."""
    query = (
        select(Notification)
        .where(
            Notification.user == scope.user.name,
            Notification.read_at.is_(None),
            Notification.created_at >= scope.period.start,
            Notification.created_at < scope.period.end,
        )
        .order_by(Notification.created_at, Notification.id)
    )
    return [
        {"text": note.text, "when": scope.when(note.created_at)}
        for note in session.scalars(query.limit(LISTED))
    ]


def _mine(
    scope: Scope, column: InstrumentedAttribute[str | None]
) -> ColumnElement[bool]:
    return or_(column == scope.user.name, column.is_(None))


def _local_midnight(scope: Scope, days: int) -> datetime:
    """The start of the digest's local day, `days` days on, as a UTC moment."""
    day = scope.period.day + timedelta(days=days)
    return datetime.combine(day, time(0)).replace(tzinfo=scope.zone)
