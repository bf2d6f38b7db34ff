"""Rows that track work on mail: activities, tickets, tags, notifications, firings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from inbox_crm.storage.models import Base, UTCDateTime, utcnow


class RuleFiring(Base):
    """One rule fired once for one trigger: what it did, or why it failed.

    The unique (rule_id, trigger_key) is what makes a rule fire at most once
    per trigger, across restarts, re-syncs and imports.
    """

    __tablename__ = "rule_firings"
    __table_args__ = (
        UniqueConstraint("rule_id", "trigger_key"),
        Index("ix_rule_firings_sender_fired", "sender", "fired_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(100), index=True)
    trigger: Mapped[str] = mapped_column(String(30))
    trigger_key: Mapped[str] = mapped_column(String(400))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="done")
    actions: Mapped[str] = mapped_column(Text, default="[]")
    error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    sender: Mapped[str | None] = mapped_column(String(320))
    created: Mapped[int] = mapped_column(Integer, default=0)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)


class RuleWait(Base):
    """A no-reply trigger waiting on one message until its deadline."""

    __tablename__ = "rule_waits"
    __table_args__ = (
        UniqueConstraint("rule_id", "message_id"),
        Index("ix_rule_waits_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[int | None] = mapped_column(Integer, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # waiting, answered, superseded, bounced, fired, missed, dropped
    state: Mapped[str] = mapped_column(String(12), default="waiting")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RuleMark(Base):
    """A named moment the rules keep: when they were enabled, last schedule slot."""

    __tablename__ = "rule_marks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Activity(Base):
    """Something to do (or done) about a contact: follow-up, task, call, note."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    thread_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    rule_id: Mapped[str | None] = mapped_column(String(100))
    firing_id: Mapped[int | None] = mapped_column(
        ForeignKey("rule_firings.id", ondelete="SET NULL")
    )
    closes_on_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    snoozes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_reason: Mapped[str | None] = mapped_column(Text)


class Ticket(Base):
    """A tracked request with a number, a status, a priority and its thread."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    queue: Mapped[str] = mapped_column(String(100), default="")
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"))
    thread_id: Mapped[int | None] = mapped_column(Integer, index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    requester: Mapped[str] = mapped_column(String(320), default="")
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    rule_id: Mapped[str | None] = mapped_column(String(100))
    firing_id: Mapped[int | None] = mapped_column(
        ForeignKey("rule_firings.id", ondelete="SET NULL")
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketMessage(Base):
    """A message that belongs to a ticket (the opening one and every reply)."""

    __tablename__ = "ticket_messages"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    joined_by: Mapped[str] = mapped_column(String(20), default="opened")


class TicketEvent(Base):
    """One change to a ticket; the rules see each once (ticket_changed)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # opened, or the field changed: status, priority, assignee, queue
    change: Mapped[str] = mapped_column(String(20))
    old: Mapped[str | None] = mapped_column(String(100))
    new: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(150), default="")
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    depth: Mapped[int] = mapped_column(Integer, default=0)
    evaluated: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class ItemTag(Base):
    """A tag on a message, a thread or a ticket."""

    __tablename__ = "item_tags"
    __table_args__ = (UniqueConstraint("target", "target_id", "tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    tag: Mapped[str] = mapped_column(String(100), index=True)
    rule_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """A note for a user from a rule, shown until read (and in the digest)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(100), index=True)
    text: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str | None] = mapped_column(String(100))
    firing_id: Mapped[int | None] = mapped_column(
        ForeignKey("rule_firings.id", ondelete="SET NULL")
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
