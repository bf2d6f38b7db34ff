"""Turning a hit rule's action specs into plans: texts rendered, times computed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inbox_crm.businesstime.calendar import BusinessCalendar
from inbox_crm.rules.calendars import Calendars
from inbox_crm.rules.facts import Facts
from inbox_crm.rules.model import (
    ActionSpec,
    ActivitySpec,
    AssignSpec,
    NotifySpec,
    OutreachSpec,
    Rule,
    TagSpec,
    TicketSpec,
)
from inbox_crm.rules.plans import (
    Plan,
    PlanActivity,
    PlanAssign,
    PlanNotify,
    PlanOutreach,
    PlanStop,
    PlanTag,
    PlanTicket,
)

# Local parts that never read mail; outreach to them is never planned.
NO_REPLY_LOCAL_PARTS = (
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "mailer-daemon",
    "postmaster",
    "bounce",
    "bounces",
)


def plan_actions(
    rule: Rule, facts: Facts, calendars: Calendars
) -> tuple[list[Plan], list[str]]:
    """The plans of a hit rule and notes on actions that plan nothing."""
    context = template_context(rule, facts)
    plans: list[Plan] = []
    notes: list[str] = []
    for spec in rule.actions:
        plan = _plan(spec, facts, context, calendars)
        if isinstance(plan, str):
            notes.append(plan)
        else:
            plans.append(plan)
    return plans, notes


def _plan(
    spec: ActionSpec, facts: Facts, context: dict[str, Any], calendars: Calendars
) -> Plan | str:
    if isinstance(spec, ActivitySpec):
        assignee = _assignee(spec.assignee, facts, calendars)
        calendar = calendars.for_user(assignee) if assignee else facts.calendar
        return PlanActivity(
            kind=spec.kind,
            title=spec.title.render(context),
            notes=spec.notes.render(context) if spec.notes else "",
            due_at=calendar.add(facts.moment, spec.due) if spec.due else None,
            assignee=assignee,
            closes_on_reply=facts.trigger == "no_reply",
        )
    if isinstance(spec, TicketSpec):
        subject = facts.message.subject if facts.message else ""
        return PlanTicket(
            priority=spec.priority,
            queue=spec.queue,
            assignee=_assignee(spec.assignee, facts, calendars),
            subject=spec.subject.render(context) if spec.subject else subject,
        )
    if isinstance(spec, TagSpec):
        return _tag(spec, facts, context)
    if isinstance(spec, AssignSpec):
        owner = _assignee(spec.owner, facts, calendars)
        target_id = _target_id(spec.target, facts)
        if owner is None or target_id is None:
            return f"assign: no {spec.target} or no owner for this event"
        return PlanAssign(owner, spec.target, target_id)
    if isinstance(spec, OutreachSpec):
        return _outreach(spec, facts, calendars)
    if isinstance(spec, NotifySpec):
        return PlanNotify(spec.user, spec.text.render(context))
    return PlanStop()


def _tag(spec: TagSpec, facts: Facts, context: dict[str, Any]) -> Plan | str:
    target_id = _target_id(spec.target, facts)
    if target_id is None:
        return f"tag: this event has no {spec.target} to tag"
    return PlanTag(spec.name.render(context)[:100], spec.target, target_id)


def _outreach(spec: OutreachSpec, facts: Facts, calendars: Calendars) -> Plan | str:
    message = facts.message
    address: str | None = None
    if spec.to == "sender" and message is not None:
        address = message.from_address if message.direction == "inbound" else None
    elif spec.to == "contact" and message is not None:
        address = (
            message.from_address
            if message.direction == "inbound"
            else next(iter(message.to), None)
        )
    if not address:
        return f"outreach: no {spec.to} address to write to"
    local = address.partition("@")[0]
    if local in NO_REPLY_LOCAL_PARTS:
        return f"outreach: {address} is a no-reply address; not written to"
    send_at = facts.moment
    if spec.delay is not None:
        send_at = facts.calendar.add(facts.moment, spec.delay)
    return PlanOutreach(spec.template, address, send_at)


def _assignee(value: str | None, facts: Facts, calendars: Calendars) -> str | None:
    mailbox = facts.message.mailbox if facts.message else None
    if value is None:
        return None
    if value == "mailbox_user":
        return calendars.mailbox_user(mailbox)
    if value == "contact_owner":
        owner = facts.contact.owner if facts.contact else None
        return owner or calendars.mailbox_user(mailbox)
    return value


def _target_id(target: str, facts: Facts) -> int | None:
    message = facts.message
    if target == "contact":
        return facts.contact.id if facts.contact else None
    if target == "company":
        return facts.company.id if facts.company else None
    if target == "ticket":
        return facts.ticket.id if facts.ticket else None
    if target == "thread":
        return message.thread.id if message else None
    return message.id if message else None


def template_context(rule: Rule, facts: Facts) -> dict[str, Any]:
    """What action texts may use: message, contact, company, ticket, ..."""
    calendar = facts.calendar
    message = facts.message
    context: dict[str, Any] = {
        "rule": {"id": rule.id, "description": rule.description},
        "now": _local(calendar, facts.moment),
        "message": None,
        "thread": None,
        "contact": None,
        "company": None,
        "match": None,
        "ticket": None,
    }
    if message is not None:
        context["message"] = {
            "id": message.id,
            "subject": message.subject,
            "from": message.from_address,
            "from_name": message.from_name,
            "to": list(message.to),
            "cc": list(message.cc),
            "date": _local(calendar, message.date),
            "direction": message.direction,
            "kind": message.kind,
            "mailbox": message.mailbox,
        }
        context["thread"] = {
            "id": message.thread.id,
            "messages": message.thread.messages,
        }
    for name in ("contact", "company"):
        party = getattr(facts, name)
        if party is not None:
            context[name] = {
                "id": party.id,
                "name": party.name,
                "tags": list(party.tags),
                "fields": dict(party.fields),
                "owner": party.owner,
            }
    if facts.match is not None:
        context["match"] = {"method": facts.match.method, "score": facts.match.score}
    if facts.ticket is not None:
        ticket = facts.ticket
        context["ticket"] = {
            "number": ticket.number,
            "status": ticket.status,
            "priority": ticket.priority,
            "queue": ticket.queue,
            "assignee": ticket.assignee,
            "subject": ticket.subject,
        }
    return context


def _local(calendar: BusinessCalendar, moment: datetime) -> str:
    return calendar.local(moment).strftime("%Y-%m-%d %H:%M")
