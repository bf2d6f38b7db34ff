"""Sequences that stop on reply: a follow-up is cancelled once the contact answers.

A reply counts when it is a personal message (not an auto-reply, bounce or
list mail) in the follow-up's thread that is dated (to the second, as Date
headers are) or was stored after the follow-up was queued, from one of the
contact's addresses or, with stop_on_reply = "company", from anyone at the
contact's company (its domains, or its other contacts).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, literal, or_, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.models import CompanyDomain, Contact, ContactAddress
from inbox_crm.outreach.models import CANCELLED, QUEUED, OutboxRow
from inbox_crm.storage.models import Message, Participant

log = logging.getLogger(__name__)


def stopping_reply(session: Session, row: OutboxRow, scope: str) -> Message | None:
    """The reply that stops this follow-up, or None when there is none yet."""
    if row.thread_id is None:
        return None
    senders = _senders(session, row, scope)
    query = (
        select(Message)
        .join(
            Participant,
            and_(Participant.message_id == Message.id, Participant.role == "from"),
        )
        .where(
            Message.thread_id == row.thread_id,
            Message.direction == "inbound",
            Message.kind == "normal",
            Message.quarantined.is_(False),
            or_(
                Message.date >= row.created_at.replace(microsecond=0),
                Message.created_at > row.created_at,
            ),
            senders,
        )
        .order_by(Message.date)
        .limit(1)
    )
    return session.scalars(query).first()


def cancel_answered(session: Session, mailbox_id: int, scope: str) -> list[int]:
    """Cancel every queued follow-up of the mailbox whose contact has replied."""
    query = select(OutboxRow).where(
        OutboxRow.mailbox_id == mailbox_id,
        OutboxRow.status == QUEUED,
        OutboxRow.thread_id.is_not(None),
    )
    cancelled = []
    for row in session.scalars(query):
        reply = stopping_reply(session, row, scope)
        if reply is not None:
            cancel_for_reply(row, reply)
            cancelled.append(row.id)
    return cancelled


def cancel_for_reply(row: OutboxRow, reply: Message) -> None:
    row.status = CANCELLED
    row.reason = f"stopped: a reply came in the thread (message {reply.id})"
    row.updated_at = datetime.now(UTC)
    log.info("outreach %s cancelled: message %s replied", row.id, reply.id)


def _senders(session: Session, row: OutboxRow, scope: str) -> ColumnElement[bool]:
    """A condition on Participant.address: who counts as the contact answering."""
    own = select(ContactAddress.address).where(
        ContactAddress.contact_id == row.contact_id
    )
    condition = or_(
        Participant.address == row.to_address.lower(),
        Participant.address.in_(own),
    )
    if scope != "company" or row.contact_id is None:
        return condition
    company_id = session.scalar(
        select(Contact.company_id).where(Contact.id == row.contact_id)
    )
    if company_id is None:
        return condition
    # The company's domains and their subdomains (mail.acme.example).
    at_company = (
        select(CompanyDomain.id)
        .where(
            CompanyDomain.company_id == company_id,
            or_(
                Participant.domain == CompanyDomain.domain,
                Participant.domain.like(literal("%.") + CompanyDomain.domain),
            ),
        )
        .exists()
    )
    colleagues = (
        select(ContactAddress.address)
        .join(Contact, Contact.id == ContactAddress.contact_id)
        .where(Contact.company_id == company_id)
    )
    return or_(
        condition,
        at_company,
        Participant.address.in_(colleagues),
    )
