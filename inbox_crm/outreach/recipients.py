"""Who an outreach goes to: a contact by id or address, or a plain address."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.models import Contact, ContactAddress
from inbox_crm.errors import OutreachError


@dataclass(frozen=True)
class Recipient:
    """The address a mail goes to, the name to greet and the contact, if known.

    `address` is normalised (domain lower-cased, local part as written).
    """

    address: str
    name: str = ""
    contact: Contact | None = None

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def normalize_address(value: str, given: str | None = None) -> str:
    """`value` checked as an email address and normalised; a clear error if not.

    The error quotes `given`, what the user typed, when the address was taken
    out of it.
    """
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        shown = given if given is not None else value
        raise OutreachError(f"{shown!r} is not a valid email address: {exc}") from None


def resolve_recipient(session: Session, value: str | int) -> Recipient:
    """The recipient named by a contact id, an address, or "Name <address>"."""
    if isinstance(value, int) or value.strip().isdigit():
        return _contact_by_id(session, int(value))

    name, address = parseaddr(value)
    if not address or any(character in value for character in "\r\n"):
        raise OutreachError(
            f"{value!r} is neither a contact id nor an email address "
            "(give an id, ann@example.com or 'Ann Lee <ann@example.com>')"
        )
    address = normalize_address(address, value)
    contact = contact_for_address(session, address)
    if contact is not None:
        return Recipient(address, name or contact.name, contact)
    return Recipient(address, name)


def contact_for_address(session: Session, address: str) -> Contact | None:
    """The contact one of whose addresses is `address` (case-insensitive)."""
    lower = address.lower()
    query = (
        select(Contact)
        .join(ContactAddress, ContactAddress.contact_id == Contact.id)
        .where(or_(ContactAddress.address == lower, ContactAddress.folded == lower))
        .order_by(ContactAddress.address != lower, Contact.id)
    )
    return session.scalars(query).first()


def _contact_by_id(session: Session, contact_id: int) -> Recipient:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise OutreachError(f"no contact with id {contact_id}")
    address = contact.primary_address
    if address is None:
        raise OutreachError(
            f"contact {contact_id} ({contact.name or 'no name'}) has no email address"
        )
    return Recipient(normalize_address(address), contact.name, contact)
