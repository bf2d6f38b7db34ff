"""What one digest looks at (a user, mailboxes, a period) and how it says times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from inbox_crm.config import UserConfig
from inbox_crm.digest.period import Period, zone_of
from inbox_crm.storage.models import Mailbox


@dataclass(frozen=True)
class Scope:
    """The user a digest is for, the mailboxes it covers (None: all), its period."""

    user: UserConfig
    period: Period
    mailbox_ids: tuple[int, ...] | None
    ticket_prefix: str

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.user)

    @property
    def now(self) -> datetime:
        """The moment the digest speaks from: the end of its period."""
        return self.period.end

    def in_mailboxes(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        if self.mailbox_ids is None:
            return true()
        return column.in_(self.mailbox_ids)

    def when(self, moment: datetime) -> str:
        """A moment in the user's local time, like "Mon 30 Mar 14:05"."""
        return moment.astimezone(self.zone).strftime("%a %d %b %H:%M")

    def age(self, moment: datetime) -> str:
        """How long ago `moment` was, from the digest's point of view."""
        return duration(self.now - moment)


def scope_for(
    session: Session, user: UserConfig, period: Period, ticket_prefix: str
) -> Scope:
    """The scope of a user's digest: the mail of their mailboxes, or of all."""
    ids = None
    if user.mailboxes:
        query = select(Mailbox.id).where(Mailbox.name.in_(user.mailboxes))
        ids = tuple(session.scalars(query.order_by(Mailbox.id)))
    return Scope(user, period, ids, ticket_prefix)


def duration(delta: timedelta) -> str:
    """A duration in the largest whole unit: "3 days", "5 hours", "12 minutes"."""
    seconds = max(int(delta.total_seconds()), 0)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"
