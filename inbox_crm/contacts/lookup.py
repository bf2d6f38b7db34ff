"""Filling a Directory from the database with the rows one batch can reach."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from inbox_crm.contacts.addresses import fold, split
from inbox_crm.contacts.directory import Directory
from inbox_crm.contacts.domains import registrable_domain
from inbox_crm.contacts.ladder import Seen
from inbox_crm.contacts.models import (
    CompanyDomain,
    Contact,
    ContactAddress,
    IgnoreEntry,
    ReviewItem,
)
from inbox_crm.contacts.names import name_key

CHUNK = 500
T = TypeVar("T")


def load_directory(
    session: Session, seen: Collection[Seen], fold_plus_tags: bool
) -> Directory:
    """A Directory holding every contact and company these participants can match."""
    directory = Directory(fold_plus_tags=fold_plus_tags)
    _load_ignored(session, directory)
    if not seen:
        return directory

    addresses = {item.address.lower() for item in seen}
    folded = {fold(address, True) for address in addresses}
    domains = {registrable_domain(split(address)[1]) for address in addresses}
    keys = {key for key in (name_key(item.name) for item in seen) if key}

    address_rows = _address_rows(session, addresses, folded)
    company_ids = _load_companies(session, directory, domains)
    contact_ids = {row.contact_id for row in address_rows}
    contact_ids |= _ids(session, Contact.company_id, company_ids)
    contact_ids |= _ids(session, Contact.name_key, keys)
    for chunk in _chunks(contact_ids):
        query = select(Contact.id, Contact.name, Contact.company_id).where(
            Contact.id.in_(chunk)
        )
        for contact_id, name, company_id in session.execute(query):
            directory.add_contact(contact_id, name, company_id, ())
    for row in address_rows:
        directory.add_address(row.contact_id, row.address, row.primary)
    companies = {c.company_id for c in directory.contacts.values() if c.company_id}
    _load_company_domains(session, directory, companies - company_ids)
    _load_rejected(session, directory, addresses)
    return directory


def _address_rows(
    session: Session, addresses: set[str], folded: set[str]
) -> list[ContactAddress]:
    rows: dict[int, ContactAddress] = {}
    for column, values in (
        (ContactAddress.address, addresses),
        (ContactAddress.folded, folded),
    ):
        for chunk in _chunks(values):
            for row in session.scalars(select(ContactAddress).where(column.in_(chunk))):
                rows[row.id] = row
    return list(rows.values())


def _load_companies(
    session: Session, directory: Directory, domains: set[str]
) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(domains):
        query = select(CompanyDomain.company_id, CompanyDomain.domain).where(
            CompanyDomain.domain.in_(chunk)
        )
        for company_id, domain in session.execute(query):
            directory.add_company(company_id, [domain])
            found.add(company_id)
    return found


def _load_company_domains(
    session: Session, directory: Directory, company_ids: set[int]
) -> None:
    """The domains of the candidates' companies, to recognise subsidiaries."""
    for chunk in _chunks(company_ids):
        query = select(CompanyDomain.company_id, CompanyDomain.domain).where(
            CompanyDomain.company_id.in_(chunk)
        )
        for company_id, domain in session.execute(query):
            directory.add_company(company_id, [domain])


def _ids(
    session: Session, column: InstrumentedAttribute[Any], values: set[T]
) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(values):
        found.update(session.scalars(select(Contact.id).where(column.in_(chunk))))
    return found


def _load_rejected(session: Session, directory: Directory, addresses: set[str]) -> None:
    for chunk in _chunks(addresses):
        query = select(ReviewItem.address, ReviewItem.contact_id).where(
            ReviewItem.address.in_(chunk), ReviewItem.status == "rejected"
        )
        rows = session.execute(query)
        directory.rejected.update((address, contact) for address, contact in rows)


def _load_ignored(session: Session, directory: Directory) -> None:
    for kind, value in session.execute(select(IgnoreEntry.kind, IgnoreEntry.value)):
        target = (
            directory.ignored_addresses
            if kind == "address"
            else directory.ignored_domains
        )
        target.add(value)


def _chunks(values: Iterable[T]) -> Iterator[list[T]]:
    chunk: list[T] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
