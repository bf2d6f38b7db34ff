"""The client card and the link fields of the message export."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_crm.contacts.card import company_card, contact_card
from inbox_crm.contacts.export import links_of
from inbox_crm.contacts.find import find_company, find_contact
from inbox_crm.export import message_record
from inbox_crm.storage.queries import iter_messages, messages_query
from tests.contacts.conftest import Mail


@pytest.fixture
def history(mail: Mail, tmp_path: Path) -> dict[str, int]:
    mail.import_csv(
        tmp_path,
        "Name,Email,Company,Website,Tags\n"
        "Ada Byron,ada@acme.co.uk;ada.byron@gmail.com,Acme,acme.co.uk,vip\n",
    )
    ids = {
        "question": mail.receive("Ada <ada@acme.co.uk>", subject="Budget?"),
        "answer": mail.send(
            "Ada <ada@acme.co.uk>",
            subject="Re: Budget?",
            in_reply_to="<placeholder@x>",
        ),
        "open": mail.receive("Ada <ada.byron@gmail.com>", subject="Weekend plans"),
        "colleague": mail.send("Bob <bob@acme.co.uk>", subject="Invoice"),
    }
    return ids


def test_a_contacts_card_shows_details_timeline_and_open_threads(
    mail: Mail, history: dict[str, int]
) -> None:
    with mail.database.session() as session:
        card = contact_card(session, find_contact(session, "ADA@acme.co.uk"), 10)

    assert (card["name"], card["company"]["name"], card["tags"]) == (
        "Ada Byron",
        "Acme",
        ["vip"],
    )
    assert [a["address"] for a in card["addresses"]] == [
        "ada@acme.co.uk",
        "ada.byron@gmail.com",
    ]
    assert card["message_count"] == 3
    assert [entry["message"] for entry in card["timeline"]] == [
        history["open"],
        history["answer"],
        history["question"],
    ]
    assert card["last_inbound"]["message"] == history["open"]
    assert card["last_outbound"]["message"] == history["answer"]
    assert [entry["message"] for entry in card["awaiting_reply"]] == [history["open"]]


def test_a_companys_card_gathers_its_people(
    mail: Mail, history: dict[str, int]
) -> None:
    with mail.database.session() as session:
        card = company_card(session, find_company(session, "mail.acme.co.uk"), 2)

    assert card["domains"] == ["acme.co.uk"]
    assert sorted(c["name"] for c in card["contacts"]) == ["Ada Byron", "Bob"]
    assert card["message_count"] == 4
    assert len(card["timeline"]) == 2, "the limit holds"
    assert card["last_outbound"]["message"] == history["colleague"]


def test_exported_messages_carry_contact_company_and_match(
    mail: Mail, history: dict[str, int]
) -> None:
    with mail.database.session() as session:
        messages = list(iter_messages(session, messages_query()))
        links = links_of(session, messages)
        records = {m.id: message_record(m, "work", links) for m in messages}

    sender = records[history["open"]]["from"]
    assert sender["contact"]["name"] == "Ada Byron"
    assert sender["contact"]["address"] == "ada@acme.co.uk"
    assert sender["company"]["name"] == "Acme"
    assert sender["match"] == {"method": "secondary", "score": 1.0}
    [me] = records[history["open"]]["to"]
    assert (me["contact"], me["company"], me["match"]) == (None, None, None)
    [bob] = records[history["colleague"]]["to"]
    assert bob["contact"]["name"] == "Bob"
    assert bob["match"]["method"] == "exact"


def test_last_contact_each_way_is_the_newest_of_the_timeline_in_that_direction(
    mail: Mail, history: dict[str, int]
) -> None:
    cc_only = mail.receive(
        "Zed <zed@partner.example>",
        subject="Intro",
        headers={"Cc": "Carol <carol@acme.co.uk>"},
    )

    with mail.database.session() as session:
        company = company_card(session, find_company(session, "acme.co.uk"), 10)
        ada = contact_card(session, find_contact(session, "ada@acme.co.uk"), 10)

    assert company["timeline"][0]["message"] == cc_only
    assert company["last_inbound"]["message"] == cc_only
    assert company["last_outbound"]["message"] == history["colleague"]
    assert ada["last_inbound"]["message"] == history["open"]
