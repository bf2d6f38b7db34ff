"""Contact and company conditions, tags, owners, notifications and the sender cap."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inbox_crm.contacts.models import Company, CompanyDomain, Contact
from inbox_crm.rules.card import card_sections
from inbox_crm.storage.tracking import Activity, Notification, RuleFiring, Ticket
from tests.mailfactory import make_message
from tests.rules.world import World

DAY = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def test_contact_fields_tags_and_match_decide(world: World) -> None:
    world.contact(
        "Ann Client",
        "ann@client.example",
        company="Client GmbH",
        domain="client.example",
        tags=["vip"],
        custom_fields={"plan": "gold"},
    )
    world.rule_file(
        "vip.yaml",
        """\
        rules:
          - id: vip-call
            description: call VIPs on gold plans back
            trigger: message_received
            when:
              all:
                - contact.tags: vip
                - contact.field.plan: gold
                - company.name: client gmbh
                - match.method: exact
                - match.score: {at_least: 0.9}
            actions:
              - activity:
                  kind: call
                  title: "Call {{ contact.name }} ({{ company.name }})"
        """,
    )
    world.add(make_message(date=DAY))
    world.add(
        make_message(
            sender="Bob <bob@client.example>",
            message_id="<bob@client.example>",
            date=DAY,
        )
    )

    [activity] = world.rows(Activity)
    assert (activity.kind, activity.title) == ("call", "Call Ann Client (Client GmbH)")
    assert activity.contact_id is not None and activity.company_id is not None
    [firing] = world.rows(RuleFiring)
    assert firing.contact_id == activity.contact_id


def test_the_shipped_company_rule_tags_a_new_company_once(world: World) -> None:
    shutil.copy(REPO / "rules" / "tag-new-company.yaml", world.rules_dir)
    with world.database.session() as session, session.begin():
        # What the linking ladder does for a first mail from a new domain.
        company = Company(name="Newco", source="auto")
        company.domains = [CompanyDomain(domain="newco.example")]
        session.add(company)
    first = make_message(
        sender="Nia <nia@newco.example>", message_id="<n1@newco.example>", date=DAY
    )
    second = make_message(
        sender="Nia <nia@newco.example>",
        message_id="<n2@newco.example>",
        date=DAY + timedelta(days=1),
    )
    world.add(first)
    world.add(second)

    [company] = world.rows(Company)
    assert company.tags == ["new-company"]
    assert [f.message_id for f in world.rows(RuleFiring)] == [1]


def test_a_company_known_before_its_first_mail_is_not_new(world: World) -> None:
    shutil.copy(REPO / "rules" / "tag-new-company.yaml", world.rules_dir)
    world.contact(
        "Ann", "ann@client.example", company="Client", domain="client.example"
    )
    world.add(make_message(date=DAY))

    assert world.rows(Company)[0].tags == []


def test_assign_sets_an_owner_but_keeps_one_set_by_hand(world: World) -> None:
    world.settings["users"]["theo"] = {}
    world.contact("Ann", "ann@client.example")
    world.contact("Bea", "bea@client.example", owner="maya")
    world.rule_file(
        "own.yaml",
        """\
        rules:
          - id: owner
            description: theo owns new clients
            trigger: message_received
            actions:
              - assign: {owner: theo, target: contact}
        """,
    )
    world.add(make_message(date=DAY))
    world.add(
        make_message(sender="bea@client.example", message_id="<b@c.example>", date=DAY)
    )

    owners = {contact.name: contact.owner for contact in world.rows(Contact)}
    assert owners == {"Ann": "theo", "Bea": "maya"}


def test_notify_leaves_a_notification(world: World) -> None:
    world.rule_file(
        "tell.yaml",
        """\
        rules:
          - id: tell
            description: tell maya about weekend mail
            trigger: message_received
            when:
              time.weekday: {in: [sat, sun]}
            actions:
              - notify: {user: maya, text: "Weekend mail: {{ message.subject }}"}
        """,
    )
    world.add(make_message(date=datetime(2026, 11, 7, 12, tzinfo=UTC)))
    world.add(make_message(message_id="<weekday@client.example>", date=DAY))

    assert [n.text for n in world.rows(Notification)] == [
        "Weekend mail: Project kickoff"
    ]


def test_the_sender_cap_stops_creating_and_warns_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.settings["rules"]["sender_cap"] = 3
    world.rule_file(
        "flood.yaml",
        """\
        rules:
          - id: ticket-all
            description: ticket for everything
            trigger: message_received
            actions:
              - ticket: {}
              - tag: {name: seen, target: message}
        """,
    )
    caplog.set_level(logging.WARNING, logger="inbox_crm.rules.fired")
    for number in range(6):
        world.add(
            make_message(
                subject=f"Help {number}",
                message_id=f"<flood{number}@client.example>",
                date=DAY + timedelta(minutes=number),
            )
        )

    assert len(world.rows(Ticket)) == 3
    firings = world.rows(RuleFiring)
    assert [f.capped for f in firings] == [False, False, False, True, True, True]
    assert "reached the cap of 3 records per 24 hours" in firings[3].actions
    warnings = [r for r in caplog.records if "per-sender cap" in r.getMessage()]
    assert len(warnings) == 1


def test_the_card_sections_show_the_work_on_a_contact(world: World) -> None:
    contact_id = world.contact(
        "Ann", "ann@client.example", company="Client", domain="client.example"
    )
    world.rule_file(
        "work.yaml",
        """\
        rules:
          - id: ticket-and-task
            description: a ticket and a task for each mail
            trigger: message_received
            actions:
              - ticket: {queue: sales}
              - activity: {title: "Answer {{ contact.name }}", kind: task}
        """,
    )
    world.add(make_message(date=DAY))
    world.add(make_message(sender="x@elsewhere.example", message_id="<x@e>", date=DAY))

    with world.database.session() as session:
        card = card_sections(session, "T", contact_id=contact_id)
        [company] = world.rows(Company)
        by_company = card_sections(session, "T", company_id=company.id)
    assert [a["title"] for a in card["activities"]] == ["Answer Ann"]
    assert [t["number"] for t in card["tickets"]] == ["T-1"]
    assert [(f["rule"], f["trigger"]) for f in card["rule_firings"]] == [
        ("ticket-and-task", "message_received")
    ]
    assert [t["number"] for t in by_company["tickets"]] == ["T-1"]
