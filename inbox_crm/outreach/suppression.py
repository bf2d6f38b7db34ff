"""The suppression list: addresses outreach never mails, and where they come from.

Entries are made by hand, by a hard bounce that ingestion classified (a
failed delivery report whose status is not temporary (4.x.x) and not about
policy (5.7.x)), and by an unsubscribe request: a reply in an outreach
thread that says so, or the mail the List-Unsubscribe mailto sends. A
removed entry stays as history; only a newer bounce or request restores it.

An entry covers every form of its mailbox: "Bob+News@Example.com" and
"bob@example.com" are one entry, and so are a Gmail address with and
without dots (see `contacts.addresses.fold`), whatever `fold_plus_tags` says
for linking: mail someone asked not to get must not reach them by a variant.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from inbox_crm.contacts.addresses import fold
from inbox_crm.outreach.models import (
    BOUNCED,
    MANUAL,
    UNSUBSCRIBED,
    OutboxRow,
    Suppression,
)
from inbox_crm.outreach.unsubscribe import is_unsubscribe_request, request_token
from inbox_crm.storage.models import BounceRow, Message, Participant

log = logging.getLogger(__name__)


def key(address: str) -> str:
    """The form an entry is kept under: the mailbox, whatever the variant."""
    return fold(address, plus_tags=True)


def active(session: Session, address: str) -> Suppression | None:
    """The entry that suppresses `address` now, or None."""
    forms = {address.lower(), key(address)}
    query = select(Suppression).where(
        Suppression.address.in_(forms), Suppression.removed_at.is_(None)
    )
    return session.scalars(query).first()


def check(session: Session, address: str) -> Suppression | None:
    """Like `active`, after taking in this address's bounces and requests."""
    sweep(session, address)
    return active(session, address)


def suppress(
    session: Session,
    address: str,
    reason: str = MANUAL,
    detail: str = "",
    *,
    source_message_id: int | None = None,
    outbox_id: int | None = None,
) -> Suppression:
    """Suppress `address` (again, if it was removed) and return its entry."""
    lower = key(address)
    entry = session.scalars(
        select(Suppression).where(Suppression.address == lower)
    ).first()
    if entry is None:
        entry = Suppression(address=lower)
        session.add(entry)
    entry.reason = reason
    entry.detail = detail
    entry.source_message_id = source_message_id
    entry.outbox_id = outbox_id
    entry.created_at = datetime.now(UTC)
    entry.removed_at = None
    session.flush()
    log.info("address suppressed (%s): %s", reason, lower)
    return entry


def unsuppress(session: Session, address: str) -> Suppression | None:
    """Lift the suppression of `address`; the entry stays, marked removed."""
    entry = active(session, address)
    if entry is not None:
        entry.removed_at = datetime.now(UTC)
        log.info("suppression removed: %s", entry.address)
    return entry


def addresses(session: Session) -> frozenset[str]:
    """Every address suppressed now, in its `key` form."""
    query = select(Suppression.address).where(Suppression.removed_at.is_(None))
    return frozenset(session.scalars(query))


def entries(session: Session, *, removed: bool = False) -> list[Suppression]:
    """The suppression list, newest first; with `removed`, lifted entries too."""
    query = select(Suppression).order_by(
        Suppression.created_at.desc(), Suppression.id.desc()
    )
    if not removed:
        query = query.where(Suppression.removed_at.is_(None))
    return list(session.scalars(query))


def sweep(session: Session, address: str | None = None) -> int:
    """Suppress every bounced or unsubscribing address not yet taken in."""
    added = _sweep_bounces(session, address)
    added += _sweep_requests(session, address)
    return added


def _sweep_bounces(session: Session, address: str | None) -> int:
    query = (
        select(BounceRow.recipient, BounceRow.status, BounceRow.diagnostic, Message)
        .join(Message, Message.id == BounceRow.message_id)
        .where(
            BounceRow.action == "failed",
            ~BounceRow.status.startswith("4."),
            ~BounceRow.status.startswith("5.7."),
        )
        .order_by(Message.id)
    )
    if address is not None:
        query = query.where(BounceRow.recipient == address.lower())
    added = 0
    for recipient, status, diagnostic, message in session.execute(query):
        if recipient and not _taken_in(session, recipient, message):
            detail = f"{status} {diagnostic}".strip()[:500]
            suppress(session, recipient, BOUNCED, detail, source_message_id=message.id)
            added += 1
    return added


def _sweep_requests(session: Session, address: str | None) -> int:
    added = 0
    for message, sender in session.execute(_request_candidates(address)):
        if not sender:
            continue
        row = _row_of_token(session, request_token(message.subject, message.text))
        target = row.to_address if row is not None else sender
        asked = row is not None or is_unsubscribe_request(message.subject, message.text)
        if not asked or _taken_in(session, target, message):
            continue
        detail = f"asked by mail from {sender}" if target != sender else "replied"
        suppress(
            session,
            target,
            UNSUBSCRIBED,
            detail,
            source_message_id=message.id,
            outbox_id=row.id if row is not None else None,
        )
        added += 1
    return added


def _request_candidates(address: str | None) -> Select[Message, str]:
    """Inbound personal mail that answers an outreach or names unsubscribe."""
    outreach_ids = select(OutboxRow.message_id)
    outreach_threads = select(OutboxRow.thread_id).where(
        OutboxRow.thread_id.is_not(None)
    )
    query = (
        select(Message, Participant.address)
        .join(
            Participant,
            and_(Participant.message_id == Message.id, Participant.role == "from"),
        )
        .where(
            Message.direction == "inbound",
            Message.kind == "normal",
            Message.quarantined.is_(False),
            or_(
                Message.in_reply_to.in_(outreach_ids),
                Message.thread_id.in_(outreach_threads),
                func.lower(Message.subject).contains("unsubscribe"),
            ),
        )
        .order_by(Message.id)
    )
    if address is not None:
        query = query.where(Participant.address == address.lower())
    return query


def _row_of_token(session: Session, token: str | None) -> OutboxRow | None:
    if token is None:
        return None
    query = select(OutboxRow).where(OutboxRow.unsubscribe_token == token)
    return session.scalars(query).first()


def _taken_in(session: Session, address: str, message: Message) -> bool:
    """Whether `message` was already acted on for `address`, or overruled.

    It was if the address is suppressed now, or if its entry was made from this
    message or a later one, or removed by hand after this message was stored.
    """
    entry = session.scalars(
        select(Suppression).where(Suppression.address == key(address))
    ).first()
    if entry is None:
        return False
    if entry.removed_at is None:
        return True
    if entry.source_message_id is not None and entry.source_message_id >= message.id:
        return True
    return entry.removed_at >= message.created_at
