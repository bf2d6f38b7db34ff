"""The fields conditions can test, their types and where their values come from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inbox_crm.rules.facts import Facts

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MESSAGE_TRIGGERS = frozenset({"message_received", "message_sent", "no_reply"})
TICKET_TRIGGERS = frozenset({"ticket_opened", "ticket_changed"})
ALL_TRIGGERS = MESSAGE_TRIGGERS | TICKET_TRIGGERS | {"schedule"}
WITH_MESSAGE = MESSAGE_TRIGGERS | TICKET_TRIGGERS


@dataclass(frozen=True)
class Field:
    """A testable field: `kind` is text, texts, number, bool, choice or clock."""

    name: str
    kind: str
    get: Callable[[Facts], Any]
    triggers: frozenset[str] = WITH_MESSAGE
    choices: tuple[str, ...] = ()


def _message(get: Callable[[Any], Any]) -> Callable[[Facts], Any]:
    def read(facts: Facts) -> Any:
        return None if facts.message is None else get(facts.message)

    return read


def _party(which: str, get: Callable[[Any], Any]) -> Callable[[Facts], Any]:
    def read(facts: Facts) -> Any:
        party = getattr(facts, which)
        return None if party is None else get(party)

    return read


def _ticket(get: Callable[[Any], Any]) -> Callable[[Facts], Any]:
    def read(facts: Facts) -> Any:
        return None if facts.ticket is None else get(facts.ticket)

    return read


def _domains(addresses: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(address.rpartition("@")[2] for address in addresses)


_FIELDS = [
    Field("from.address", "text", _message(lambda m: m.from_address)),
    Field("from.domain", "text", _message(lambda m: m.from_domain)),
    Field("from.name", "text", _message(lambda m: m.from_name)),
    Field("from.first_message", "bool", _message(lambda m: m.first_from_sender)),
    Field("from.domain_first_message", "bool", _message(lambda m: m.first_from_domain)),
    Field("to.address", "texts", _message(lambda m: m.to)),
    Field("to.domain", "texts", _message(lambda m: _domains(m.to))),
    Field("cc.address", "texts", _message(lambda m: m.cc)),
    Field("recipients.address", "texts", _message(lambda m: m.recipients)),
    Field("recipients.domain", "texts", _message(lambda m: _domains(m.recipients))),
    Field("subject", "text", _message(lambda m: m.subject)),
    Field("body", "text", _message(lambda m: m.body)),
    Field(
        "direction",
        "choice",
        _message(lambda m: m.direction),
        choices=("inbound", "outbound"),
    ),
    Field(
        "kind",
        "choice",
        _message(lambda m: m.kind),
        choices=("normal", "auto_reply", "bounce", "list"),
    ),
    Field("bulk", "bool", _message(lambda m: m.bulk)),
    Field("list_id", "text", _message(lambda m: m.list_id)),
    Field("mailbox", "text", _message(lambda m: m.mailbox)),
    Field("attachments.count", "number", _message(lambda m: len(m.attachments))),
    Field("attachments.name", "texts", _message(lambda m: m.attachments)),
    Field("thread.new", "bool", _message(lambda m: m.thread.new)),
    Field(
        "thread.state",
        "choice",
        _message(lambda m: m.thread.state),
        choices=("awaiting_us", "awaiting_them"),
    ),
    Field("thread.messages", "number", _message(lambda m: m.thread.messages)),
    Field("thread.has_ticket", "bool", _message(lambda m: m.thread.has_ticket)),
    Field("contact.known", "bool", lambda f: f.contact is not None),
    Field("contact.new", "bool", _party("contact", lambda p: p.new)),
    Field("contact.name", "text", _party("contact", lambda p: p.name)),
    Field("contact.tags", "texts", _party("contact", lambda p: p.tags)),
    Field("contact.owner", "text", _party("contact", lambda p: p.owner)),
    Field("company.known", "bool", lambda f: f.company is not None),
    Field("company.new", "bool", _party("company", lambda p: p.new)),
    Field("company.name", "text", _party("company", lambda p: p.name)),
    Field("company.tags", "texts", _party("company", lambda p: p.tags)),
    Field(
        "match.method",
        "choice",
        lambda f: None if f.match is None else f.match.method,
        choices=("exact", "secondary", "domain", "fuzzy", "manual"),
    ),
    Field(
        "match.score", "number", lambda f: None if f.match is None else f.match.score
    ),
    Field(
        "ticket.status",
        "choice",
        _ticket(lambda t: t.status),
        TICKET_TRIGGERS,
        ("open", "pending", "solved", "closed"),
    ),
    Field(
        "ticket.priority",
        "choice",
        _ticket(lambda t: t.priority),
        TICKET_TRIGGERS,
        ("low", "normal", "high", "urgent"),
    ),
    Field("ticket.queue", "text", _ticket(lambda t: t.queue), TICKET_TRIGGERS),
    Field("ticket.assignee", "text", _ticket(lambda t: t.assignee), TICKET_TRIGGERS),
    Field("ticket.changed", "texts", _ticket(lambda t: t.changed), TICKET_TRIGGERS),
    Field(
        "ticket.previous_status",
        "text",
        _ticket(lambda t: t.previous.get("status")),
        TICKET_TRIGGERS,
    ),
    Field("time.hour", "number", lambda f: f.local.hour, ALL_TRIGGERS),
    Field(
        "time.weekday",
        "choice",
        lambda f: WEEKDAYS[f.local.weekday()],
        ALL_TRIGGERS,
        WEEKDAYS,
    ),
    Field("time.of_day", "clock", lambda f: f.local.strftime("%H:%M"), ALL_TRIGGERS),
    Field(
        "time.business_hours",
        "bool",
        lambda f: f.calendar.is_open(f.moment),
        ALL_TRIGGERS,
    ),
    Field(
        "time.business_day",
        "bool",
        lambda f: f.calendar.is_business_day(f.local.date()),
        ALL_TRIGGERS,
    ),
]

FIELDS: dict[str, Field] = {field.name: field for field in _FIELDS}
# contact.field.NAME reads a custom field of the contact.
CUSTOM_PREFIX = "contact.field."


def lookup(name: str) -> Field | None:
    """The field called `name`, including contact.field.<custom name>."""
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        custom = name[len(CUSTOM_PREFIX) :]
        return Field(name, "text", _party("contact", lambda p: p.fields.get(custom)))
    return None
