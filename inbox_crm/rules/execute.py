"""Doing: recording each firing once and carrying out its planned actions.

A firing row and its actions are written in one savepoint. The unique key on
(rule, trigger key) turns a second attempt (a re-sync, a restart, another
agent) into a no-op. An action that fails rolls back that firing's actions
and leaves the firing recorded as failed, with the reason.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_crm.contacts.models import Company, Contact
from inbox_crm.errors import InboxCrmError
from inbox_crm.rules.decide import Event, Outcome
from inbox_crm.rules.outreach import OutreachQueue, OutreachRefused, OutreachRequest
from inbox_crm.rules.plans import (
    Plan,
    PlanActivity,
    PlanAssign,
    PlanNotify,
    PlanOutreach,
    PlanStop,
    PlanTag,
    PlanTicket,
    plan_record,
)
from inbox_crm.storage.models import Mailbox, Message
from inbox_crm.storage.tracking import (
    Activity,
    ItemTag,
    Notification,
    RuleFiring,
    Ticket,
)
from inbox_crm.tickets.service import Tickets

log = logging.getLogger("inbox_crm.rules.fired")


@dataclass
class Subject:
    """The records an event is about, for the ids the actions write."""

    message: Message | None = None
    ticket: Ticket | None = None
    contact_id: int | None = None
    company_id: int | None = None


class Executor:
    """Carries out decisions inside the caller's transaction."""

    def __init__(
        self,
        session: Session,
        prefix: str,
        outreach: OutreachQueue,
        cap_hours: int = 24,
    ) -> None:
        self.session = session
        self.cap_window = timedelta(hours=cap_hours)
        self.tickets = Tickets(session, prefix)
        self.outreach = outreach
        self.warned_senders: set[str] = set()

    def apply(
        self, event: Event, outcomes: list[Outcome], subject: Subject
    ) -> list[RuleFiring]:
        """Record and carry out every hit that has not fired for this trigger."""
        firings = []
        for outcome in outcomes:
            if not outcome.hit or outcome.fired_before:
                continue
            firing = self._fire(event, outcome, subject)
            if firing is not None:
                firings.append(firing)
        return firings

    def _fire(
        self, event: Event, outcome: Outcome, subject: Subject
    ) -> RuleFiring | None:
        rule = outcome.rule
        firing = RuleFiring(
            rule_id=rule.id,
            trigger=event.trigger,
            trigger_key=event.key[:400],
            fired_at=datetime.now(UTC),
            event_at=event.facts.moment,
            message_id=subject.message.id if subject.message else None,
            ticket_id=subject.ticket.id if subject.ticket else None,
            contact_id=subject.contact_id,
            company_id=subject.company_id,
            sender=event.sender,
            capped=outcome.capped,
        )
        try:
            with self.session.begin_nested():
                self.session.add(firing)
                self.session.flush()
        except IntegrityError:
            log.debug("rule %s fired already for %s", rule.id, event.key)
            return None

        results: list[dict[str, Any]] = []
        try:
            if outcome.error:
                raise ActionError(outcome.error)
            with self.session.begin_nested():
                for plan in outcome.plans:
                    results.append(self._do(plan, event, subject, firing))
        except InboxCrmError as exc:
            firing.status = "failed"
            firing.error = str(exc)
            results = [plan_record(plan) for plan in outcome.plans]
            log.error("rule %s failed for %s: %s", rule.id, event.key, exc)
        else:
            firing.created = outcome.created
            log.info(
                "rule %s fired for %s: %s",
                rule.id,
                event.key,
                "; ".join(plan.describe() for plan in outcome.plans) or "no actions",
            )
        notes = [{"action": "note", "text": note} for note in outcome.notes]
        firing.actions = json.dumps(results + notes, ensure_ascii=False)
        if outcome.capped:
            self._warn_cap(event)
        return firing

    def _do(
        self, plan: Plan, event: Event, subject: Subject, firing: RuleFiring
    ) -> dict[str, Any]:
        record = plan_record(plan)
        if isinstance(plan, PlanActivity):
            record["activity_id"] = self._activity(plan, subject, firing).id
        elif isinstance(plan, PlanTicket):
            record.update(self._ticket(plan, event, subject, firing))
        elif isinstance(plan, PlanTag):
            record["result"] = self._tag(plan, firing)
        elif isinstance(plan, PlanAssign):
            record["result"] = self._assign(plan, subject, event)
        elif isinstance(plan, PlanOutreach):
            record.update(self._outreach(plan, subject, firing))
        elif isinstance(plan, PlanNotify):
            note = Notification(
                user=plan.user,
                text=plan.text,
                rule_id=firing.rule_id,
                firing_id=firing.id,
                message_id=subject.message.id if subject.message else None,
                ticket_id=subject.ticket.id if subject.ticket else None,
            )
            self.session.add(note)
            self.session.flush()
            record["notification_id"] = note.id
        elif isinstance(plan, PlanStop):
            pass
        return record

    def _activity(
        self, plan: PlanActivity, subject: Subject, firing: RuleFiring
    ) -> Activity:
        message = subject.message
        activity = Activity(
            kind=plan.kind,
            title=plan.title[:2000],
            notes=plan.notes,
            due_at=plan.due_at,
            assignee=plan.assignee,
            contact_id=subject.contact_id,
            company_id=subject.company_id,
            message_id=message.id if message else None,
            thread_id=message.thread_id if message else None,
            ticket_id=subject.ticket.id if subject.ticket else None,
            rule_id=firing.rule_id,
            firing_id=firing.id,
            closes_on_reply=plan.closes_on_reply,
        )
        self.session.add(activity)
        self.session.flush()
        return activity

    def _ticket(
        self, plan: PlanTicket, event: Event, subject: Subject, firing: RuleFiring
    ) -> dict[str, Any]:
        message = subject.message
        if message is None:
            raise ActionError("ticket: the event has no message to open it from")
        existing = self.tickets.of_message(message.id)
        if existing is not None:
            return {"ticket": self.tickets.label(existing), "result": "already open"}
        ticket = self.tickets.open(
            message,
            priority=plan.priority,
            queue=plan.queue,
            assignee=plan.assignee,
            subject=plan.subject,
            actor=f"rule:{firing.rule_id}",
            requester=event.sender or "",
            contact_id=subject.contact_id,
            company_id=subject.company_id,
            rule_id=firing.rule_id,
            firing_id=firing.id,
        )
        subject.ticket = ticket
        firing.ticket_id = ticket.id
        return {"ticket": self.tickets.label(ticket), "ticket_id": ticket.id}

    def _tag(self, plan: PlanTag, firing: RuleFiring) -> str:
        if plan.target in ("contact", "company"):
            party: Contact | Company | None = (
                self.session.get(Contact, plan.target_id)
                if plan.target == "contact"
                else self.session.get(Company, plan.target_id)
            )
            if party is None:
                raise ActionError(f"tag: {plan.target} {plan.target_id} is gone")
            if plan.tag in (party.tags or []):
                return "had the tag already"
            party.tags = [*(party.tags or []), plan.tag]
            return "tagged"
        query = select(ItemTag.id).where(
            ItemTag.target == plan.target,
            ItemTag.target_id == plan.target_id,
            ItemTag.tag == plan.tag,
        )
        if self.session.scalar(query) is not None:
            return "had the tag already"
        assert plan.target_id is not None
        self.session.add(
            ItemTag(
                target=plan.target,
                target_id=plan.target_id,
                tag=plan.tag,
                rule_id=firing.rule_id,
            )
        )
        return "tagged"

    def _assign(self, plan: PlanAssign, subject: Subject, event: Event) -> str:
        if plan.target == "ticket":
            ticket = subject.ticket
            if ticket is None:
                raise ActionError("assign: no ticket for this event")
            actor = f"rule:{event.key}"
            self.tickets.change(
                ticket, "assignee", plan.owner, actor, None, event.depth + 1
            )
            return "assigned"
        contact = self.session.get(Contact, plan.target_id)
        if contact is None:
            raise ActionError(f"assign: contact {plan.target_id} is gone")
        if contact.owner and contact.owner != plan.owner:
            return f"kept the owner {contact.owner}"
        contact.owner = plan.owner
        return "assigned"

    def _outreach(
        self, plan: PlanOutreach, subject: Subject, firing: RuleFiring
    ) -> dict[str, Any]:
        message = subject.message
        request = OutreachRequest(
            template=plan.template,
            to_address=plan.to_address,
            mailbox=_mailbox_name(self.session, message),
            send_at=plan.send_at,
            rule_id=firing.rule_id,
            firing_id=firing.id,
            contact_id=subject.contact_id,
            thread_id=message.thread_id if message else None,
            reply_to_message_id=message.id if message else None,
        )
        try:
            row = self.outreach.queue(self.session, request)
        except OutreachRefused as exc:
            return {"result": f"refused by the outbox: {exc}"}
        return {"outbox_id": row}

    def _warn_cap(self, event: Event) -> None:
        sender = event.sender or ""
        if sender in self.warned_senders:
            return
        self.warned_senders.add(sender)
        earlier = self.session.scalar(
            select(RuleFiring.id).where(
                RuleFiring.sender == sender,
                RuleFiring.capped.is_(True),
                RuleFiring.trigger_key != event.key,
                RuleFiring.fired_at >= datetime.now(UTC) - self.cap_window,
            )
        )
        if earlier is None:
            log.warning(
                "rules: %s reached the per-sender cap; further records for this "
                "sender are skipped until the window passes",
                sender,
            )


class ActionError(InboxCrmError):
    """An action could not be carried out; its firing is recorded as failed."""


def _mailbox_name(session: Session, message: Message | None) -> str:
    if message is None:
        return ""
    mailbox = session.get(Mailbox, message.mailbox_id)
    return mailbox.name if mailbox else ""
