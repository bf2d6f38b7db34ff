"""The outbox and the suppression list as typed SQLAlchemy models.

An outreach is a row before it is a send. Its status moves

    queued ──claim──► sending ──250──► sent
      ▲                  │ 4xx, drop before DATA ──► queued (later) or failed
      │                  │ 5xx ──────────────────► failed (with the reply)
      │                  └ drop after DATA began ─► in_doubt
      └─ retry ◄── failed, in_doubt          cancel ──► cancelled

`data_at` is committed just before DATA is sent: a row found in `sending`
without it was never offered to the server and is safe to queue again; a row
with it may have been accepted and is in doubt until the Sent folder tells.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from inbox_crm.storage.models import Base, UTCDateTime, utcnow

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
IN_DOUBT = "in_doubt"
CANCELLED = "cancelled"
STATUSES = (QUEUED, SENDING, SENT, FAILED, IN_DOUBT, CANCELLED)

# What a row carries: templated outreach to a contact, or a user's daily digest
# (which has no unsubscribe link and is marked as automatic mail).
OUTREACH = "outreach"
DIGEST = "digest"
KINDS = (OUTREACH, DIGEST)

MANUAL = "manual"
UNSUBSCRIBED = "unsubscribed"
BOUNCED = "bounced"
REASONS = (MANUAL, UNSUBSCRIBED, BOUNCED)


class OutboxRow(Base):
    """One outreach: the rendered mail, its recipient and where its send stands."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "due_at"),
        Index("ix_outbox_domain_attempt", "recipient_domain", "last_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    kind: Mapped[str] = mapped_column(
        String(20), default=OUTREACH, server_default=OUTREACH
    )
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"), index=True)
    template: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str | None] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(200), unique=True)

    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    to_name: Mapped[str] = mapped_column(Text, default="")
    recipient_domain: Mapped[str] = mapped_column(String(255))
    from_address: Mapped[str] = mapped_column(String(320))
    from_name: Mapped[str] = mapped_column(Text, default="")

    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str] = mapped_column(Text, default="")
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), index=True
    )
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)

    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)

    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stored_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


class Suppression(Base):
    """An address that outreach never mails, and why.

    A removed entry is kept with `removed_at` set, so that the bounce or the
    unsubscribe reply that made it does not bring it back; a newer one does.
    """

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    source_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
