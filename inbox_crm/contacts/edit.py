"""Changing a contact's or company's details by hand."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inbox_crm.contacts.domains import is_free_mail, registrable_domain
from inbox_crm.contacts.models import Company, CompanyDomain, Contact, ParticipantLink
from inbox_crm.contacts.names import name_key
from inbox_crm.errors import ContactError
from inbox_crm.wording import with_article

log = logging.getLogger(__name__)


@dataclass
class Changes:
    """What to change; None (or empty) leaves a detail as it is."""

    name: str | None = None
    owner: str | None = None
    notes: str | None = None
    add_tags: Iterable[str] = ()
    remove_tags: Iterable[str] = ()
    fields: Mapping[str, str] = field(default_factory=dict)


def edit_contact(
    session: Session,
    contact: Contact,
    changes: Changes,
    company: Company | None = None,
    primary: str | None = None,
) -> Contact:
    """Apply `changes`; `company` moves the contact, `primary` picks its address."""
    if changes.name is not None:
        contact.name = _name(changes.name, "contact", contact.name)
        contact.name_key = name_key(contact.name)
    if changes.owner is not None:
        contact.owner = changes.owner.strip() or None
    if changes.notes is not None:
        contact.notes = changes.notes
    contact.tags = _tags(contact.tags, changes)
    if changes.fields:
        merged = {**(contact.custom_fields or {}), **changes.fields}
        contact.custom_fields = {key: value for key, value in merged.items() if value}
    if company is not None and company.id != contact.company_id:
        contact.company_id = company.id
        # The contact's automatic links follow it to its new company.
        session.execute(
            update(ParticipantLink)
            .where(
                ParticipantLink.contact_id == contact.id,
                ParticipantLink.method != "manual",
            )
            .values(company_id=company.id)
        )
    if primary is not None:
        _primary(contact, primary.strip().lower())
    session.flush()
    log.info("contact %s edited", contact.id)
    return contact


def edit_company(
    session: Session,
    company: Company,
    changes: Changes,
    add_domains: Iterable[str] = (),
    remove_domains: Iterable[str] = (),
) -> Company:
    """Apply `changes` and domain changes to a company."""
    if changes.name is not None:
        company.name = _name(changes.name, "company", company.name)
    if changes.notes is not None:
        company.notes = changes.notes
    company.tags = _tags(company.tags, changes)
    gone = {registrable_domain(domain) for domain in remove_domains}
    company.domains = [d for d in company.domains if d.domain not in gone]
    for domain in add_domains:
        _add_domain(session, company, registrable_domain(domain.strip().lower()))
    session.flush()
    log.info("company %s edited", company.id)
    return company


def _name(name: str, noun: str, current: str) -> str:
    """A new name, refused when blank: a blank name could not be found again."""
    if not name.strip():
        raise ContactError(
            f"{with_article(noun)}'s name cannot be blank: give a name, or leave "
            f"the name out to keep {current!r}"
        )
    return name.strip()


def _tags(tags: list[str] | None, changes: Changes) -> list[str]:
    removed = set(changes.remove_tags)
    kept = [tag for tag in tags or [] if tag not in removed]
    return list(dict.fromkeys([*kept, *changes.add_tags]))


def _primary(contact: Contact, address: str) -> None:
    if address not in {a.address for a in contact.addresses}:
        raise ContactError(f"{address} is not an address of contact {contact.id}")
    for row in contact.addresses:
        row.primary = row.address == address


def _add_domain(session: Session, company: Company, domain: str) -> None:
    if "." not in domain or any(character.isspace() for character in domain):
        raise ContactError(f"{domain!r} is not a domain (like acme.com)")
    if is_free_mail(domain):
        raise ContactError(
            f"{domain!r} is a free-mail domain: it cannot be a company's domain"
        )
    query = select(CompanyDomain).where(CompanyDomain.domain == domain)
    owner = session.scalars(query).first()
    if owner is not None and owner.company_id != company.id:
        raise ContactError(
            f"{domain} belongs to company {owner.company_id}; "
            "remove it there first (inbox-crm companies edit --remove-domain)"
        )
    if owner is None:
        company.domains.append(CompanyDomain(domain=domain))
