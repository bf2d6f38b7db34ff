"""What the demo stored, read back from the database for the closing summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from inbox_crm.client_card import contact_client_card
from inbox_crm.config import Config
from inbox_crm.contacts.models import Company, Contact, ParticipantLink
from inbox_crm.demo.smtp import ReceivedMail
from inbox_crm.outreach.models import DIGEST, OutboxRow
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Mailbox, Message, Thread
from inbox_crm.storage.tracking import Activity, RuleFiring, Ticket

LARGEST_THREADS = 5
RECENT_MESSAGES = 5
CARD_MESSAGES = 5
OPEN_TICKETS = ("open", "pending")


@dataclass(frozen=True)
class ThreadLine:
    """One thread as the summary lists it."""

    subject: str
    messages: int
    last_date: datetime | None


@dataclass(frozen=True)
class MessageLine:
    """One message as the summary lists it."""

    date: datetime
    direction: str
    kind: str
    sender: str
    subject: str


@dataclass
class DemoSummary:
    """The outcome of one demo run."""

    directory: Path
    config_path: Path
    database_path: Path
    loaded: int = 0
    stored: int = 0
    by_direction: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    threads: int = 0
    largest_threads: list[ThreadLine] = field(default_factory=list)
    quarantined: int = 0
    recent: list[MessageLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    contacts: dict[str, int] = field(default_factory=dict)
    companies: int = 0
    links: dict[str, int] = field(default_factory=dict)
    card: dict[str, Any] | None = None
    firings: dict[str, int] = field(default_factory=dict)
    activities: int = 0
    tickets: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    digest_subject: str = ""
    digest_text: str = ""
    sent_mail: list[ReceivedMail] = field(default_factory=list)


def gather(
    database: Database, config: Config, mailbox: str, summary: DemoSummary
) -> None:
    """Fill `summary` with counts and examples of the mailbox's stored mail."""
    with database.session() as session:
        mailbox_id = session.scalars(
            select(Mailbox.id).where(Mailbox.name == mailbox)
        ).one()
        # What the sync stored; the mail the outbox sent is counted apart.
        sent = select(OutboxRow.stored_message_id).where(
            OutboxRow.stored_message_id.is_not(None)
        )
        synced = (Message.mailbox_id == mailbox_id) & Message.id.not_in(sent)
        readable = synced & ~Message.quarantined
        summary.stored = _count(session, synced)
        summary.quarantined = summary.stored - _count(session, readable)
        summary.by_direction = _grouped(session, Message.direction, readable)
        summary.by_kind = _grouped(session, Message.kind, readable)
        threads = select(func.count(func.distinct(Message.thread_id))).where(synced)
        summary.threads = session.scalar(threads) or 0
        summary.largest_threads = _largest_threads(session, mailbox_id)
        summary.recent = _recent(session, readable)
        _client_history(session, config, summary)
        _work(session, summary)


def _work(session: Session, summary: DemoSummary) -> None:
    """What the rules and the outbox did, and the digest that went out."""
    by_rule = select(RuleFiring.rule_id, func.count()).group_by(RuleFiring.rule_id)
    summary.firings = {rule: n for rule, n in session.execute(by_rule)}
    summary.activities = (
        session.scalar(select(func.count(Activity.id)).where(Activity.status == "open"))
        or 0
    )
    summary.tickets = (
        session.scalar(
            select(func.count(Ticket.id)).where(Ticket.status.in_(OPEN_TICKETS))
        )
        or 0
    )
    by_status = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
    summary.outbox = {status: n for status, n in session.execute(by_status)}
    digest = session.scalars(
        select(OutboxRow).where(OutboxRow.kind == DIGEST).order_by(OutboxRow.id)
    ).first()
    if digest is not None:
        summary.digest_subject, summary.digest_text = digest.subject, digest.text


def _client_history(session: Session, config: Config, summary: DemoSummary) -> None:
    """Contacts by how they came, companies, links by method, the busiest card."""
    by_source = select(Contact.source, func.count(Contact.id)).group_by(Contact.source)
    summary.contacts = {source: n for source, n in session.execute(by_source)}
    summary.companies = session.scalar(select(func.count(Company.id))) or 0
    methods = select(ParticipantLink.method, func.count()).group_by(
        ParticipantLink.method
    )
    summary.links = {method: n for method, n in session.execute(methods)}
    # The card of someone the rules wrote to shows all of it: mail, activities,
    # rule firings and outreach; else the busiest contact's.
    written_to = (
        select(OutboxRow.contact_id)
        .where(OutboxRow.contact_id.is_not(None))
        .order_by(OutboxRow.id)
        .limit(1)
    )
    busiest = (
        select(ParticipantLink.contact_id)
        .where(ParticipantLink.contact_id.is_not(None))
        .group_by(ParticipantLink.contact_id)
        .order_by(func.count().desc(), ParticipantLink.contact_id)
        .limit(1)
    )
    contact_id = session.scalar(written_to) or session.scalar(busiest)
    contact = session.get(Contact, contact_id) if contact_id else None
    if contact is not None:
        card = contact_client_card(session, config, contact, CARD_MESSAGES)
        # When the run made the contact says nothing about the sample.
        card.pop("created_at")
        summary.card = card


def _count(session: Session, condition: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(Message.id)).where(condition)) or 0


def _grouped(
    session: Session, column: InstrumentedAttribute[str], condition: ColumnElement[bool]
) -> dict[str, int]:
    query = (
        select(column, func.count(Message.id))
        .where(condition)
        .group_by(column)
        .order_by(func.count(Message.id).desc(), column)
    )
    return {str(value): count for value, count in session.execute(query)}


def _largest_threads(session: Session, mailbox_id: int) -> list[ThreadLine]:
    query = (
        select(Thread)
        .where(Thread.mailbox_id == mailbox_id)
        .order_by(Thread.message_count.desc(), Thread.last_date.desc(), Thread.id)
        .limit(LARGEST_THREADS)
    )
    return [
        ThreadLine(thread.subject, thread.message_count, thread.last_date)
        for thread in session.scalars(query)
    ]


def _recent(session: Session, condition: ColumnElement[bool]) -> list[MessageLine]:
    query = (
        select(Message)
        .options(selectinload(Message.participants))
        .where(condition)
        .order_by(Message.date.desc(), Message.id)
        .limit(RECENT_MESSAGES)
    )
    return [
        MessageLine(
            message.date,
            message.direction,
            message.kind,
            _sender(message),
            message.subject,
        )
        for message in session.scalars(query)
    ]


def _sender(message: Message) -> str:
    for participant in message.participants:
        if participant.role == "from":
            return participant.name or participant.address
    return ""
