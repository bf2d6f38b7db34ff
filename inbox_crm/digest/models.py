"""The digests made so far: one row per user and local day, sent or skipped.

The row is written in the transaction that queues the digest's outbox row,
so a day's digest is queued once whatever restarts or agents come between;
its period is where the next digest starts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inbox_crm.storage.models import Base, UTCDateTime, utcnow

QUEUED = "queued"
SKIPPED = "skipped"


class DigestRecord(Base):
    """The digest of one user for one local day: its period and what became of it."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("user", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(100))
    day: Mapped[date] = mapped_column(Date)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    # queued (its outbox row sends it) or skipped (nothing to tell)
    status: Mapped[str] = mapped_column(String(20))
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL")
    )
    counts: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
