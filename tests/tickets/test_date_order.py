"""Tickets follow their messages' dates, whatever order the messages are stored in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from inbox_crm.cli.main import cli
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message
from inbox_crm.storage.tracking import Ticket, TicketMessage
from inbox_crm.tickets.records import ticket_record
from tests.mailfactory import make_message
from tests.rules.world import World

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SUPPORT = "Support <support@agency.example>"
SALES = "Sales <sales@agency.example>"
CUSTOMER = "Carl Customer <carl@customer.example>"
MAYA = "Maya <maya@agency.example>"

SUPPORT_RULE = """\
rules:
  - id: support-ticket
    description: a ticket for mail to support
    trigger: message_received
    when:
      to.address: support@agency.example
    actions:
      - ticket: {priority: high, queue: support}
"""

Mail = tuple[str, bytes]  # (folder, raw)


def customer(number: int, at: datetime, *answers: str, to: str = SUPPORT) -> Mail:
    """The customer's mail <qN>, answering the Message-IDs `answers`."""
    raw = make_message(
        sender=CUSTOMER,
        to=to,
        subject="Re: Printer on fire" if answers else "Printer on fire",
        message_id=f"<q{number}@customer.example>",
        in_reply_to=answers[-1] if answers else None,
        references=" ".join(answers) or None,
        date=at,
    )
    return "inbox", raw


def ours(number: int, at: datetime, *answers: str) -> Mail:
    """Our reply <aN> from Sent, answering the Message-IDs `answers`."""
    raw = make_message(
        sender=MAYA,
        to=CUSTOMER,
        subject="Re: Printer on fire",
        message_id=f"<a{number}@agency.example>",
        in_reply_to=answers[-1],
        references=" ".join(answers),
        date=at,
    )
    return "sent", raw


Q1, Q2, A1 = "<q1@customer.example>", "<q2@customer.example>", "<a1@agency.example>"

# Each conversation in date order, with the status its dates give.
CUSTOMER_WROTE_LAST = [
    customer(1, DAY),
    ours(1, DAY + HOUR, Q1),
    customer(2, DAY + 2 * HOUR, Q1, A1),
]
WE_WROTE_LAST = [
    customer(1, DAY),
    customer(2, DAY + HOUR, Q1),
    ours(1, DAY + 2 * HOUR, Q1, Q2),
]
CONVERSATIONS = {"customer-wrote-last": "open", "we-wrote-last": "pending"}


def in_order(mails: list[Mail], order: str) -> list[Mail]:
    """`mails` as a sync would store them: INBOX first, Sent first, or newest first."""
    if order == "inbound-first":
        return [m for m in mails if m[0] == "inbox"] + [
            m for m in mails if m[0] == "sent"
        ]
    if order == "sent-first":
        return [m for m in mails if m[0] == "sent"] + [
            m for m in mails if m[0] == "inbox"
        ]
    return list(reversed(mails))


def stored(world: World, mails: list[Mail]) -> World:
    world.rule_file("support.yaml", SUPPORT_RULE)
    for folder, raw in mails:
        world.add(raw, folder=folder)
    return world


def conversation(name: str) -> list[Mail]:
    return CUSTOMER_WROTE_LAST if name == "customer-wrote-last" else WE_WROTE_LAST


def message_ids(database: Database, ids: list[int]) -> list[str | None]:
    with database.session() as session:
        return [session.get_one(Message, i).message_id for i in ids]


@pytest.mark.parametrize("order", ["date", "inbound-first", "sent-first", "newest"])
@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_a_tickets_status_follows_the_dates_of_its_messages(
    world: World, name: str, order: str
) -> None:
    mails = conversation(name)
    stored(world, in_order(mails, order) if order != "date" else mails)

    [ticket] = world.rows(Ticket)
    assert ticket.status == CONVERSATIONS[name]
    assert len(world.rows_by(TicketMessage)) == 3


@pytest.mark.parametrize("order", ["date", "inbound-first", "sent-first", "newest"])
def test_a_ticket_opens_at_the_date_of_its_first_message(
    world: World, order: str
) -> None:
    stored(world, in_order(WE_WROTE_LAST, order))

    [ticket] = world.rows(Ticket)
    assert ticket.opened_at == DAY


def test_earlier_messages_stored_later_move_the_opening_back(world: World) -> None:
    # The customer wrote to sales, we answered, then the customer went to
    # support; the older mail is stored last.
    world.rule_file("support.yaml", SUPPORT_RULE)
    world.add(customer(2, DAY, Q1, A1)[1])
    [ticket] = world.rows(Ticket)
    assert ticket.opened_at == DAY

    world.add(ours(1, DAY - timedelta(days=1), Q1)[1], folder="sent")
    [ticket] = world.rows(Ticket)
    assert ticket.opened_at == DAY - timedelta(days=1)

    world.add(customer(1, DAY - timedelta(days=2), to=SALES)[1])
    [ticket] = world.rows(Ticket)
    assert ticket.opened_at == DAY - timedelta(days=2)
    assert ticket.status == "open"
    assert len(world.rows_by(TicketMessage)) == 3


@pytest.mark.parametrize("order", ["inbound-first", "sent-first", "newest"])
def test_a_tickets_messages_are_listed_in_date_order(world: World, order: str) -> None:
    stored(world, in_order(CUSTOMER_WROTE_LAST, order))

    with world.database.session() as session:
        [ticket] = session.scalars(select(Ticket))
        record = ticket_record(session, ticket, "T")
    listed = message_ids(world.database, record["messages"])
    assert listed == [i.strip("<>") for i in (Q1, A1, Q2)]


def test_tickets_show_lists_the_messages_in_date_order(world: World) -> None:
    stored(world, in_order(CUSTOMER_WROTE_LAST, "inbound-first"))
    config = world.root / "inbox-crm.toml"
    config.write_text(f'[database]\nurl = "{world.database.url}"\n', "utf-8")

    result = CliRunner().invoke(cli, ["--config", str(config), "tickets", "show", "1"])

    assert result.exit_code == 0, result.output
    listed = result.stdout.split("messages:\n")[1].split("history:")[0]
    stamps = [line.split()[1:3] for line in listed.splitlines()]
    assert stamps == [
        ["2026-11-02", "09:00"],
        ["2026-11-02", "10:00"],
        ["2026-11-02", "11:00"],
    ]


@pytest.mark.parametrize("order", ["date", "newest"])
def test_a_conversation_without_references_makes_one_ticket_in_any_order(
    world: World, order: str
) -> None:
    # A client that sends neither References nor In-Reply-To: only the
    # subject ties the follow-up to the first mail.
    first = customer(1, DAY)
    follow_up = (
        "inbox",
        make_message(
            sender=CUSTOMER,
            to=SUPPORT,
            subject="Re: Printer on fire",
            message_id="<q2@customer.example>",
            date=DAY + HOUR,
        ),
    )
    stored(world, [first, follow_up] if order == "date" else [follow_up, first])

    [ticket] = world.rows(Ticket)
    assert ticket.opened_at == DAY
    assert len(world.rows_by(TicketMessage)) == 2


@pytest.mark.parametrize("order", ["inbound-first", "sent-first"])
def test_the_customer_and_us_writing_in_the_same_second_leave_the_ticket_open(
    world: World, order: str
) -> None:
    mails = [
        customer(1, DAY),
        ours(1, DAY + HOUR, Q1),
        customer(2, DAY + HOUR, Q1),
    ]
    stored(world, in_order(mails, order))

    [ticket] = world.rows(Ticket)
    assert ticket.status == "open"


def test_a_late_reply_from_a_closed_tickets_time_leaves_the_next_ticket_alone(
    world: World,
) -> None:
    stored(world, [customer(1, DAY)])
    with world.database.session() as session, session.begin():
        session.get_one(Ticket, 1).status = "closed"
    later = DAY + timedelta(days=5)
    world.add(customer(3, later, Q1)[1])  # a new ticket, in the same thread

    # Our reply of the first ticket's time, stored only now.
    world.add(ours(1, DAY + HOUR, Q1)[1], folder="sent")

    first, second = world.rows(Ticket)
    assert first.thread_id == second.thread_id
    assert (second.opened_at, second.status) == (later, "open")
    joined = [row for row in world.rows_by(TicketMessage) if row.ticket_id == 2]
    assert len(joined) == 1
