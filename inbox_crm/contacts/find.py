"""Finding a contact or company from what a user types: an id, address or domain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.addresses import fold
from inbox_crm.contacts.domains import registrable_domain
from inbox_crm.contacts.models import Company, CompanyDomain, Contact, ContactAddress
from inbox_crm.errors import ContactError


def find_contact(session: Session, ref: str) -> Contact:
    """The contact with this id or address (folded variants count)."""
    ref = ref.strip()
    contact: Contact | None = None
    if ref.isdigit():
        contact = session.get(Contact, int(ref))
    elif "@" in ref:
        contact = _by_address(session, ref.lower())
    if contact is None:
        raise ContactError(
            f"no contact {ref!r}: give a contact id or one of its addresses "
            "(see `inbox-crm contacts list`)"
        )
    return contact


def _by_address(session: Session, address: str) -> Contact | None:
    query = select(Contact).join(ContactAddress)
    found = session.scalars(query.where(ContactAddress.address == address)).first()
    if found is None:
        folded = query.where(ContactAddress.folded == fold(address))
        found = session.scalars(folded).first()
    return found


def find_company(session: Session, ref: str) -> Company:
    """The company with this id, domain (any subdomain) or name."""
    ref = ref.strip()
    company: Company | None = None
    if ref.isdigit():
        company = session.get(Company, int(ref))
    else:
        domain = registrable_domain(ref.lower().rpartition("@")[2])
        query = select(Company).join(CompanyDomain)
        company = session.scalars(query.where(CompanyDomain.domain == domain)).first()
        if company is None:
            by_name = select(Company).where(func.lower(Company.name) == ref.lower())
            company = session.scalars(by_name.order_by(Company.id)).first()
    if company is None:
        raise ContactError(
            f"no company {ref!r}: give a company id, one of its domains or its "
            "name (see `inbox-crm companies list`)"
        )
    return company
