"""Activities as listed and exported, and the due-date windows of the listing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from inbox_crm.businesstime.calendar import BusinessCalendar
from inbox_crm.export import iso_utc
from inbox_crm.storage.tracking import Activity, Ticket
from inbox_crm.tickets.records import rule_record
from inbox_crm.tickets.tokens import ticket_label

DUE_WINDOWS = ("today", "overdue", "week")


def activities_query(
    *,
    status: str = "open",
    due: str | None = None,
    assignee: str | None = None,
    now: datetime,
    calendar: BusinessCalendar,
) -> Select[Activity]:
    """Activities by status, assignee and due window in the calendar's timezone.

    today: due before the end of today (overdue included); overdue: due before
    now; week: due before the end of the sixth day after today.
    """
    query = select(Activity)
    if status != "all":
        query = query.where(Activity.status == status)
    if assignee:
        query = query.where(Activity.assignee == assignee)
    if due is not None:
        today = calendar.local(now).date()
        if due == "overdue":
            limit = now
        elif due == "today":
            limit = calendar.day_bounds(today)[1]
        else:
            limit = calendar.day_bounds(today + timedelta(days=6))[1]
        query = query.where(Activity.due_at.is_not(None), Activity.due_at < limit)
    return query.order_by(Activity.due_at.is_(None), Activity.due_at, Activity.id)


def activity_record(
    session: Session, activity: Activity, prefix: str
) -> dict[str, Any]:
    """One activity: keys are part of the export contract."""
    ticket = session.get(Ticket, activity.ticket_id) if activity.ticket_id else None
    return {
        "id": activity.id,
        "kind": activity.kind,
        "title": activity.title,
        "notes": activity.notes,
        "status": activity.status,
        "due_at": iso_utc(activity.due_at) if activity.due_at else None,
        "assignee": activity.assignee,
        "contact_id": activity.contact_id,
        "company_id": activity.company_id,
        "message_id": activity.message_id,
        "thread_id": activity.thread_id,
        "ticket": ticket_label(prefix, ticket.number) if ticket else None,
        "closes_on_reply": activity.closes_on_reply,
        "snoozes": activity.snoozes,
        "created_at": iso_utc(activity.created_at),
        "done_at": iso_utc(activity.done_at) if activity.done_at else None,
        "done_reason": activity.done_reason,
        "rule": rule_record(session, activity.rule_id, activity.firing_id),
    }
