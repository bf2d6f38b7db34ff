"""Exporting contacts and companies (JSON Lines or CSV), and links for messages."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inbox_crm.contacts.card import company_details, contact_details
from inbox_crm.contacts.models import Company, Contact, ParticipantLink
from inbox_crm.storage.models import Message

CONTACT_COLUMNS = ("id", "name", "email", "company", "phone", "tags", "owner", "notes")
COMPANY_COLUMNS = ("id", "name", "domain", "tags", "notes")


def iter_contacts(session: Session) -> Iterator[Contact]:
    query = (
        select(Contact)
        .options(selectinload(Contact.addresses), selectinload(Contact.company))
        .order_by(Contact.id)
    )
    yield from session.scalars(query.execution_options(yield_per=500))


def iter_companies(session: Session) -> Iterator[Company]:
    query = (
        select(Company)
        .options(selectinload(Company.domains), selectinload(Company.contacts))
        .order_by(Company.id)
    )
    yield from session.scalars(query.execution_options(yield_per=500))


def contact_record(contact: Contact) -> dict[str, Any]:
    """One contact as `inbox-crm export contacts` writes it."""
    return contact_details(contact)


def company_record(company: Company) -> dict[str, Any]:
    """One company as `inbox-crm export companies` writes it."""
    record = company_details(company)
    record["contacts"] = sorted(contact.id for contact in company.contacts)
    return record


def write_contacts_csv(contacts: Iterable[Contact], out: IO[str]) -> int:
    """Contacts as CSV that `inbox-crm contacts import` reads back."""
    rows = [_contact_row(contact) for contact in contacts]
    extra = sorted({key for row in rows for key in row} - set(CONTACT_COLUMNS))
    writer = csv.DictWriter(out, [*CONTACT_COLUMNS, *extra], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return len(rows)


def write_companies_csv(companies: Iterable[Company], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COMPANY_COLUMNS)
    count = 0
    for company in companies:
        domains = "; ".join(d.domain for d in company.domains)
        tags = "; ".join(company.tags or [])
        writer.writerow([company.id, company.name, domains, tags, company.notes])
        count += 1
    return count


def links_of(
    session: Session, messages: Iterable[Message]
) -> dict[int, ParticipantLink]:
    """The links of these messages' participants, by participant id."""
    ids = [p.id for message in messages for p in message.participants]
    found: dict[int, ParticipantLink] = {}
    for start in range(0, len(ids), 500):
        query = (
            select(ParticipantLink)
            .options(
                selectinload(ParticipantLink.contact).selectinload(Contact.addresses),
                selectinload(ParticipantLink.company),
            )
            .where(ParticipantLink.participant_id.in_(ids[start : start + 500]))
        )
        found.update((link.participant_id, link) for link in session.scalars(query))
    return found


def _contact_row(contact: Contact) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": contact.id,
        "name": contact.name,
        "email": "; ".join(a.address for a in contact.addresses),
        "company": contact.company.name if contact.company else "",
        "phone": "; ".join(contact.phones or []),
        "tags": "; ".join(contact.tags or []),
        "owner": contact.owner or "",
        "notes": contact.notes,
    }
    for key, value in (contact.custom_fields or {}).items():
        if key.lower() not in CONTACT_COLUMNS:
            row[key] = value
    return row
