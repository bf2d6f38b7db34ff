"""The condition language on plain facts: every field family and operator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from inbox_crm.businesstime.calendar import BusinessCalendar
from inbox_crm.config import BusinessConfig
from inbox_crm.rules.conditions import parse_condition
from inbox_crm.rules.facts import (
    Facts,
    MatchFacts,
    MessageFacts,
    Party,
    ThreadFacts,
    TicketFacts,
)
from inbox_crm.rules.problems import Invalid
from inbox_crm.rules.source import parse_yaml

CALENDAR = BusinessCalendar(BusinessConfig(timezone="Europe/Berlin", country="DE"))
# Monday 2 November 2026, 10:30 in Berlin.
MONDAY = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def message(**changes: Any) -> MessageFacts:
    values: dict[str, Any] = {
        "id": 1,
        "fingerprint": "f",
        "mailbox": "support",
        "mailbox_id": 1,
        "message_id": "m@x",
        "date": MONDAY,
        "direction": "inbound",
        "kind": "normal",
        "bulk": False,
        "list_id": None,
        "from_address": "ann@client.example",
        "from_name": "Ann Client",
        "to": ("support@agency.example",),
        "cc": ("boss@client.example",),
        "subject": "URGENT: Invoice 42 overdue",
        "body": "Please pay the invoice.\nThanks",
        "attachments": ("invoice-42.PDF",),
        "first_from_sender": True,
        "first_from_domain": False,
        "thread": ThreadFacts(7, messages=3, new=False, state="awaiting_us"),
    }
    values.update(changes)
    return MessageFacts(**values)


def facts(**changes: Any) -> Facts:
    values: dict[str, Any] = {
        "trigger": "message_received",
        "moment": MONDAY,
        "calendar": CALENDAR,
        "message": message(),
        "contact": Party(
            3, "Ann Client", ("VIP", "billing"), {"plan": "Gold"}, owner="maya"
        ),
        "company": Party(4, "Client GmbH", ("customer",), new=True),
        "match": MatchFacts("secondary", 0.93),
    }
    values.update(changes)
    return Facts(**values)


def holds(yaml_text: str, subject: Facts | None = None) -> bool:
    node = parse_yaml(yaml_text)
    assert node is not None
    return parse_condition(node).test(subject or facts())


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("from.address: ANN@client.example", True),
        ("from.domain: client.example", True),
        ("from.domain: [other.example, client.example]", True),
        ("from.name: {starts_with: ann}", True),
        ("from.first_message: true", True),
        ("from.domain_first_message: true", False),
        ("to.address: {ends_with: '@agency.example'}", True),
        ("to.domain: agency.example", True),
        ("cc.address: boss@client.example", True),
        ("recipients.domain: client.example", True),
        ("recipients.address: {in: [nobody@x.example]}", False),
        ("subject: {contains: invoice}", True),
        ("subject: {contains: invoice, case_sensitive: true}", False),
        ("subject: {matches: '^urgent:\\s+invoice \\d+'}", True),
        ("subject: {matches: '^urgent', case_sensitive: true}", False),
        ("body: {contains: 'PLEASE PAY'}", True),
        ("body: {matches: '^thanks$'}", False),
        ("direction: inbound", True),
        ("direction: outbound", False),
        ("kind: {in: [auto_reply, bounce]}", False),
        ("bulk: false", True),
        ("list_id: {exists: false}", True),
        ("mailbox: Support", True),
        ("attachments.count: {at_least: 1}", True),
        ("attachments.name: {matches: '\\.pdf$'}", True),
        ("thread.new: false", True),
        ("thread.state: awaiting_us", True),
        ("thread.messages: {between: [2, 5]}", True),
        ("thread.has_ticket: true", False),
        ("contact.known: true", True),
        ("contact.name: ann client", True),
        ("contact.tags: vip", True),
        ("contact.tags: {contains: bill}", True),
        ("contact.owner: maya", True),
        ("contact.field.plan: gold", True),
        ("contact.field.region: {exists: false}", True),
        ("company.name: {contains: gmbh}", True),
        ("company.tags: customer", True),
        ("company.new: true", True),
        ("match.method: {in: [exact, secondary]}", True),
        ("match.score: {at_least: 0.95}", False),
        ("time.hour: 10", True),
        ("time.weekday: mon", True),
        ("time.weekday: {in: [sat, sun]}", False),
        ("time.of_day: {between: ['09:00', '17:30']}", True),
        ("time.of_day: {at_least: '10:31'}", False),
        ("time.business_hours: true", True),
        ("time.business_day: true", True),
    ],
)
def test_field_tests(condition: str, expected: bool) -> None:
    assert holds(condition) is expected


def test_missing_parties_fail_every_test_but_exists_false() -> None:
    stranger = facts(contact=None, company=None, match=None)
    assert holds("contact.known: false", stranger)
    assert not holds("contact.tags: vip", stranger)
    assert holds("not: {contact.tags: vip}", stranger)
    assert holds("contact.name: {exists: false}", stranger)
    assert not holds("match.score: {at_most: 1}", stranger)


def test_all_any_not_combine() -> None:
    text = """\
all:
  - direction: inbound
  - any:
      - subject: {contains: refund}
      - contact.tags: vip
  - not: {kind: auto_reply}
"""
    assert holds(text)
    assert not holds(text, facts(contact=None))


def test_ticket_fields() -> None:
    ticket = TicketFacts(
        5,
        "T-5",
        "open",
        "high",
        "support",
        "maya",
        "Printer",
        ("status",),
        {"status": "pending"},
    )
    subject = facts(trigger="ticket_changed", ticket=ticket)
    assert holds("ticket.status: open", subject)
    assert holds("ticket.previous_status: pending", subject)
    assert holds("ticket.changed: status", subject)
    assert holds("ticket.priority: {in: [high, urgent]}", subject)
    assert holds("ticket.queue: support", subject)
    assert holds("ticket.assignee: maya", subject)


def test_the_explanation_names_the_deciding_condition() -> None:
    node = parse_yaml("all:\n  - direction: inbound\n  - subject: {contains: refund}\n")
    assert node is not None
    result, reason = parse_condition(node).explain(facts())
    assert result is False
    assert reason.startswith("subject contains 'refund' failed (line 3; value: ")

    node = parse_yaml("any:\n  - kind: bounce\n  - contact.tags: vip\n")
    assert node is not None
    result, reason = parse_condition(node).explain(facts())
    assert result is True
    assert reason.startswith("contact.tags equals 'vip' held (line 3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{subject: x, body: y}", "a condition is a mapping of one key"),
        ("all: []", "all takes a non-empty list"),
        ("thread.messages: many", "takes a number"),
        ("bulk: {equals: maybe}", "takes true or false"),
        ("time.of_day: {between: ['9', '25:00']}", "takes a time like 09:30"),
        ("score.match: 1", "unknown field 'score.match'"),
        ("subject: {contains: x, matches: y}", "exactly one operator"),
        ("direction: {contains: in}", "unknown operator 'contains'"),
        ("bulk: {exists: true, case_sensitive: true}", "case_sensitive is for text"),
    ],
)
def test_bad_conditions_are_refused(text: str, message: str) -> None:
    node = parse_yaml(text)
    assert node is not None
    with pytest.raises(Invalid) as caught:
        parse_condition(node)
    assert message in caught.value.message
