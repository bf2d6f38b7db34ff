"""Opening tickets, joining replies to them, and changing their fields.

A reply joins its ticket by References / In-Reply-To, then by the ticket
token in its subject; a message that the ticket's mail answers joins it
too, then a reply (or a message older than the ticket) by its thread.
Closed tickets take no replies: a rule may open a new ticket instead. Each
change is a TicketEvent, which the rules see once (trigger ticket_changed).

Mail is stored in the order it is fetched (INBOX before Sent, old mail
after new), not in the order it was written. So a ticket goes by its
messages' dates: it opens at its earliest message, a message joins it
whenever it is stored (a new ticket takes in the stored mail that would
have joined it), and only the latest person-written message sets who the
ticket waits on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_crm.mail.subjects import has_reply_prefix
from inbox_crm.storage.models import Message, MessageReference, Thread
from inbox_crm.storage.tracking import Ticket, TicketEvent, TicketMessage
from inbox_crm.tickets.tokens import ticket_label, tokens_in

log = logging.getLogger(__name__)

OPEN_STATUSES = ("open", "pending", "solved")


class Tickets:
    """Ticket operations inside one session's transaction."""

    def __init__(self, session: Session, prefix: str) -> None:
        self.session = session
        self.prefix = prefix

    def label(self, ticket: Ticket) -> str:
        return ticket_label(self.prefix, ticket.number)

    def by_number(self, number: int) -> Ticket | None:
        query = select(Ticket).where(Ticket.number == number)
        return self.session.scalars(query).first()

    def of_message(self, message_id: int) -> Ticket | None:
        query = (
            select(Ticket)
            .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
            .where(TicketMessage.message_id == message_id)
        )
        return self.session.scalars(query).first()

    def open(
        self,
        message: Message,
        *,
        priority: str,
        queue: str,
        assignee: str | None,
        subject: str,
        actor: str,
        requester: str = "",
        contact_id: int | None = None,
        company_id: int | None = None,
        rule_id: str | None = None,
        firing_id: int | None = None,
    ) -> Ticket:
        """A new ticket opened by `message`, with the stored mail that answers it."""
        now = datetime.now(UTC)
        number = (self.session.scalar(select(func.max(Ticket.number))) or 0) + 1
        ticket = Ticket(
            number=number,
            status="open",
            priority=priority,
            queue=queue,
            assignee=assignee,
            subject=subject[:2000],
            mailbox_id=message.mailbox_id,
            thread_id=message.thread_id,
            contact_id=contact_id,
            company_id=company_id,
            requester=requester,
            message_id=message.id,
            rule_id=rule_id,
            firing_id=firing_id,
            opened_at=message.date,
            updated_at=now,
        )
        self.session.add(ticket)
        self.session.flush()
        self.session.add(
            TicketMessage(
                message_id=message.id, ticket_id=ticket.id, joined_by="opened"
            )
        )
        self._event(ticket, "opened", None, "open", actor, message.id)
        log.info("ticket %s opened from message %s", self.label(ticket), message.id)
        self._take_in_stored(ticket, message)
        return ticket

    def join(self, message: Message) -> Ticket | None:
        """Attach a stored message to the ticket it answers, if any."""
        if self.of_message(message.id) is not None:
            return None
        found = self._find(message)
        if found is None:
            return None
        ticket, how = found
        self._attach(ticket, message, how)
        return ticket

    def change(
        self,
        ticket: Ticket,
        field: str,
        value: str | None,
        actor: str,
        message_id: int | None = None,
        depth: int = 0,
    ) -> TicketEvent | None:
        """Set one field (status, priority, assignee, queue); None if unchanged."""
        old = getattr(ticket, field)
        if old == value:
            return None
        setattr(ticket, field, value)
        now = datetime.now(UTC)
        ticket.updated_at = now
        if field == "status":
            ticket.closed_at = now if value == "closed" else None
        log.info(
            "ticket %s: %s %s -> %s (%s)", self.label(ticket), field, old, value, actor
        )
        return self._event(ticket, field, old, value, actor, message_id, depth)

    def _attach(self, ticket: Ticket, message: Message, how: str) -> None:
        self.session.add(
            TicketMessage(message_id=message.id, ticket_id=ticket.id, joined_by=how)
        )
        if ticket.thread_id and message.thread_id != ticket.thread_id:
            _move_to_thread(self.session, message, ticket.thread_id)
        ticket.opened_at = min(ticket.opened_at, message.date)
        ticket.updated_at = datetime.now(UTC)
        log.info(
            "message %s joined ticket %s by %s", message.id, self.label(ticket), how
        )
        if not self._written_after(ticket, message):
            self._follow_reply(ticket, message)

    def _take_in_stored(self, ticket: Ticket, opener: Message) -> None:
        """Join the stored mail of the opener's thread that would join if new."""
        if opener.thread_id is None:
            return
        query = (
            select(Message)
            .outerjoin(TicketMessage, TicketMessage.message_id == Message.id)
            .where(
                Message.thread_id == opener.thread_id,
                Message.id != opener.id,
                Message.quarantined.is_(False),
                TicketMessage.ticket_id.is_(None),
            )
            # Newest first: the latest reply alone sets the status.
            .order_by(Message.date.desc(), Message.id.desc())
        )
        for message in list(self.session.scalars(query)):
            found = self._find(message)
            if found is not None and found[0] is ticket:
                self._attach(ticket, message, found[1])

    def _written_after(self, ticket: Ticket, message: Message) -> bool:
        """Whether a person-written message of the ticket is dated after `message`.

        Of two written in the same second, the customer's counts as the later:
        the ticket stays open rather than leave the customer waiting.
        """
        later = Message.date > message.date
        if message.direction == "outbound":
            later = later | (
                (Message.date == message.date) & (Message.direction == "inbound")
            )
        query = (
            select(Message.id)
            .join(TicketMessage, TicketMessage.message_id == Message.id)
            .where(
                TicketMessage.ticket_id == ticket.id,
                Message.id != message.id,
                Message.kind == "normal",
                Message.bulk.is_(False),
                later,
            )
            .exists()
        )
        return bool(self.session.scalar(select(query)))

    def _find(self, message: Message) -> tuple[Ticket, str] | None:
        references = [reference.referenced for reference in message.references]
        if references:
            query = (
                select(Ticket)
                .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
                .join(Message, Message.id == TicketMessage.message_id)
                .where(Message.message_id.in_(references))
                .order_by(Ticket.id.desc())
            )
            ticket = self._usable(self.session.scalars(query).first())
            if ticket is not None:
                return ticket, "references"
        for number in tokens_in(message.subject, self.prefix):
            ticket = self._usable(self.by_number(number))
            if ticket is not None:
                return ticket, "token"
        ticket = self._usable(self._answering(message))
        if ticket is not None:
            return ticket, "referenced"
        if message.thread_id is None:
            return None
        ticket = self._usable(self._of_its_time(message, message.thread_id))
        # A message that looks like a reply joins its thread's ticket, and
        # so does one older than the ticket: what the ticket's mail answers.
        if ticket is not None and (
            references
            or has_reply_prefix(message.subject)
            or message.date < ticket.opened_at
        ):
            return ticket, "thread"
        return None

    def _of_its_time(self, message: Message, thread_id: int) -> Ticket | None:
        """The thread's ticket that was open when `message` was written.

        That is the latest one opened by the message's date, or the first
        one for a message older than them all: a reply stored late belongs
        to the ticket of its time, not to one opened after it.
        """
        query = select(Ticket).where(Ticket.thread_id == thread_id)
        tickets = sorted(self.session.scalars(query), key=lambda t: (t.opened_at, t.id))
        earlier = [t for t in tickets if t.opened_at <= message.date]
        if earlier:
            return earlier[-1]
        return tickets[0] if tickets else None

    def _answering(self, message: Message) -> Ticket | None:
        """The latest ticket with mail that names `message` in its References."""
        if not message.message_id:
            return None
        query = (
            select(Ticket)
            .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
            .join(
                MessageReference,
                MessageReference.message_id == TicketMessage.message_id,
            )
            .where(MessageReference.referenced == message.message_id)
            .order_by(Ticket.id.desc())
        )
        return self.session.scalars(query).first()

    def _usable(self, ticket: Ticket | None) -> Ticket | None:
        return ticket if ticket is not None and ticket.status in OPEN_STATUSES else None

    def _follow_reply(self, ticket: Ticket, message: Message) -> None:
        # Machine mail (an out-of-office answering our acknowledgement, a
        # bounce) joins the ticket but never moves its status.
        if message.kind != "normal" or message.bulk:
            return
        if message.direction == "inbound" and ticket.status in ("pending", "solved"):
            self.change(ticket, "status", "open", "reply", message.id)
        elif message.direction == "outbound" and ticket.status == "open":
            self.change(ticket, "status", "pending", "reply", message.id)

    def _event(
        self,
        ticket: Ticket,
        change: str,
        old: str | None,
        new: str | None,
        actor: str,
        message_id: int | None,
        depth: int = 0,
    ) -> TicketEvent:
        event = TicketEvent(
            ticket_id=ticket.id,
            at=datetime.now(UTC),
            change=change,
            old=old,
            new=new,
            actor=actor[:150],
            message_id=message_id,
            depth=depth,
        )
        self.session.add(event)
        self.session.flush()
        return event


def _move_to_thread(session: Session, message: Message, thread_id: int) -> None:
    """Move a message that joined by token into its ticket's thread."""
    old_id = message.thread_id
    message.thread_id = thread_id
    target = session.get_one(Thread, thread_id)
    target.message_count = (target.message_count or 0) + 1
    if target.last_date is None or message.date > target.last_date:
        target.last_date = message.date
    if old_id is None:
        return
    old = session.get_one(Thread, old_id)
    old.message_count = max((old.message_count or 1) - 1, 0)
    session.flush()
    if old.message_count == 0:
        session.delete(old)
