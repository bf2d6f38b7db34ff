"""Leases in the database: one agent at a time works a mailbox or a job.

A lease is a row (resource, owner, expiry). Claiming it is one UPDATE that
succeeds only when the row is free, expired or already ours, so it holds
across machines on PostgreSQL, where concurrent claims of one row are
serialised by the row lock and re-checked against the committed owner.
Expiry is measured on the database's clock there, so clocks that differ
between machines do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_crm.agent.models import Lease


@dataclass(frozen=True)
class Claim:
    """The outcome of one claim: held by us, or by whom and until when."""

    resource: str
    held: bool
    owner: str | None
    expires_at: datetime | None
    # The agent whose expired lease we took over, if any.
    taken_from: str | None = None


def database_now(session: Session) -> datetime:
    """The database's clock on PostgreSQL (shared by all machines), else ours."""
    if session.get_bind().dialect.name == "postgresql":
        moment = session.scalar(select(func.statement_timestamp()))
        if isinstance(moment, datetime):
            return moment.astimezone(UTC)
    return datetime.now(UTC)


def claim(session: Session, resource: str, owner: str, duration: timedelta) -> Claim:
    """Renew our lease on `resource`, or take it if it is free or expired.

    The first statement writes, so that on SQLite the transaction holds the
    write lock from its start and never has to upgrade a stale read.
    """
    now = database_now(session)
    expires = now + duration
    if _update(session, resource, expires, Lease.owner == owner):
        return Claim(resource, True, owner, expires)

    before = session.execute(
        select(Lease.owner, Lease.expires_at).where(Lease.resource == resource)
    ).first()
    if before is None and _insert(session, resource, owner, now, expires):
        return Claim(resource, True, owner, expires)

    free = or_(Lease.owner.is_(None), Lease.expires_at <= now)
    if _update(session, resource, expires, free, owner=owner, acquired_at=now):
        taken_from = before.owner if before is not None else None
        return Claim(resource, True, owner, expires, taken_from)

    holder = session.execute(
        select(Lease.owner, Lease.expires_at).where(Lease.resource == resource)
    ).one()
    return Claim(resource, False, holder.owner, holder.expires_at)


def take_over(
    session: Session, resource: str, owner: str, previous: str, duration: timedelta
) -> bool:
    """Take the lease from `previous`, known gone, before it expires."""
    now = database_now(session)
    held_by_previous = Lease.owner == previous
    return _update(
        session,
        resource,
        now + duration,
        held_by_previous,
        owner=owner,
        acquired_at=now,
    )


def release(session: Session, resource: str, owner: str) -> bool:
    """Give up our lease at once, so another agent need not wait for expiry."""
    statement = (
        update(Lease)
        .where(Lease.resource == resource, Lease.owner == owner)
        .values(owner=None, expires_at=database_now(session))
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount == 1


def leases(session: Session) -> dict[str, Lease]:
    """Every lease row by resource, for `inbox-crm status`."""
    return {lease.resource: lease for lease in session.scalars(select(Lease))}


def _update(
    session: Session,
    resource: str,
    expires: datetime,
    condition: ColumnElement[bool],
    **values: object,
) -> bool:
    statement = (
        update(Lease)
        .where(Lease.resource == resource, condition)
        .values(expires_at=expires, **values)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount == 1


def _insert(
    session: Session, resource: str, owner: str, now: datetime, expires: datetime
) -> bool:
    try:
        with session.begin_nested():
            session.add(
                Lease(
                    resource=resource, owner=owner, acquired_at=now, expires_at=expires
                )
            )
    except IntegrityError:
        # Another agent created the row first; the UPDATE decides.
        return False
    return True
