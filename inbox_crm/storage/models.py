"""The database schema as typed SQLAlchemy 2.0 models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, PostgreSQL keeps one: this makes both return the
    same aware UTC value.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> object:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(
        self, value: datetime | None, dialect: object
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Mailbox(Base):
    """An account the agent watches, named as in the configuration."""

    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    folders: Mapped[list[Folder]] = relationship(back_populates="mailbox")


class Folder(Base):
    """One IMAP folder of a mailbox and its sync cursor.

    `last_uid` is the highest UID whose message is committed, in the same
    transaction as the message. `uidnext` is the server's UIDNEXT after the
    last complete pass: while it is unchanged, an idle poll fetches nothing.
    A location from a file import has no UID.
    """

    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("mailbox_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"))
    name: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    uidnext: Mapped[int | None] = mapped_column(BigInteger)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    mailbox: Mapped[Mailbox] = relationship(back_populates="folders")


class Thread(Base):
    """The messages of one conversation."""

    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    subject_key: Mapped[str] = mapped_column(String(500), default="", index=True)
    first_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_count: Mapped[int] = mapped_column(Integer, default=0)


class Message(Base):
    """One stored email, once per mailbox whatever the number of its folders."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "fingerprint"),
        Index("ix_messages_mailbox_message_id", "mailbox_id", "message_id"),
        Index("ix_messages_mailbox_date", "mailbox_id", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[datetime] = mapped_column(UTCDateTime)
    date_source: Mapped[str] = mapped_column(String(20), default="header")
    direction: Mapped[str] = mapped_column(String(10), default="inbound")
    kind: Mapped[str] = mapped_column(String(20), default="normal")
    list_id: Mapped[str | None] = mapped_column(String(500))
    bulk: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    has_html: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[int] = mapped_column(Integer, default=0)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), index=True)
    quarantined: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    classification_reasons: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[MessageSource] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )
    locations: Mapped[list[MessageLocation]] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="message",
        cascade="all, delete-orphan",
        order_by="Participant.position",
    )
    attachments: Mapped[list[AttachmentRow]] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )
    bounces: Mapped[list[BounceRow]] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )
    references: Mapped[list[MessageReference]] = relationship(
        cascade="all, delete-orphan"
    )


class MessageSource(Base):
    """The raw bytes of a message, kept so it can be parsed again."""

    __tablename__ = "message_sources"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))

    message: Mapped[Message] = relationship(back_populates="source")


class MessageLocation(Base):
    """Where a stored message sits on the server: a folder and a UID."""

    __tablename__ = "message_locations"
    __table_args__ = (UniqueConstraint("folder_id", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id"))
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    uid: Mapped[int | None] = mapped_column(BigInteger)

    message: Mapped[Message] = relationship(back_populates="locations")
    folder: Mapped[Folder] = relationship()


class Participant(Base):
    """An address on a message in a role: from, to, cc, bcc, reply_to, sender."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=0)
    address: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    domain: Mapped[str] = mapped_column(String(255), index=True)

    message: Mapped[Message] = relationship(back_populates="participants")


class MessageReference(Base):
    """A Message-ID that a message names in References or In-Reply-To.

    For a delivery report or read receipt, also the message it reports on.
    """

    __tablename__ = "message_references"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    referenced: Mapped[str] = mapped_column(String(998), index=True)


class AttachmentRow(Base):
    """Metadata of one attachment; the content stays in the raw source."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer, default=0)
    disposition: Mapped[str | None] = mapped_column(String(50))
    content_id: Mapped[str | None] = mapped_column(String(998))
    md5: Mapped[str | None] = mapped_column(String(32))

    message: Mapped[Message] = relationship(back_populates="attachments")


class BounceRow(Base):
    """A failed recipient reported by a delivery status notification."""

    __tablename__ = "bounces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    status: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(20), default="failed")
    diagnostic: Mapped[str] = mapped_column(Text, default="")

    message: Mapped[Message] = relationship(back_populates="bounces")
