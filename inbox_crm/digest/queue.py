"""Making a user's digest for a day, and queueing it once through the outbox.

The digest's record and its outbox row are written in one transaction, keyed
by user and local day (`digest:<user>:<day>`): a digest is queued once per
user per day whatever restarts, agents or `digest send` come between.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_crm.config import Config, UserConfig
from inbox_crm.digest.content import digest_content
from inbox_crm.digest.models import QUEUED, SKIPPED, DigestRecord
from inbox_crm.digest.period import DigestError, Period, period
from inbox_crm.digest.render import TEMPLATE, render_digest
from inbox_crm.digest.scope import scope_for
from inbox_crm.errors import OutreachError
from inbox_crm.outreach.models import DIGEST, OutboxRow
from inbox_crm.outreach.queue import sending_mailbox
from inbox_crm.outreach.rendered import queue_rendered
from inbox_crm.outreach.templates import RenderedMail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Digest:
    """One user's digest for one day: its period, its content and its mail."""

    user: UserConfig
    period: Period
    content: dict[str, Any]
    mail: RenderedMail

    @property
    def empty(self) -> bool:
        return bool(self.content["empty"])


@dataclass(frozen=True)
class Queued:
    """What queueing a digest found or did."""

    record: DigestRecord
    created: bool


def make_digest(
    session: Session, config: Config, user: UserConfig, day: date, now: datetime
) -> Digest:
    """The digest of `user` for `day` as it stands at `now`; nothing is written."""
    span = period(session, user, day, now)
    content = digest_content(
        session, scope_for(session, user, span, config.tickets.prefix)
    )
    mail = render_digest(config.outreach.templates, content)
    return Digest(user, span, content, mail)


def queue_digest(
    session: Session, config: Config, user: UserConfig, day: date, now: datetime
) -> Queued:
    """Queue the day's digest unless it was queued (or skipped) already.

    An empty digest is recorded as skipped when the user's digest_skip_empty
    says so. The caller commits.
    """
    found = recorded(session, user, day)
    if found is not None:
        return Queued(found, created=False)
    digest = make_digest(session, config, user, day, now)
    try:
        with session.begin_nested():
            record = _record(session, config, digest)
    except IntegrityError:
        # Another process queued it between our look and our write.
        found = recorded(session, user, day)
        assert found is not None
        return Queued(found, created=False)
    return Queued(record, created=True)


def queue_again(
    session: Session, config: Config, user: UserConfig, day: date, now: datetime
) -> OutboxRow:
    """Queue a further copy of a day's digest, made afresh for its recorded period.

    The day's record keeps its first outbox row; each copy has a key of its
    own, so it is sent once too. The caller commits.
    """
    if recorded(session, user, day) is None:
        raise DigestError(
            f"the digest of {user.name} for {day.isoformat()} was not made yet; "
            "send it without --again"
        )
    assert user.email is not None
    digest = make_digest(session, config, user, day, now)
    base = digest_key(user, day)
    copies = session.scalar(
        select(func.count(OutboxRow.id)).where(OutboxRow.key.like(f"{base}:again:%"))
    )
    return queue_rendered(
        session,
        config,
        digest.mail,
        kind=DIGEST,
        template=TEMPLATE,
        to_address=user.email,
        key=f"{base}:again:{(copies or 0) + 1}",
        mailbox=digest_mailbox(config, user),
    )


def recorded(session: Session, user: UserConfig, day: date) -> DigestRecord | None:
    query = select(DigestRecord).where(
        DigestRecord.user == user.name, DigestRecord.day == day
    )
    return session.scalars(query).first()


def digest_key(user: UserConfig, day: date) -> str:
    return f"digest:{user.name}:{day.isoformat()}"


def digest_mailbox(config: Config, user: UserConfig) -> str:
    """The mailbox the user's digest is sent from: digest_mailbox, else the
    first of the user's mailboxes that can send, else outreach's mailbox."""
    if user.digest.mailbox is not None:
        return user.digest.mailbox
    for name in user.mailboxes:
        if config.mailbox(name).smtp is not None:
            return name
    try:
        return sending_mailbox(config, None).name
    except OutreachError as exc:
        raise OutreachError(
            f"the digest of {user.name} cannot be sent: {exc}; or set "
            f"users.{user.name}.digest_mailbox"
        ) from exc


def find_user(config: Config, reference: str) -> UserConfig:
    """A configured user by name or by email address."""
    wanted = reference.strip().lower()
    for user in config.users.values():
        if wanted in (user.name.lower(), user.email):
            return user
    known = ", ".join(sorted(config.users)) or "none"
    raise DigestError(
        f"{config.path}: no user named or addressed {reference!r} (users: {known}); "
        "users are [users.NAME] tables"
    )


def _record(session: Session, config: Config, digest: Digest) -> DigestRecord:
    user = digest.user
    outbox_id = None
    status = SKIPPED
    if not (digest.empty and user.digest.skip_empty):
        assert user.email is not None
        row = queue_rendered(
            session,
            config,
            digest.mail,
            kind=DIGEST,
            template=TEMPLATE,
            to_address=user.email,
            key=digest_key(user, digest.period.day),
            mailbox=digest_mailbox(config, user),
        )
        outbox_id, status = row.id, QUEUED
    record = DigestRecord(
        user=user.name,
        day=digest.period.day,
        period_start=digest.period.start,
        period_end=digest.period.end,
        status=status,
        outbox_id=outbox_id,
        counts=json.dumps(digest.content["counts"]),
    )
    session.add(record)
    session.flush()
    log.info(
        "digest of %s for %s %s%s",
        user.name,
        digest.period.day.isoformat(),
        "queued" if status == QUEUED else "skipped: nothing to tell",
        f" (outbox {outbox_id})" if outbox_id else "",
    )
    return record
