"""Merging two contacts into one, keeping every address, link and detail."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from inbox_crm.contacts.models import Contact, ParticipantLink, ReviewItem
from inbox_crm.errors import ContactError

log = logging.getLogger(__name__)


def merge_contacts(session: Session, keep: Contact, other: Contact) -> Contact:
    """Fold `other` into `keep` and delete it; `keep`'s own values win."""
    if keep.id == other.id:
        raise ContactError(f"contact {keep.id} cannot be merged with itself")

    keep_has_primary = keep.primary_address is not None
    for address in list(other.addresses):
        address.primary = address.primary and not keep_has_primary
        address.contact = keep
    session.flush()

    session.execute(
        update(ParticipantLink)
        .where(ParticipantLink.contact_id == other.id)
        .values(contact_id=keep.id)
    )
    _move_reviews(session, keep.id, other.id)

    keep.name = keep.name or other.name
    keep.name_key = keep.name_key or other.name_key
    keep.company_id = keep.company_id or other.company_id
    keep.owner = keep.owner or other.owner
    keep.tags = list(dict.fromkeys([*keep.tags, *other.tags]))
    keep.phones = list(dict.fromkeys([*keep.phones, *other.phones]))
    keep.custom_fields = {**other.custom_fields, **keep.custom_fields}
    keep.notes = "\n\n".join(note for note in (keep.notes, other.notes) if note)
    if other.source != "auto":
        keep.source = keep.source if keep.source != "auto" else other.source
    session.delete(other)
    session.flush()
    log.info("contact %s merged into contact %s", other.id, keep.id)
    return keep


def _move_reviews(session: Session, keep_id: int, other_id: int) -> None:
    """Re-point review items; an address already reviewed for `keep` goes."""
    held = set(
        session.scalars(
            select(ReviewItem.address).where(ReviewItem.contact_id == keep_id)
        )
    )
    if held:
        session.execute(
            delete(ReviewItem).where(
                ReviewItem.contact_id == other_id, ReviewItem.address.in_(held)
            )
        )
    session.execute(
        update(ReviewItem)
        .where(ReviewItem.contact_id == other_id)
        .values(contact_id=keep_id)
    )
