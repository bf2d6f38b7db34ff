"""Importing contact records: one transaction, then links back-filled.

Rows that share an address describe one person; rows that name the same
company add their domains to it. Any bad row stops the import before the
database is touched, so nothing is ever half-imported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.addresses import fold
from inbox_crm.contacts.creation import company_name
from inbox_crm.contacts.domains import is_free_mail, registrable_domain
from inbox_crm.contacts.linker import Linker, LinkResult
from inbox_crm.contacts.merge import merge_contacts
from inbox_crm.contacts.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
    ParticipantLink,
)
from inbox_crm.contacts.names import name_key
from inbox_crm.contacts.records import ContactRecord
from inbox_crm.contacts.takeover import made_by_mail, take_over
from inbox_crm.errors import ContactImportError

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    companies_created: int = 0
    links: LinkResult = field(default_factory=LinkResult)
    # Message links the back-fill made or pointed elsewhere; not those it
    # decided again the same way.
    links_changed: int = 0


def import_records(
    session: Session, records: list[ContactRecord], path: Path, linker: Linker
) -> ImportResult:
    """Store `records` in the session's transaction and back-fill links."""
    result = ImportResult()
    companies = _Companies(session, path, result, linker)
    for record in _combined(records):
        company = companies.find(record)
        _store(session, record, company, result)
    session.flush()
    given = {address for record in records for address in record.addresses}
    before = _link_rows(session)
    result.links = linker.relink(session, addresses=given)
    result.links_changed = len(_link_rows(session) - before)
    log.info(
        "%s imported: %d contacts new, %d updated, %d unchanged, %d links back-filled",
        path,
        result.created,
        result.updated,
        result.unchanged,
        result.links_changed,
    )
    return result


def _combined(records: list[ContactRecord]) -> list[ContactRecord]:
    """One record per person: a row sharing an address adds to the earlier one."""
    combined: list[ContactRecord] = []
    owner: dict[str, ContactRecord] = {}
    for record in records:
        earlier = next((owner[a] for a in record.addresses if a in owner), None)
        if earlier is None:
            combined.append(record)
            earlier = record
        else:
            _add(earlier, record)
        for address in earlier.addresses:
            owner[address] = earlier
    return combined


def _add(earlier: ContactRecord, later: ContactRecord) -> None:
    earlier.name = earlier.name or later.name
    earlier.addresses = list(dict.fromkeys([*earlier.addresses, *later.addresses]))
    earlier.company = earlier.company or later.company
    earlier.domains += [d for d in later.domains if d not in earlier.domains]
    earlier.phones = list(dict.fromkeys([*earlier.phones, *later.phones]))
    earlier.tags = list(dict.fromkeys([*earlier.tags, *later.tags]))
    earlier.owner = earlier.owner or later.owner
    earlier.notes = earlier.notes or later.notes
    earlier.custom_fields = {**later.custom_fields, **earlier.custom_fields}


class _Companies:
    """Companies by name and domain, found or created as rows name them."""

    def __init__(
        self, session: Session, path: Path, result: ImportResult, linker: Linker
    ) -> None:
        self.session = session
        self.linker = linker
        self.path = path
        self.result = result

    def find(self, record: ContactRecord) -> Company | None:
        domains = list(dict.fromkeys(registrable_domain(d) for d in record.domains))
        owners = [(domain, self._by_domain(domain)) for domain in domains]
        company: Company | None
        if record.company:
            named = self._by_name(record.company)
            if not domains and (named is None or not named.domains):
                owners = self._work_domain(record, named)
            company = self._named(record, record.company, owners)
        else:
            company = next((owner for _, owner in owners if owner), None)
            if company is None and domains:
                company = self._create(company_name(domains[0]))
        if company is None:
            return self._by_address_domain(record)
        for domain, owner in owners:
            if owner is None and domain and not is_free_mail(domain):
                company.domains.append(CompanyDomain(domain=domain))
        self.session.flush()
        return company

    def _named(
        self,
        record: ContactRecord,
        name: str,
        owners: list[tuple[str, Company | None]],
    ) -> Company:
        """The company the record names, taking over those the mail made."""
        company = self._by_name(name)
        for domain, owner in owners:
            if owner is None or (company is not None and owner.id == company.id):
                continue
            if not made_by_mail(owner):
                raise ContactImportError(
                    f"{self.path}:{record.line}: {domain} already belongs to "
                    f"company {owner.id} ({owner.name}), not {name}; "
                    "give the row that company's name, or move the domain "
                    "first (inbox-crm companies edit --remove-domain)"
                )
            company = take_over(self.session, owner, company, name)
        return company or self._create(name)

    def _work_domain(
        self, record: ContactRecord, named: Company | None
    ) -> list[tuple[str, Company | None]]:
        """The domain of the record's first work address, with its owner.

        Free-mail and the user's own domains are no company's. A domain that
        belongs to a company somebody imported or named, other than the
        record's company, stays there, and the record's company goes without.
        """
        own = self.linker.ladder.settings.own_domains
        free = self.linker.ladder.settings.free_mail_domains
        for address in record.addresses:
            host = address.rpartition("@")[2]
            domain = registrable_domain(host)
            if not domain or domain in own or is_free_mail(host) or domain in free:
                continue
            owner = self._by_domain(domain)
            if owner is None or owner is named or made_by_mail(owner):
                return [(domain, owner)]
            return []
        return []

    def _by_name(self, name: str) -> Company | None:
        query = select(Company).where(func.lower(Company.name) == name.lower())
        return self.session.scalars(query.order_by(Company.id)).first()

    def _by_domain(self, domain: str) -> Company | None:
        query = (
            select(Company).join(CompanyDomain).where(CompanyDomain.domain == domain)
        )
        return self.session.scalars(query).first()

    def _by_address_domain(self, record: ContactRecord) -> Company | None:
        for address in record.addresses:
            company = self._by_domain(registrable_domain(address.rpartition("@")[2]))
            if company is not None:
                return company
        return None

    def _create(self, name: str) -> Company:
        company = Company(name=name, source="import")
        self.session.add(company)
        self.session.flush()
        self.result.companies_created += 1
        return company


def _store(
    session: Session,
    record: ContactRecord,
    company: Company | None,
    result: ImportResult,
) -> Contact:
    """Create the record's contact, or update the one that owns its addresses."""
    owners = _owners(session, record.addresses)
    if not owners:
        contact = Contact(name=record.name, source="import")
        session.add(contact)
        result.created += 1
        _apply(record, contact, company)
        session.flush()
        return contact

    contact = owners[0]
    for other in owners[1:]:
        merge_contacts(session, contact, other)
        result.merged += 1
    before = _fields(contact)
    _apply(record, contact, company)
    if len(owners) > 1 or _fields(contact) != before:
        result.updated += 1
    else:
        result.unchanged += 1
    session.flush()
    return contact


def _apply(record: ContactRecord, contact: Contact, company: Company | None) -> None:
    """Give the record's values to `contact`, keeping what the record lacks."""
    if record.name:
        contact.name = record.name
        contact.name_key = name_key(record.name)
    if company is not None:
        contact.company_id = company.id
    held = {address.address for address in contact.addresses}
    for address in record.addresses:
        if address not in held:
            primary = not contact.addresses
            contact.addresses.append(
                ContactAddress(
                    address=address,
                    folded=fold(address),
                    primary=primary,
                    source="import",
                )
            )
    if contact.source == "auto":
        contact.source = "import"
    contact.phones = list(dict.fromkeys([*(contact.phones or []), *record.phones]))
    contact.tags = list(dict.fromkeys([*(contact.tags or []), *record.tags]))
    contact.owner = record.owner or contact.owner
    contact.notes = record.notes or contact.notes or ""
    contact.custom_fields = {**(contact.custom_fields or {}), **record.custom_fields}


def _fields(contact: Contact) -> tuple[object, ...]:
    """What an import may change on a contact, to tell an update from a no-op."""
    return (
        contact.name,
        contact.company_id,
        sorted(address.address for address in contact.addresses),
        list(contact.phones or []),
        list(contact.tags or []),
        contact.owner,
        contact.notes or "",
        dict(contact.custom_fields or {}),
        contact.source,
    )


def _link_rows(session: Session) -> set[tuple[int, int | None, int | None, str]]:
    """Every message link, as what it says (not its row id)."""
    session.flush()
    query = select(
        ParticipantLink.participant_id,
        ParticipantLink.contact_id,
        ParticipantLink.company_id,
        ParticipantLink.method,
    )
    rows = session.execute(query)
    return {(p, contact, company, m) for p, contact, company, m in rows}


def _owners(session: Session, addresses: list[str]) -> list[Contact]:
    if not addresses:
        return []
    query = (
        select(Contact)
        .join(ContactAddress)
        .where(ContactAddress.address.in_(addresses))
        .order_by(Contact.id)
    )
    return list(dict.fromkeys(session.scalars(query)))
