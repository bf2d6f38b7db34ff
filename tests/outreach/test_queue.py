"""Queueing: the service interface, recipients, and what templates see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inbox_crm.config import Config
from inbox_crm.contacts.models import Company, CompanyDomain, Contact, ContactAddress
from inbox_crm.errors import OutreachError, TemplateError
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.outreach.queue import draft_outreach, queue_outreach
from inbox_crm.outreach.records import company_outreach, contact_outreach
from inbox_crm.storage.db import Database
from tests.outreach.conftest import flush, get_row, queue_one, write_templates
from tests.servers.smtp import SmtpServer

CONTEXT_TEMPLATE = {
    "card/subject.txt": "{{ contact.first_name }} {{ contact.last_name }} at "
    "{{ company.name }}\n",
    "card/body.txt": (
        "{{ contact.address }}|{{ contact.addresses | join(',') }}|"
        "{{ contact.tags | join(',') }}|{{ contact.fields.tier }}|"
        "{{ company.domains | join(',') }}|{{ user.name }} <{{ user.address }}>|"
        "{{ user.mailbox }}|{{ unsubscribe.url }}|"
        "{% if thread %}{{ thread.subject }}|{{ last_message.from.address }}"
        "{% endif %}\n"
    ),
}


def add_ann(database: Database) -> int:
    with database.session() as session, session.begin():
        company = Company(name="Client Ltd")
        company.domains = [CompanyDomain(domain="client.example")]
        ann = Contact(
            name="Lee, Ann",
            company=company,
            tags=["vip"],
            custom_fields={"tier": "gold"},
        )
        ann.addresses = [
            ContactAddress(
                address="ann@client.example", folded="ann@client.example", primary=True
            ),
            ContactAddress(
                address="ann.lee@home.example", folded="annlee@home.example"
            ),
        ]
        session.add(ann)
        session.flush()
        return ann.id


def test_a_contact_id_or_any_of_its_addresses_finds_the_contact(
    database: Database, config: Config
) -> None:
    ann = add_ann(database)
    write_templates(config.outreach.templates, CONTEXT_TEMPLATE)

    by_id = get_row(database, queue_one(database, config, "card", to=ann))
    by_address = get_row(
        database, queue_one(database, config, "card", to="ANN.LEE@home.example")
    )

    assert by_id.contact_id == by_address.contact_id == ann
    assert by_id.to_address == "ann@client.example"
    assert by_address.to_address == "ANN.LEE@home.example"
    assert by_id.subject == "Ann Lee at Client Ltd"
    assert by_id.text.split("|")[:8] == [
        "ann@client.example",
        "ann@client.example,ann.lee@home.example",
        "vip",
        "gold",
        "client.example",
        "Maya Lin <maya@agency.example>",
        "work",
        f"mailto:maya@agency.example?subject=unsubscribe%20{by_id.unsubscribe_token}",
    ]


def test_the_thread_and_its_last_message_are_in_the_context(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    add_ann(database)
    write_templates(config.outreach.templates, CONTEXT_TEMPLATE)
    first = queue_one(database, config, to="ann@client.example")
    flush(database, config)
    thread = get_row(database, first).thread_id

    row = get_row(
        database,
        queue_one(database, config, "card", to="ann@client.example", thread_id=thread),
    )

    assert row.text.rstrip("\n").split("|")[-2:] == ["Hello Ann", "maya@agency.example"]
    assert row.in_reply_to == get_row(database, first).message_id


def test_an_unknown_name_is_an_error_not_a_gap(
    database: Database, config: Config
) -> None:
    write_templates(
        config.outreach.templates,
        {"bare/subject.txt": "Hi\n", "bare/body.txt": "Dear {{ contact.name }},\n"},
    )

    with pytest.raises(
        TemplateError, match=r"bare/body\.txt:1: unknown field contact\.name"
    ):
        queue_one(database, config, "bare", to="zed@solo.example")
    assert outbox_size(database) == 0


def test_an_unknown_contact_id_is_an_error(database: Database, config: Config) -> None:
    with pytest.raises(OutreachError, match="no contact with id 999"):
        queue_one(database, config, to=999)


@pytest.mark.parametrize("value", ["ann", "ann@", "a b@client.example", ""])
def test_a_bad_address_is_an_error(
    database: Database, config: Config, value: str
) -> None:
    with pytest.raises(OutreachError):
        queue_one(database, config, to=value)


def test_a_missing_value_stops_queueing_and_stores_nothing(
    database: Database, config: Config
) -> None:
    # A plain address has no company: the card template cannot be filled.
    write_templates(config.outreach.templates, CONTEXT_TEMPLATE)

    with pytest.raises(TemplateError, match=r"card/subject\.txt:1"):
        queue_one(database, config, "card", to="zed@solo.example")

    assert outbox_size(database) == 0


def test_the_rules_interface_returns_the_queued_row_and_is_idempotent(
    database: Database, config: Config
) -> None:
    due = datetime.now(UTC) + timedelta(days=2)
    with database.session() as session, session.begin():
        row = queue_outreach(
            session,
            config,
            "hello",
            "ann@client.example",
            send_at=due,
            rule="welcome-new-client",
            key="welcome-new-client:message:42",
        )
        again = queue_outreach(
            session,
            config,
            "hello",
            "ann@client.example",
            send_at=due,
            rule="welcome-new-client",
            key="welcome-new-client:message:42",
        )
        assert again.id == row.id
        assert (row.status, row.rule, row.due_at) == (
            "queued",
            "welcome-new-client",
            due,
        )
        assert row.message_id.endswith("@agency.example")


def test_a_naive_send_time_is_refused(database: Database, config: Config) -> None:
    with pytest.raises(OutreachError, match="time zone"):
        queue_one(database, config, send_at=datetime(2026, 12, 24, 9, 0))


def test_a_thread_of_another_mailbox_or_none_is_an_error(
    database: Database, config: Config
) -> None:
    with pytest.raises(OutreachError, match="no thread with id 5"):
        queue_one(database, config, "follow-up", thread_id=5)


def test_a_draft_writes_nothing(database: Database, config: Config) -> None:
    with database.session() as session:
        draft = draft_outreach(session, config, "hello", "Ann Lee <ann@client.example>")
        session.rollback()

    assert draft.row.subject == "Hello Ann"
    assert draft.refusal is None
    assert outbox_size(database) == 0


def test_the_client_cards_list_the_outreach(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    ann = add_ann(database)
    sent = queue_one(database, config, to=ann)
    flush(database, config)
    queued = queue_one(
        database,
        config,
        to="ann.lee@home.example",
        send_at=datetime.now(UTC) + timedelta(days=1),
    )
    other = queue_one(database, config, to="bo@client.example")

    with database.session() as session:
        card = contact_outreach(session, ann)
        company_id = session.get_one(Contact, ann).company_id
        assert company_id is not None
        company = company_outreach(session, company_id)

    assert [(r["id"], r["status"]) for r in card] == [
        (queued, "queued"),
        (sent, "sent"),
    ]
    assert {r["id"] for r in company} == {sent, queued, other}


def outbox_size(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(OutboxRow.id))) or 0
