"""The ignore list: addresses and domains that never become or link to anyone."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.domains import registrable_domain
from inbox_crm.contacts.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
    IgnoreEntry,
    ParticipantLink,
    ReviewItem,
)
from inbox_crm.errors import ContactError
from inbox_crm.mail.addresses import is_valid
from inbox_crm.storage.models import Message, Participant

log = logging.getLogger(__name__)


@dataclass
class Purged:
    """What removing an ignored address or domain from storage took away."""

    messages: int = 0
    contacts: int = 0
    companies: int = 0
    links: int = 0


def entry_of(value: str) -> tuple[str, str]:
    """The kind ("address" or "domain") and normal form of an ignore entry."""
    value = value.strip().lower()
    if "@" in value:
        if not is_valid(value):
            raise ContactError(f"{value!r} is not an email address")
        return "address", value
    if "." not in value or " " in value:
        raise ContactError(f"{value!r} is neither an email address nor a domain")
    return "domain", registrable_domain(value)


def add(session: Session, value: str) -> IgnoreEntry:
    """Ignore an address or domain from now on; drop automatic links to it."""
    kind, value = entry_of(value)
    entry = session.scalars(
        select(IgnoreEntry).where(IgnoreEntry.kind == kind, IgnoreEntry.value == value)
    ).first()
    if entry is None:
        entry = IgnoreEntry(kind=kind, value=value)
        session.add(entry)
    participants = select(Participant.id).where(_matches(kind, value))
    session.execute(
        delete(ParticipantLink).where(
            ParticipantLink.participant_id.in_(participants),
            ParticipantLink.method != "manual",
        )
    )
    session.flush()
    log.info("%s %s ignored", kind, value)
    return entry


def remove(session: Session, value: str) -> bool:
    """Stop ignoring an address or domain; False when it was not listed."""
    kind, value = entry_of(value)
    result = session.execute(
        delete(IgnoreEntry).where(IgnoreEntry.kind == kind, IgnoreEntry.value == value)
    )
    return bool(getattr(result, "rowcount", 0))


def entries(session: Session) -> list[IgnoreEntry]:
    return list(
        session.scalars(
            select(IgnoreEntry).order_by(IgnoreEntry.kind, IgnoreEntry.value)
        )
    )


def purge(session: Session, value: str) -> Purged:
    """Delete what is stored from an ignored address or domain.

    Messages it sent, the contacts all of whose addresses it covers, the
    companies all of whose domains it covers, and every link to it.
    """
    kind, value = entry_of(value)
    purged = Purged()
    matching = _matches(kind, value)
    senders = select(Participant.message_id).where(matching, Participant.role == "from")
    purged.links = _delete(
        session,
        delete(ParticipantLink).where(
            ParticipantLink.participant_id.in_(select(Participant.id).where(matching))
        ),
    )
    purged.messages = _delete(session, delete(Message).where(Message.id.in_(senders)))
    touched = select(Contact).join(ContactAddress).where(_address_matches(kind, value))
    for contact in session.scalars(touched).unique():
        if contact.addresses and all(
            _covers(kind, value, a.address) for a in contact.addresses
        ):
            session.delete(contact)
            purged.contacts += 1
    if kind == "domain":
        for company in session.scalars(
            select(Company).join(CompanyDomain).where(CompanyDomain.domain == value)
        ).unique():
            if all(d.domain == value for d in company.domains):
                session.delete(company)
                purged.companies += 1
    session.execute(delete(ReviewItem).where(_review_matches(kind, value)))
    session.flush()
    log.info("purged %s %s: %s", kind, value, purged)
    return purged


def _matches(kind: str, value: str) -> ColumnElement[bool]:
    if kind == "address":
        return Participant.address == value
    return or_(Participant.domain == value, Participant.domain.like(f"%.{value}"))


def _review_matches(kind: str, value: str) -> ColumnElement[bool]:
    if kind == "address":
        return ReviewItem.address == value
    return or_(
        ReviewItem.address.like(f"%@{value}"), ReviewItem.address.like(f"%.{value}")
    )


def _address_matches(kind: str, value: str) -> ColumnElement[bool]:
    if kind == "address":
        return ContactAddress.address == value
    return or_(
        ContactAddress.address.like(f"%@{value}"),
        ContactAddress.address.like(f"%.{value}"),
    )


def _covers(kind: str, value: str, address: str) -> bool:
    if kind == "address":
        return address == value
    domain = address.rpartition("@")[2]
    return domain == value or domain.endswith(f".{value}")


def _delete(session: Session, statement: object) -> int:
    result = session.execute(statement)  # type: ignore[call-overload]
    return int(getattr(result, "rowcount", 0) or 0)
