"""The review queue: fuzzy candidates a person accepts or rejects."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from inbox_crm.contacts.manual import link_address
from inbox_crm.contacts.models import ReviewItem
from inbox_crm.errors import ContactError
from inbox_crm.storage.models import Participant

log = logging.getLogger(__name__)


def pending(session: Session, limit: int | None = None) -> list[ReviewItem]:
    """Open candidates, best score first."""
    query = (
        select(ReviewItem)
        .options(selectinload(ReviewItem.contact))
        .where(ReviewItem.status == "pending")
        .order_by(ReviewItem.score.desc(), ReviewItem.id)
    )
    return list(session.scalars(query.limit(limit)))


def message_counts(session: Session, addresses: list[str]) -> dict[str, int]:
    """How many stored participants carry each address."""
    if not addresses:
        return {}
    query = (
        select(Participant.address, func.count(Participant.id))
        .where(Participant.address.in_(addresses))
        .group_by(Participant.address)
    )
    return {address: count for address, count in session.execute(query)}


def accept(session: Session, item_id: int) -> tuple[ReviewItem, int]:
    """Take the candidate: the address joins the contact, its mail is linked."""
    item = _open(session, item_id)
    linked = link_address(session, item.address, item.contact, None, source="review")
    _decide(item, "accepted")
    session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.address == item.address,
            ReviewItem.status == "pending",
            ReviewItem.id != item.id,
        )
        .values(status="rejected", decided_at=datetime.now(UTC))
    )
    log.info(
        "review %s accepted: %s is contact %s", item.id, item.address, item.contact_id
    )
    return item, linked


def reject(session: Session, item_id: int) -> ReviewItem:
    """Refuse the candidate: this address is never proposed for it again."""
    item = _open(session, item_id)
    _decide(item, "rejected")
    log.info("review %s rejected", item.id)
    return item


def _open(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise ContactError(f"no review item {item_id} (see `inbox-crm review list`)")
    if item.status != "pending":
        raise ContactError(f"review item {item_id} is already {item.status}")
    return item


def _decide(item: ReviewItem, status: str) -> None:
    item.status = status
    item.decided_at = datetime.now(UTC)
