"""Claiming outbox rows, so that no two senders ever send the same row.

On PostgreSQL a sender locks the next due row with FOR UPDATE SKIP LOCKED, so
concurrent senders pass each other by. SQLite has one writer at a time, and
the claim is a single UPDATE ... WHERE status = 'queued' RETURNING id: two
processes cannot both win it. A claim names its process; a claim whose
process is gone (or that is older than the claim timeout) is recovered.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from inbox_crm.outreach.models import IN_DOUBT, QUEUED, SENDING, OutboxRow

log = logging.getLogger(__name__)

# host:pid:nonce; the nonce tells this process from an earlier one of the same pid.
CLAIMANT = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Recovered:
    """What recovering abandoned claims did: queued again, or put in doubt."""

    queued: int = 0
    in_doubt: int = 0


def claim_due(
    session: Session,
    mailbox_id: int,
    now: datetime,
    *,
    started: datetime,
    count: int = 1,
    full_domains: frozenset[str] = frozenset(),
    only: Collection[int] | None = None,
) -> list[int]:
    """Claim up to `count` due rows of the mailbox; their ids, oldest due first.

    The caller commits. Rows tried since `started` are passed over, so one
    flush tries a row once.
    """
    candidates = _due(mailbox_id, now, started, full_domains, count)
    if only is not None:
        candidates = candidates.where(OutboxRow.id.in_(sorted(only)))
    claim = {
        "status": SENDING,
        "claimed_by": CLAIMANT,
        "claimed_at": now,
        "attempts": OutboxRow.attempts + 1,
        "last_attempt_at": now,
        "data_at": None,
        "updated_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if ids:
            session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(ids)).values(claim)
            )
        return ids
    statement = (
        update(OutboxRow)
        .where(OutboxRow.id.in_(candidates.scalar_subquery()))
        .where(OutboxRow.status == QUEUED)
        .values(claim)
        .returning(OutboxRow.id, OutboxRow.due_at)
    )
    claimed = session.execute(statement).all()
    return [
        row_id for row_id, _ in sorted(claimed, key=lambda item: (item[1], item[0]))
    ]


def claim_next(
    session: Session,
    mailbox_id: int,
    now: datetime,
    *,
    started: datetime,
    full_domains: frozenset[str] = frozenset(),
    only: Collection[int] | None = None,
) -> int | None:
    """Claim the next due row of the mailbox and return its id (caller commits)."""
    ids = claim_due(
        session, mailbox_id, now, started=started, full_domains=full_domains, only=only
    )
    return ids[0] if ids else None


def recover_abandoned(
    session: Session, mailbox_id: int, now: datetime, timeout: timedelta
) -> Recovered:
    """Free the claims of senders that stopped: safe ones queue, others are in doubt."""
    query = select(OutboxRow).where(
        OutboxRow.mailbox_id == mailbox_id, OutboxRow.status == SENDING
    )
    queued = in_doubt = 0
    for row in session.scalars(query.with_for_update()):
        if not _abandoned(row, now, timeout):
            continue
        if row.data_at is None:
            row.status = QUEUED
            row.reason = "the sender stopped before offering it to the server"
            queued += 1
        else:
            row.status = IN_DOUBT
            row.reason = (
                "the sender stopped after offering it to the server; "
                "whether it was accepted is not known yet"
            )
            in_doubt += 1
        log.warning(
            "outreach %s: claim of %s recovered: %s", row.id, row.claimed_by, row.status
        )
    return Recovered(queued, in_doubt)


def _due(
    mailbox_id: int,
    now: datetime,
    started: datetime,
    full_domains: frozenset[str],
    count: int = 1,
) -> Select[int]:
    query = select(OutboxRow.id).where(
        OutboxRow.status == QUEUED,
        OutboxRow.mailbox_id == mailbox_id,
        OutboxRow.due_at <= now,
        or_(OutboxRow.last_attempt_at.is_(None), OutboxRow.last_attempt_at < started),
    )
    if full_domains:
        query = query.where(OutboxRow.recipient_domain.not_in(sorted(full_domains)))
    return query.order_by(OutboxRow.due_at, OutboxRow.id).limit(count)


def _abandoned(row: OutboxRow, now: datetime, timeout: timedelta) -> bool:
    if row.claimed_at is None or row.claimed_at < now - timeout:
        return True
    return row.claimed_by is not None and not claimant_alive(row.claimed_by)


def claimant_alive(claimant: str) -> bool:
    """Whether the process that made a claim may still run (others' hosts: yes)."""
    host, _, rest = claimant.partition(":")
    pid_text = rest.partition(":")[0]
    if claimant == CLAIMANT:
        return True
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # an earlier process that had our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
