"""The client history's tables: contacts, companies and how participants link.

A participant (an address on a message) has at most one ParticipantLink,
naming the contact and/or company it belongs to, the method that found it
and a score. A link with method "manual" is a person's decision and is never
changed by automation; a manual link with neither contact nor company keeps
a participant deliberately unlinked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inbox_crm.storage.models import Base, Participant, UTCDateTime, utcnow

METHODS = ("exact", "secondary", "domain", "fuzzy", "manual")
SOURCES = ("import", "auto", "manual", "merge", "review")
IGNORE_KINDS = ("address", "domain")
REVIEW_STATUSES = ("pending", "accepted", "rejected")


class Company(Base):
    """An organisation in the client history, known by its domains."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(500), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    domains: Mapped[list[CompanyDomain]] = relationship(
        back_populates="company",
        cascade="all, delete-orphan",
        order_by="CompanyDomain.id",
    )
    contacts: Mapped[list[Contact]] = relationship(back_populates="company")


class CompanyDomain(Base):
    """A registrable domain (acme.co.uk) that belongs to one company."""

    __tablename__ = "company_domains"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(String(255), unique=True)

    company: Mapped[Company] = relationship(back_populates="domains")


class Contact(Base):
    """A person in the client history, with any number of addresses."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(500), default="", index=True)
    # The name as matching compares it (see contacts.names.name_key).
    name_key: Mapped[str] = mapped_column(String(500), default="", index=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    owner: Mapped[str | None] = mapped_column(String(320))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(20), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    company: Mapped[Company | None] = relationship(back_populates="contacts")
    addresses: Mapped[list[ContactAddress]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        order_by="(ContactAddress.primary.desc(), ContactAddress.id)",
    )

    @property
    def primary_address(self) -> str | None:
        for address in self.addresses:
            if address.primary:
                return address.address
        return self.addresses[0].address if self.addresses else None


class ContactAddress(Base):
    """One email address of a contact.

    `address` is lower-case as written; `folded` is the form used to recognise
    variants of it (plus-tag dropped, googlemail.com read as gmail.com).
    """

    __tablename__ = "contact_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(320), unique=True)
    folded: Mapped[str] = mapped_column(String(320), index=True)
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="manual")

    contact: Mapped[Contact] = relationship(back_populates="addresses")


class ParticipantLink(Base):
    """The contact and/or company a participant belongs to, and how we know."""

    __tablename__ = "participant_links"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participant: Mapped[Participant] = relationship()
    contact: Mapped[Contact | None] = relationship()
    company: Mapped[Company | None] = relationship()


class ReviewItem(Base):
    """A fuzzy candidate below the threshold: this address may be this contact."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("address", "contact_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship()


class IgnoreEntry(Base):
    """An address or a whole domain that never becomes or links to anyone."""

    __tablename__ = "ignore_entries"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
