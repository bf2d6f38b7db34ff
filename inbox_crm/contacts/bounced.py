"""Contacts known only from bounced mail: a mistyped address is no new person.

A contact made from the recipients of sent mail exists before the bounce
comes back, so it is kept (the mail is still in its history) but not shown
as new: every one of its addresses had a hard bounce, the kind that also
suppresses an address, and none of them ever wrote to us.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import aliased

from inbox_crm.contacts.models import Contact, ContactAddress
from inbox_crm.storage.models import BounceRow, Message, Participant


def only_bounced() -> ColumnElement[bool]:
    """True for a contact whose every address bounced and never wrote to us."""
    address = aliased(ContactAddress)
    hard_bounce = exists().where(
        BounceRow.recipient == func.lower(address.address),
        BounceRow.action == "failed",
        ~BounceRow.status.startswith("4."),
        ~BounceRow.status.startswith("5.7."),
    )
    addresses = select(address.id).where(address.contact_id == Contact.id)
    not_bounced = addresses.where(~hard_bounce)
    sender = aliased(ContactAddress)
    wrote = (
        select(Participant.id)
        .join(Message, Message.id == Participant.message_id)
        .join(sender, Participant.address == func.lower(sender.address))
        .where(
            sender.contact_id == Contact.id,
            Participant.role == "from",
            Message.direction == "inbound",
        )
    )
    return and_(addresses.exists(), ~not_bounced.exists(), ~wrote.exists())
