"""Rate limits: at most so many sends a minute and an hour, and per domain an hour.

The window starts from the attempts the database records (every sender's)
and counts this sender's own as they happen; it is read again every
REFRESH so that the sends of other senders on the same database count too.
"""

from __future__ import annotations

from collections import Counter, deque
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.outreach.models import OutboxRow
from inbox_crm.outreach.settings import OutreachConfig

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
REFRESH = timedelta(seconds=30)


class RateWindow:
    """The attempts of the last hour, to tell whether one more send fits."""

    def __init__(self, config: OutreachConfig) -> None:
        self.per_minute = config.max_per_minute
        self.per_hour = config.max_per_hour
        self.per_domain = config.max_per_domain_per_hour
        self.attempts: deque[tuple[datetime, str]] = deque()
        self.loaded_at: datetime | None = None

    @property
    def unlimited(self) -> bool:
        return not (self.per_minute or self.per_hour or self.per_domain)

    def refresh(self, session: Session, now: datetime) -> None:
        """Read the last hour's attempts again, if the last read is old."""
        if self.unlimited or (self.loaded_at and now - self.loaded_at < REFRESH):
            return
        query = (
            select(OutboxRow.last_attempt_at, OutboxRow.recipient_domain)
            .where(OutboxRow.last_attempt_at >= now - HOUR)
            .order_by(OutboxRow.last_attempt_at)
        )
        self.attempts = deque(
            (moment, domain) for moment, domain in session.execute(query) if moment
        )
        self.loaded_at = now

    def room_for(self, now: datetime) -> int:
        """How many more sends the global limits allow now."""
        self._forget(now)
        room = [1_000_000]
        if self.per_hour:
            room.append(self.per_hour - len(self.attempts))
        if self.per_minute:
            recent = sum(1 for moment, _ in self.attempts if moment >= now - MINUTE)
            room.append(self.per_minute - recent)
        return max(0, min(room))

    def full_domains(self, now: datetime) -> frozenset[str]:
        """Recipient domains that had their hourly share already."""
        if not self.per_domain:
            return frozenset()
        self._forget(now)
        counts = Counter(domain for _, domain in self.attempts)
        return frozenset(d for d, count in counts.items() if count >= self.per_domain)

    def record(self, domain: str, now: datetime) -> None:
        if not self.unlimited:
            self.attempts.append((now, domain))

    def _forget(self, now: datetime) -> None:
        while self.attempts and self.attempts[0][0] < now - HOUR:
            self.attempts.popleft()
