"""What the rules see of an event: plain values, gathered before deciding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from inbox_crm.businesstime.calendar import BusinessCalendar

AUTOMATED_KINDS = ("auto_reply", "bounce", "list")


@dataclass(frozen=True)
class Party:
    """A contact or a company as the rules see it."""

    id: int
    name: str
    tags: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    owner: str | None = None
    new: bool = False


@dataclass(frozen=True)
class MatchFacts:
    """How the sender was linked: method (exact, domain, ...) and score."""

    method: str
    score: float


@dataclass(frozen=True)
class ThreadFacts:
    """The conversation around a message, counting only person-written mail."""

    id: int | None
    messages: int = 1
    new: bool = True
    state: str = "awaiting_us"
    has_ticket: bool = False


@dataclass(frozen=True)
class MessageFacts:
    """One message: addresses lower-cased, text as stored."""

    id: int | None
    fingerprint: str
    mailbox: str
    mailbox_id: int | None
    message_id: str | None
    date: datetime
    direction: str
    kind: str
    bulk: bool
    list_id: str | None
    from_address: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[str, ...] = ()
    first_from_sender: bool = False
    first_from_domain: bool = False
    thread: ThreadFacts = field(default_factory=lambda: ThreadFacts(None))

    @cached_property
    def from_domain(self) -> str:
        return self.from_address.rpartition("@")[2]

    @cached_property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc

    @property
    def automated(self) -> str | None:
        """The reason this is machine mail (auto_reply, bounce, list), or None."""
        if self.kind in AUTOMATED_KINDS:
            return self.kind
        return "list" if self.bulk else None


@dataclass(frozen=True)
class TicketFacts:
    """A ticket and, for a change, which fields changed and from what."""

    id: int
    number: str
    status: str
    priority: str
    queue: str
    assignee: str | None
    subject: str
    changed: tuple[str, ...] = ()
    previous: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Facts:
    """Everything one event offers to conditions and to action templates."""

    trigger: str
    moment: datetime
    calendar: BusinessCalendar
    message: MessageFacts | None = None
    contact: Party | None = None
    company: Party | None = None
    match: MatchFacts | None = None
    ticket: TicketFacts | None = None
    # Field values already read for this event, keyed by (field, folded).
    cache: dict[tuple[str, bool], Any] = field(default_factory=dict, repr=False)

    @property
    def local(self) -> datetime:
        return self.calendar.local(self.moment)
