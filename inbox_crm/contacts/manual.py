"""Links a person sets by hand: never read for a change by automation."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.addresses import fold
from inbox_crm.contacts.models import Company, Contact, ContactAddress, ParticipantLink
from inbox_crm.errors import ContactError
from inbox_crm.storage.models import Message, Participant

log = logging.getLogger(__name__)

COUNTERPART_ROLES = ("to", "cc", "bcc")


def link_address(
    session: Session,
    address: str,
    contact: Contact | None,
    company: Company | None,
    source: str = "manual",
) -> int:
    """Make `address` the contact's (moving it if need be) and link its mail.

    Returns the number of participants linked by hand.
    """
    address = address.strip().lower()
    if contact is not None:
        _own_address(session, contact, address, source)
    ids = _participants_with(session, address)
    return set_manual(session, ids, contact, company)


def unlink_address(session: Session, address: str) -> int:
    """Take `address` from its contact and keep its mail unlinked."""
    address = address.strip().lower()
    session.execute(delete(ContactAddress).where(ContactAddress.address == address))
    return set_manual(session, _participants_with(session, address), None, None)


def message_participants(
    session: Session, message_id: int, address: str | None, own: Sequence[str]
) -> list[int]:
    """The participants of a message a link is about.

    With `address`, that participant; else the sender of an inbound message,
    or the recipients of an outbound one, without the user's own addresses.
    """
    message = session.get(Message, message_id)
    if message is None:
        raise ContactError(f"no message {message_id} (see `inbox-crm messages list`)")
    mine = {value.lower() for value in own}
    if address is not None:
        chosen = [p for p in message.participants if p.address == address.lower()]
        if not chosen:
            raise ContactError(f"message {message_id} has no participant {address}")
        return [p.id for p in chosen]
    roles = ("from",) if message.direction == "inbound" else COUNTERPART_ROLES
    return [
        p.id
        for p in message.participants
        if p.role in roles and fold(p.address) not in {fold(a) for a in mine}
    ]


def set_manual(
    session: Session,
    participant_ids: Sequence[int],
    contact: Contact | None,
    company: Company | None,
) -> int:
    """Replace the links of these participants with manual ones."""
    if not participant_ids:
        return 0
    company_id = company.id if company else (contact.company_id if contact else None)
    session.execute(
        delete(ParticipantLink).where(
            ParticipantLink.participant_id.in_(participant_ids)
        )
    )
    rows = [
        {
            "participant_id": participant_id,
            "contact_id": contact.id if contact else None,
            "company_id": company_id,
            "method": "manual",
            "score": 1.0,
        }
        for participant_id in participant_ids
    ]
    session.execute(insert(ParticipantLink), rows)
    log.info(
        "%d participants linked by hand to contact %s, company %s",
        len(rows),
        contact.id if contact else None,
        company_id,
    )
    return len(rows)


def _own_address(session: Session, contact: Contact, address: str, source: str) -> None:
    query = select(ContactAddress).where(ContactAddress.address == address)
    row = session.scalars(query).first()
    if row is None:
        primary = not contact.addresses
        row = ContactAddress(
            address=address, folded=fold(address), primary=primary, source=source
        )
        contact.addresses.append(row)
    elif row.contact_id != contact.id:
        row.primary = not contact.addresses
        row.contact = contact
    session.flush()


def _participants_with(session: Session, address: str) -> list[int]:
    query = select(Participant.id).where(Participant.address == address)
    return list(session.scalars(query))
