"""Gathering an event's facts from the database: the message, its thread, links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from inbox_crm.businesstime.calendar import BusinessCalendar
from inbox_crm.contacts.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
    ParticipantLink,
)
from inbox_crm.rules.facts import Facts, MatchFacts, MessageFacts, Party, ThreadFacts
from inbox_crm.storage.models import AttachmentRow, Message, Participant
from inbox_crm.storage.tracking import Ticket, TicketMessage


def message_facts(session: Session, message: Message, mailbox: str) -> MessageFacts:
    """The facts of a stored message, with its thread as it stands now."""
    roles: dict[str, list[Participant]] = {}
    for participant in message.participants:
        roles.setdefault(participant.role, []).append(participant)
    sender = roles.get("from", [None])[0]
    address = sender.address if sender is not None else ""
    names = session.scalars(
        select(AttachmentRow.filename).where(AttachmentRow.message_id == message.id)
    )
    return MessageFacts(
        id=message.id,
        fingerprint=message.fingerprint,
        mailbox=mailbox,
        mailbox_id=message.mailbox_id,
        message_id=message.message_id,
        date=message.date,
        direction=message.direction,
        kind=message.kind,
        bulk=message.bulk,
        list_id=message.list_id,
        from_address=address,
        from_name=sender.name if sender is not None else "",
        to=tuple(p.address for p in roles.get("to", [])),
        cc=tuple(p.address for p in roles.get("cc", [])),
        subject=message.subject,
        body=message.text,
        attachments=tuple(name for name in names if name),
        first_from_sender=_first(session, message, Participant.address, address),
        first_from_domain=_first(
            session, message, Participant.domain, address.rpartition("@")[2]
        ),
        thread=thread_facts(session, message),
    )


def _first(
    session: Session, message: Message, column: InstrumentedAttribute[str], value: str
) -> bool:
    if not value:
        return False
    query = (
        select(Participant.id)
        .join(Message, Message.id == Participant.message_id)
        .where(
            Participant.role == "from",
            column == value,
            Message.id != message.id,
            Message.date <= message.date,
            Message.quarantined.is_(False),
        )
        .limit(1)
    )
    return session.scalar(query) is None


def thread_facts(session: Session, message: Message) -> ThreadFacts:
    """Who owes the next reply in the message's thread, counting person-written mail."""
    if message.thread_id is None:
        return ThreadFacts(None)
    rows = session.execute(
        select(Message.id, Message.direction, Message.date)
        .where(
            Message.thread_id == message.thread_id,
            Message.kind == "normal",
            Message.bulk.is_(False),
        )
        .order_by(Message.date, Message.id)
    ).all()
    earlier = [row for row in rows if row.id != message.id and row.date <= message.date]
    latest_direction = rows[-1].direction if rows else message.direction
    has_ticket = session.scalar(
        select(func.count(Ticket.id)).where(Ticket.thread_id == message.thread_id)
    )
    return ThreadFacts(
        id=message.thread_id,
        messages=max(len(rows), 1),
        new=not earlier,
        state="awaiting_us" if latest_direction == "inbound" else "awaiting_them",
        has_ticket=bool(has_ticket),
    )


def counterpart(message: Message) -> Participant | None:
    """The other party of a message: its sender if inbound, else the first To."""
    role = "from" if message.direction == "inbound" else "to"
    return next((p for p in message.participants if p.role == role), None)


def linked_parties(
    session: Session, message: Message
) -> tuple[Party | None, Party | None, MatchFacts | None]:
    """The contact, company and match of the message's other party, as linked."""
    participant = counterpart(message)
    if participant is None:
        return None, None, None
    link = session.get(ParticipantLink, participant.id)
    if link is None:
        return None, None, None
    contact = session.get(Contact, link.contact_id) if link.contact_id else None
    company_id = link.company_id or (contact.company_id if contact else None)
    company = session.get(Company, company_id) if company_id else None
    return (
        contact_party(session, contact, message) if contact else None,
        company_party(session, company, message) if company else None,
        MatchFacts(link.method, link.score),
    )


def parties_by_address(
    session: Session, address: str
) -> tuple[Party | None, Party | None, MatchFacts | None]:
    """For a message not stored (a dry run): exact address, then domain."""
    if not address:
        return None, None, None
    query = (
        select(Contact)
        .join(ContactAddress, ContactAddress.contact_id == Contact.id)
        .where(ContactAddress.address == address.lower())
    )
    contact = session.scalars(query).first()
    if contact is not None:
        company = (
            session.get(Company, contact.company_id) if contact.company_id else None
        )
        return (
            contact_party(session, contact, None),
            company_party(session, company, None) if company else None,
            MatchFacts("exact", 1.0),
        )
    domain = address.rpartition("@")[2].lower()
    query_company = (
        select(Company)
        .join(CompanyDomain, CompanyDomain.company_id == Company.id)
        .where(CompanyDomain.domain == domain)
    )
    company = session.scalars(query_company).first()
    if company is None:
        return None, None, None
    return None, company_party(session, company, None), MatchFacts("domain", 1.0)


def contact_party(session: Session, contact: Contact, message: Message | None) -> Party:
    return Party(
        id=contact.id,
        name=contact.name,
        tags=tuple(contact.tags or ()),
        fields={str(k): str(v) for k, v in (contact.custom_fields or {}).items()},
        owner=contact.owner,
        new=message is not None
        and contact.source == "auto"
        and _first_linked(session, message, ParticipantLink.contact_id, contact.id),
    )


def company_party(session: Session, company: Company, message: Message | None) -> Party:
    return Party(
        id=company.id,
        name=company.name,
        tags=tuple(company.tags or ()),
        new=message is not None
        and company.source == "auto"
        and _first_linked(session, message, ParticipantLink.company_id, company.id),
    )


def _first_linked(
    session: Session,
    message: Message,
    column: InstrumentedAttribute[int | None],
    party_id: int,
) -> bool:
    """No earlier message has a participant linked to this contact or company."""
    query = (
        select(Message.id)
        .join(Participant, Participant.message_id == Message.id)
        .join(ParticipantLink, ParticipantLink.participant_id == Participant.id)
        .where(
            column == party_id,
            Message.id != message.id,
            Message.date <= message.date,
        )
        .limit(1)
    )
    return session.scalar(query) is None


def message_event_facts(
    session: Session,
    message: Message,
    mailbox: str,
    trigger: str,
    moment: datetime,
    calendar: BusinessCalendar,
) -> Facts:
    """Facts for a message trigger (received, sent, no_reply) on a stored message."""
    contact, company, match = linked_parties(session, message)
    return Facts(
        trigger=trigger,
        moment=moment,
        calendar=calendar,
        message=message_facts(session, message, mailbox),
        contact=contact,
        company=company,
        match=match,
    )


def ticket_message_ids(session: Session, ticket_id: int) -> list[int]:
    query = select(TicketMessage.message_id).where(TicketMessage.ticket_id == ticket_id)
    return list(session.scalars(query))
