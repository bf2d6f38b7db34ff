"""The rules engine on stored mail: messages as they are stored, ticket events.

It gathers each event's facts and history, asks `decide` what to do, and has
the Executor do it, all inside the caller's transaction. Mail dated before
the rules were enabled (or before `[rules] since`) fires no rules, so the
first sync or an import of an old archive makes no follow-ups from it;
`inbox-crm rules run --since DAY` applies them on request.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from inbox_crm.activities.service import close_answered
from inbox_crm.config import Config
from inbox_crm.contacts.models import Company, Contact, IgnoreEntry
from inbox_crm.rules.calendars import Calendars
from inbox_crm.rules.decide import Event, History, Outcome, decide
from inbox_crm.rules.execute import Executor, Subject
from inbox_crm.rules.facts import Facts, TicketFacts
from inbox_crm.rules.history import (
    company_party,
    contact_party,
    counterpart,
    message_event_facts,
    message_facts,
)
from inbox_crm.rules.model import Rule, RuleSet
from inbox_crm.rules.outreach import NoOutreach, OutreachQueue
from inbox_crm.rules.reload import RuleReloader
from inbox_crm.rules.waits import answer_waits, end_bounced_waits, start_waits
from inbox_crm.storage.models import Mailbox, Message
from inbox_crm.storage.tracking import (
    Activity,
    RuleFiring,
    RuleMark,
    RuleWait,
    Ticket,
    TicketEvent,
)
from inbox_crm.tickets.service import Tickets
from inbox_crm.tickets.tokens import ticket_label

log = logging.getLogger(__name__)

ENABLED_MARK = "rules_enabled"
# Rules that change a ticket make ticket events of their own; past this depth
# a chain of them is cut, so two rules cannot bounce a ticket forever.
MAX_TICKET_DEPTH = 3


class RulesEngine:
    """Applies a rule set to stored messages and ticket events."""

    def __init__(
        self,
        config: Config,
        rules: RuleSet,
        outreach: OutreachQueue | None = None,
    ) -> None:
        self.config = config
        self.rules = rules
        self.outreach = outreach or NoOutreach()
        self.calendars = Calendars(config)
        self.reloader: RuleReloader | None = None
        self._mailboxes: dict[int, str] = {}

    def refresh(self) -> None:
        """Take up edited rule files, when this engine watches them."""
        if self.reloader is None:
            return
        rules = self.reloader.changed()
        if rules is not None:
            self.rules = rules

    def executor(self, session: Session) -> Executor:
        return Executor(
            session,
            self.config.tickets.prefix,
            self.outreach,
            self.config.rules.sender_cap_hours,
        )

    def start(self, session: Session) -> datetime:
        """Mail dated before this fires no rules: `[rules] since`, or first use."""
        if self.config.rules.since is not None:
            return self.config.rules.since
        mark = session.get(RuleMark, ENABLED_MARK)
        if mark is None:
            mark = RuleMark(name=ENABLED_MARK, at=datetime.now(UTC))
            session.add(mark)
            session.flush()
            log.info("rules enabled: mail dated from now on fires rules")
        return mark.at

    def on_message(
        self, session: Session, message: Message, force: bool = False
    ) -> None:
        """Everything a newly stored message sets off (the ingestion hook)."""
        if message.quarantined:
            return
        waits, follow_ups, tickets = _open_work(session)
        if waits:
            answer_waits(session, message)
            end_bounced_waits(session, message)
        if follow_ups:
            close_answered(session, message)
        if tickets:
            Tickets(session, self.config.tickets.prefix).join(message)
        due = force or message.date >= self.start(session)
        if self.config.rules.enabled and due and not self.ignored(session, message):
            self.evaluate_message(session, message)
            start_waits(
                session,
                self.rules.rules,
                message,
                self.mailbox_name(session, message.mailbox_id),
                self.calendars,
            )
            tickets = True
        if tickets:
            self.evaluate_ticket_events(session)

    def ignored(self, session: Session, message: Message) -> bool:
        """Whether the message's other party is on the ignore list: no rules run."""
        other = counterpart(message)
        if other is None:
            return False
        domain = other.domain or other.address.rpartition("@")[2]
        parts = domain.split(".")
        domains = [".".join(parts[i:]) for i in range(len(parts) - 1)]
        entry = session.scalars(
            select(IgnoreEntry).where(
                or_(
                    (IgnoreEntry.kind == "address")
                    & (IgnoreEntry.value == other.address),
                    (IgnoreEntry.kind == "domain") & IgnoreEntry.value.in_(domains),
                )
            )
        ).first()
        if entry is not None:
            log.info(
                "message %s: %s %s is ignored; no rules run",
                message.id,
                entry.kind,
                entry.value,
            )
        return entry is not None

    def evaluate_message(self, session: Session, message: Message) -> list[Outcome]:
        trigger = (
            "message_sent" if message.direction == "outbound" else "message_received"
        )
        return self.evaluate_stored(
            session, message, trigger, message.date, self.rules.rules
        )

    def evaluate_stored(
        self,
        session: Session,
        message: Message,
        trigger: str,
        moment: datetime,
        rules: tuple[Rule, ...],
    ) -> list[Outcome]:
        """Decide and carry out one message trigger on a stored message."""
        event = self.message_event(session, message, trigger, moment)
        outcomes = decide(rules, event, self.history(session, event), self.calendars)
        subject = Subject(
            message=message,
            ticket=Tickets(session, self.config.tickets.prefix).of_message(message.id),
            contact_id=event.facts.contact.id if event.facts.contact else None,
            company_id=event.facts.company.id if event.facts.company else None,
        )
        self.executor(session).apply(event, outcomes, subject)
        return outcomes

    def message_event(
        self, session: Session, message: Message, trigger: str, moment: datetime
    ) -> Event:
        mailbox = self.mailbox_name(session, message.mailbox_id)
        calendar = self.calendars.for_rule(None, mailbox)
        facts = message_event_facts(
            session, message, mailbox, trigger, moment, calendar
        )
        other = counterpart(message)
        prefix = "no_reply" if trigger == "no_reply" else "message"
        key = f"{prefix}:{message.mailbox_id}:{message.fingerprint}"
        return Event(trigger, key, facts, other.address if other else None)

    def history(self, session: Session, event: Event) -> History:
        fired = session.scalars(
            select(RuleFiring.rule_id).where(RuleFiring.trigger_key == event.key[:400])
        )
        created = 0
        if event.sender:
            window = datetime.now(UTC) - timedelta(
                hours=self.config.rules.sender_cap_hours
            )
            created = (
                session.scalar(
                    select(func.sum(RuleFiring.created)).where(
                        RuleFiring.sender == event.sender, RuleFiring.fired_at >= window
                    )
                )
                or 0
            )
        return History(
            fired=frozenset(fired),
            created_by_sender=created,
            cap=self.config.rules.sender_cap,
            cap_hours=self.config.rules.sender_cap_hours,
        )

    def evaluate_ticket_events(self, session: Session) -> int:
        """Run ticket_opened / ticket_changed rules on every event not yet seen."""
        count = 0
        while True:
            pending = list(
                session.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.evaluated.is_(False))
                    .order_by(TicketEvent.id)
                    .limit(100)
                )
            )
            if not pending:
                return count
            for ticket_event in pending:
                ticket_event.evaluated = True
                if ticket_event.depth > MAX_TICKET_DEPTH:
                    log.warning(
                        "ticket event %s: rules changed the ticket %s times in a "
                        "row; not evaluated again",
                        ticket_event.id,
                        ticket_event.depth,
                    )
                    continue
                self._ticket_event(session, ticket_event)
                count += 1
            session.flush()

    def _ticket_event(self, session: Session, ticket_event: TicketEvent) -> None:
        ticket = session.get_one(Ticket, ticket_event.ticket_id)
        trigger = (
            "ticket_opened" if ticket_event.change == "opened" else "ticket_changed"
        )
        rules = tuple(
            rule
            for rule in self.rules.for_trigger(trigger)
            if not rule.trigger.fields or ticket_event.change in rule.trigger.fields
        )
        if not rules:
            return
        facts = self.ticket_facts(session, ticket, ticket_event, trigger)
        sender = ticket.requester or None
        event = Event(
            trigger,
            f"ticket_event:{ticket_event.id}",
            facts,
            sender,
            ticket_event.depth,
        )
        outcomes = decide(rules, event, self.history(session, event), self.calendars)
        message_id = ticket_event.message_id or ticket.message_id
        subject = Subject(
            message=session.get(Message, message_id) if message_id else None,
            ticket=ticket,
            contact_id=ticket.contact_id,
            company_id=ticket.company_id,
        )
        self.executor(session).apply(event, outcomes, subject)

    def ticket_facts(
        self, session: Session, ticket: Ticket, ticket_event: TicketEvent, trigger: str
    ) -> Facts:
        mailbox = self.mailbox_name(session, ticket.mailbox_id)
        message_id = ticket_event.message_id or ticket.message_id
        message = session.get(Message, message_id) if message_id else None
        contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
        company = session.get(Company, ticket.company_id) if ticket.company_id else None
        changed = () if ticket_event.change == "opened" else (ticket_event.change,)
        return Facts(
            trigger=trigger,
            moment=ticket_event.at,
            calendar=self.calendars.for_rule(None, mailbox),
            message=message_facts(session, message, mailbox) if message else None,
            contact=contact_party(session, contact, None) if contact else None,
            company=company_party(session, company, None) if company else None,
            ticket=TicketFacts(
                id=ticket.id,
                number=ticket_label(self.config.tickets.prefix, ticket.number),
                status=ticket.status,
                priority=ticket.priority,
                queue=ticket.queue,
                assignee=ticket.assignee,
                subject=ticket.subject,
                changed=changed,
                previous={ticket_event.change: ticket_event.old},
            ),
        )

    def mailbox_name(self, session: Session, mailbox_id: int) -> str:
        if mailbox_id not in self._mailboxes:
            mailbox = session.get(Mailbox, mailbox_id)
            self._mailboxes[mailbox_id] = mailbox.name if mailbox else ""
        return self._mailboxes[mailbox_id]


# Whether any wait, closing follow-up or ticket exists: one cheap query that
# spares a first sync of old mail (which makes none) the per-message lookups.
_OPEN_WORK = select(
    exists().where(RuleWait.state == "waiting"),
    exists().where(Activity.status == "open", Activity.closes_on_reply.is_(True)),
    exists().where(Ticket.id.is_not(None)),
)


def _open_work(session: Session) -> tuple[bool, bool, bool]:
    waits, follow_ups, tickets = session.execute(_OPEN_WORK).one()
    return bool(waits), bool(follow_ups), bool(tickets)
