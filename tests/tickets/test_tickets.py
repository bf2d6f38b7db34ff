"""Tickets from rules, replies joining them, status changes and loop protection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox_crm.storage.tracking import (
    Notification,
    RuleFiring,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tests.mailfactory import make_message
from tests.rules.world import World

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SUPPORT = "Support <support@agency.example>"
CUSTOMER = "Carl Customer <carl@customer.example>"

SUPPORT_RULE = """\
rules:
  - id: support-ticket
    description: a ticket for mail to support
    trigger: message_received
    when:
      to.address: support@agency.example
    actions:
      - ticket: {priority: high, queue: support, assignee: maya}
"""


def ask(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "sender": CUSTOMER,
        "to": SUPPORT,
        "subject": "Printer on fire",
        "message_id": "<q1@customer.example>",
        "date": DAY,
    }
    fields.update(changes)
    return make_message(**fields)  # type: ignore[arg-type]


def answer(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "sender": "Maya <maya@agency.example>",
        "to": CUSTOMER,
        "subject": "Re: Printer on fire [T-1]",
        "message_id": "<a1@agency.example>",
        "in_reply_to": "<q1@customer.example>",
        "references": "<q1@customer.example>",
        "date": DAY + timedelta(hours=1),
    }
    fields.update(changes)
    return make_message(**fields)  # type: ignore[arg-type]


def members(world: World) -> dict[int, int]:
    return {row.message_id: row.ticket_id for row in world.rows_by(TicketMessage)}


@pytest.fixture
def support(world: World) -> World:
    world.rule_file("support.yaml", SUPPORT_RULE)
    world.add(ask())
    return world


def test_inbound_mail_to_support_opens_a_numbered_ticket(support: World) -> None:
    [ticket] = support.rows(Ticket)
    assert ticket.number == 1
    assert (ticket.status, ticket.priority, ticket.queue) == ("open", "high", "support")
    assert ticket.assignee == "maya"
    assert ticket.subject == "Printer on fire"
    assert ticket.requester == "carl@customer.example"
    assert ticket.rule_id == "support-ticket"
    [event] = support.rows(TicketEvent)
    assert event.change == "opened"


def test_a_reply_by_references_joins_and_sets_pending(support: World) -> None:
    support.add(answer(subject="Re: Printer on fire"), folder="sent")

    assert len(support.rows(Ticket)) == 1
    assert set(members(support).values()) == {1}
    assert support.rows(Ticket)[0].status == "pending"


def test_the_customer_answering_reopens_a_pending_ticket(support: World) -> None:
    support.add(answer(), folder="sent")
    support.add(
        ask(
            subject="AW: Re: Printer on fire [T-1]",
            message_id="<q2@customer.example>",
            in_reply_to="<a1@agency.example>",
            references="<q1@customer.example> <a1@agency.example>",
            date=DAY + timedelta(hours=2),
        )
    )

    [ticket] = support.rows(Ticket)
    assert ticket.status == "open"
    changes = [(e.change, e.old, e.new) for e in support.rows(TicketEvent)]
    assert changes == [
        ("opened", None, "open"),
        ("status", "open", "pending"),
        ("status", "pending", "open"),
    ]


@pytest.mark.parametrize("prefix", ["AW:", "SV:", "VS:", "Antw:", "RE[2]:"])
def test_a_token_alone_joins_whatever_the_reply_prefix(
    support: World, prefix: str
) -> None:
    # A client that drops References and In-Reply-To: only the token is left.
    support.add(
        ask(
            subject=f"{prefix} Printer on fire [T-1]",
            message_id="<lost-headers@customer.example>",
            date=DAY + timedelta(days=2),
        )
    )

    assert len(support.rows(Ticket)) == 1
    assert members(support) == {1: 1, 2: 1}
    threads = {m.thread_id for m in support.store.messages()}
    assert len(threads) == 1


def test_a_localised_prefix_without_token_joins_by_the_thread(support: World) -> None:
    support.add(
        ask(
            subject="SV: Printer on fire",
            message_id="<sv@customer.example>",
            date=DAY + timedelta(days=1),
        )
    )

    assert len(support.rows(Ticket)) == 1
    assert members(support) == {1: 1, 2: 1}


def test_auto_replies_bounces_and_list_mail_open_no_ticket(world: World) -> None:
    world.rule_file("support.yaml", SUPPORT_RULE)
    world.add(ask(headers={"Auto-Submitted": "auto-replied"}))
    world.add(ask(message_id="<list@customer.example>", headers={"List-Id": "<x.y>"}))
    world.add(ask(message_id="<bulk@customer.example>", headers={"Precedence": "bulk"}))

    assert world.rows(Ticket) == []
    notes = " ".join(f.actions for f in world.rows(RuleFiring))
    assert "skipped ticket: the message is auto_reply mail" in notes
    assert "skipped ticket: the message is list mail" in notes


def test_a_rule_may_opt_in_to_automated_mail(world: World) -> None:
    world.rule_file(
        "support.yaml",
        SUPPORT_RULE.replace(
            "    trigger: message_received",
            "    allow_automated: true\n    trigger: message_received",
        ),
    )
    world.add(ask(headers={"Auto-Submitted": "auto-replied"}))

    assert len(world.rows(Ticket)) == 1


def test_an_out_of_office_answering_the_ticket_neither_loops_nor_reopens(
    support: World,
) -> None:
    support.add(answer(), folder="sent")  # our reply: pending
    for number in range(3):
        support.add(
            ask(
                subject=f"Automatic reply: Re: Printer on fire [T-1] ({number})",
                message_id=f"<ooo{number}@customer.example>",
                in_reply_to="<a1@agency.example>",
                references="<q1@customer.example> <a1@agency.example>",
                headers={"Auto-Submitted": "auto-replied"},
                date=DAY + timedelta(hours=2 + number),
            )
        )

    [ticket] = support.rows(Ticket)
    assert ticket.status == "pending"
    assert len(members(support)) == 5


def test_a_reply_to_a_closed_ticket_opens_a_new_one(support: World) -> None:
    with support.database.session() as session, session.begin():
        session.get_one(Ticket, 1).status = "closed"
    support.add(
        ask(
            subject="Re: Printer on fire [T-1]",
            message_id="<later@customer.example>",
            in_reply_to="<q1@customer.example>",
            date=DAY + timedelta(days=20),
        )
    )

    assert [t.number for t in support.rows(Ticket)] == [1, 2]


def test_ticket_rules_see_opening_and_changes(support: World) -> None:
    support.rule_file(
        "watch.yaml",
        """\
        rules:
          - id: tell-on-open
            description: notify maya of each new ticket
            trigger: ticket_opened
            actions:
              - notify:
                  user: maya
                  text: "New {{ ticket.number }}: {{ ticket.subject }}"
          - id: tell-on-reopen
            description: notify maya when a customer reopens
            trigger:
              ticket_changed: {fields: [status]}
            when:
              all:
                - ticket.status: open
                - ticket.previous_status: pending
            actions:
              - notify: {user: maya, text: "{{ ticket.number }} reopened"}
        """,
    )
    support.add(ask(message_id="<q9@customer.example>", subject="Second problem"))
    support.add(
        answer(
            subject="Re: Second problem [T-2]",
            message_id="<a9@agency.example>",
            in_reply_to="<q9@customer.example>",
            references="<q9@customer.example>",
        ),
        folder="sent",
    )
    support.add(
        ask(
            subject="Re: Second problem [T-2]",
            message_id="<q10@customer.example>",
            in_reply_to="<a9@agency.example>",
            date=DAY + timedelta(hours=3),
        )
    )

    texts = [n.text for n in support.rows(Notification)]
    assert texts == ["New T-2: Second problem", "T-2 reopened"]


def test_rules_that_keep_changing_a_ticket_are_cut_off(support: World) -> None:
    support.settings["users"]["theo"] = {}
    support.rule_file(
        "pingpong.yaml",
        """\
        rules:
          - id: to-theo
            description: hand maya's tickets to theo
            trigger:
              ticket_changed: {fields: [assignee]}
            when: {ticket.assignee: maya}
            actions:
              - assign: {owner: theo, target: ticket}
          - id: to-maya
            description: hand theo's tickets to maya
            trigger:
              ticket_changed: {fields: [assignee]}
            when: {ticket.assignee: theo}
            actions:
              - assign: {owner: maya, target: ticket}
          - id: start
            description: give each new ticket to theo
            trigger: ticket_opened
            actions:
              - assign: {owner: theo, target: ticket}
        """,
    )
    support.add(ask(message_id="<loop@customer.example>", subject="Loop"))

    events = support.rows(TicketEvent, ticket_id=2)
    # Opened, then theo, maya, theo, maya: the fourth change in a row made by
    # rules is not handed to the rules again.
    assert [(e.change, e.new, e.depth) for e in events] == [
        ("opened", "open", 0),
        ("assignee", "theo", 1),
        ("assignee", "maya", 2),
        ("assignee", "theo", 3),
        ("assignee", "maya", 4),
    ]
    assert all(event.evaluated for event in events)
