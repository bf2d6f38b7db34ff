"""Manual links, unlinking, merging, the review queue and the ignore list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inbox_crm.contacts import ignore, review
from inbox_crm.contacts.edit import Changes, edit_company, edit_contact
from inbox_crm.contacts.find import find_company, find_contact
from inbox_crm.contacts.manual import (
    link_address,
    message_participants,
    set_manual,
    unlink_address,
)
from inbox_crm.contacts.merge import merge_contacts
from inbox_crm.contacts.models import ReviewItem
from inbox_crm.errors import ContactError
from inbox_crm.storage.models import Message
from tests.contacts.conftest import Mail, Seen

PEOPLE = """\
Name,Email,Company,Website
Ada Byron,ada@acme.co.uk,Acme,acme.co.uk
Daniel Cho,daniel@northwind.example,Northwind,northwind.example
"""


@pytest.fixture
def known(mail: Mail, tmp_path: Path) -> Mail:
    mail.import_csv(tmp_path, PEOPLE)
    return mail


def relink_all(mail: Mail) -> None:
    with mail.database.session() as session, session.begin():
        mail.linker.relink(session, only_unlinked=False)


def test_a_manual_link_of_a_message_survives_relinking_and_new_mail(
    known: Mail,
) -> None:
    message = known.receive("Ada <ada@acme.co.uk>")
    with known.database.session() as session, session.begin():
        ids = message_participants(session, message, None, known.own)
        set_manual(
            session, ids, find_contact(session, "daniel@northwind.example"), None
        )

    relink_all(known)
    later = known.receive("Ada <ada@acme.co.uk>")

    assert known.link(message, "ada@acme.co.uk") == Seen(
        "manual", 1.0, "Daniel Cho", "Northwind"
    )
    assert known.link(later, "ada@acme.co.uk").method == "exact"


def test_linking_an_address_adds_it_to_the_contact_for_later_mail(
    known: Mail,
) -> None:
    earlier = known.receive("Ada Home <adab@gmail.com>")
    with known.database.session() as session, session.begin():
        count = link_address(
            session, "AdaB@gmail.com", find_contact(session, "ada@acme.co.uk"), None
        )

    later = known.receive("Ada Home <adab@gmail.com>")

    assert count == 1
    assert known.link(earlier, "adab@gmail.com").method == "manual"
    assert known.link(later, "adab@gmail.com") == Seen(
        "secondary", 1.0, "Ada Byron", "Acme"
    )


def test_a_company_only_link_by_hand(known: Mail) -> None:
    message = known.receive("Someone <someone@freelance.example>")
    with known.database.session() as session, session.begin():
        ids = message_participants(session, message, "someone@freelance.example", ())
        set_manual(session, ids, None, find_company(session, "acme.co.uk"))

    relink_all(known)

    assert known.link(message, "someone@freelance.example") == Seen(
        "manual", 1.0, None, "Acme"
    )


def test_unlinking_keeps_mail_unlinked_through_relinking(known: Mail) -> None:
    message = known.receive("Ada <ada@acme.co.uk>")
    with known.database.session() as session, session.begin():
        unlink_address(session, "ada@acme.co.uk")

    relink_all(known)

    assert known.link(message, "ada@acme.co.uk") == Seen("manual", 1.0, None, None)
    with known.database.session() as session:
        with pytest.raises(ContactError, match=r"no contact 'ada@acme\.co\.uk'"):
            find_contact(session, "ada@acme.co.uk")
        assert [c.name for c in known.contacts()] == ["Ada Byron", "Daniel Cho"]


def test_a_message_with_no_such_participant_is_refused(known: Mail) -> None:
    message = known.receive("Ada <ada@acme.co.uk>")
    with known.database.session() as session:
        with pytest.raises(ContactError, match="has no participant"):
            message_participants(session, message, "nobody@x.example", ())
        with pytest.raises(ContactError, match="no message 999999"):
            message_participants(session, 999999, None, ())


def test_merging_keeps_every_address_link_and_detail(
    make_mail: Callable[..., Mail], tmp_path: Path
) -> None:
    mail = make_mail()
    mail.import_csv(
        tmp_path,
        "Name,Email,Company,Tags,Phone\n"
        "Ada Byron,ada@acme.co.uk,Acme,vip,+44 1\n"
        "A. Byron,ada.byron@gmail.com,,personal,+44 2\n",
    )
    work = mail.receive("Ada <ada@acme.co.uk>")
    home = mail.receive("Ada <ada.byron@gmail.com>")
    with mail.database.session() as session, session.begin():
        keep = find_contact(session, "ada@acme.co.uk")
        other = find_contact(session, "ada.byron@gmail.com")
        review_item = ReviewItem(address="x@gmail.com", contact_id=other.id, score=0.9)
        session.add(review_item)
        session.flush()
        merge_contacts(session, keep, other)

    [contact] = mail.contacts()
    assert [(a.address, a.primary) for a in contact.addresses] == [
        ("ada@acme.co.uk", True),
        ("ada.byron@gmail.com", False),
    ]
    assert (contact.name, contact.tags, contact.phones) == (
        "Ada Byron",
        ["vip", "personal"],
        ["+44 1", "+44 2"],
    )
    assert contact.company is not None and contact.company.name == "Acme"
    assert mail.link(work, "ada@acme.co.uk").contact == "Ada Byron"
    assert mail.link(home, "ada.byron@gmail.com").contact == "Ada Byron"
    with mail.database.session() as session:
        [item] = session.scalars(select(ReviewItem)).all()
        assert item.contact_id == contact.id


def test_a_contact_cannot_be_merged_with_itself(known: Mail) -> None:
    with known.database.session() as session:
        ada = find_contact(session, "ada@acme.co.uk")
        with pytest.raises(ContactError, match="itself"):
            merge_contacts(session, ada, ada)


def test_accepting_a_review_links_the_address_for_good(known: Mail) -> None:
    message = known.receive("Dan Cho <dc@northwind.example>")
    with known.database.session() as session:
        [item] = review.pending(session)
    with known.database.session() as session, session.begin():
        _, linked = review.accept(session, item.id)
    later = known.receive("Dan Cho <dc@northwind.example>")

    assert linked == 1
    assert known.link(message, "dc@northwind.example") == Seen(
        "manual", 1.0, "Daniel Cho", "Northwind"
    )
    assert known.link(later, "dc@northwind.example").method == "secondary"
    with known.database.session() as session:
        assert review.pending(session) == []
        with pytest.raises(ContactError, match="already accepted"):
            review.accept(session, item.id)


def test_a_rejected_candidate_is_never_proposed_again(known: Mail) -> None:
    known.receive("Dan Cho <dc@northwind.example>")
    with known.database.session() as session, session.begin():
        [item] = review.pending(session)
        review.reject(session, item.id)

    message = known.receive("Dan Cho <dc@northwind.example>")
    relink_all(known)

    with known.database.session() as session:
        assert review.pending(session) == []
        statuses = session.scalars(select(ReviewItem.status)).all()
        assert statuses == ["rejected"]
    seen = known.link(message, "dc@northwind.example")
    assert (seen.contact, seen.company) == ("Dan Cho", "Northwind"), (
        "not Daniel: a person of his own"
    )


def test_an_ignored_domain_links_and_creates_nothing(mail: Mail) -> None:
    with mail.database.session() as session, session.begin():
        ignore.add(session, "Mail.Spammy.example")

    message = mail.receive("Offer <offers@news.spammy.example>")
    mail.receive("Real Person <ann@spammy.example>")

    assert mail.link(message, "offers@news.spammy.example") == Seen(
        None, None, None, None
    )
    assert mail.contacts() == []
    with mail.database.session() as session:
        assert [(e.kind, e.value) for e in ignore.entries(session)] == [
            ("domain", "spammy.example")
        ]


def test_ignoring_with_purge_removes_what_was_stored_from_it(mail: Mail) -> None:
    mail.receive("Ann <ann@pest.example>")
    mail.receive("Bob <bob@mail.pest.example>")
    kept = mail.send("Ann <ann@pest.example>, Cy <cy@client.example>")
    assert len(mail.companies()) == 2

    with mail.database.session() as session, session.begin():
        ignore.add(session, "pest.example")
        purged = ignore.purge(session, "pest.example")

    assert (purged.messages, purged.contacts, purged.companies) == (2, 2, 1)
    assert [c.name for c in mail.contacts()] == ["Cy"]
    assert [c.name for c in mail.companies()] == ["Client"]
    with mail.database.session() as session:
        assert session.scalar(select(func.count(Message.id))) == 1
    assert mail.link(kept, "ann@pest.example") == Seen(None, None, None, None)


def test_ignoring_an_address_and_removing_it_again(mail: Mail) -> None:
    with mail.database.session() as session, session.begin():
        entry = ignore.add(session, "NoReply@Shop.example")
        assert (entry.kind, entry.value) == ("address", "noreply@shop.example")
    with mail.database.session() as session, session.begin():
        assert ignore.remove(session, "noreply@shop.example") is True
        assert ignore.remove(session, "noreply@shop.example") is False
    with (
        mail.database.session() as session,
        pytest.raises(ContactError, match="neither an email address nor"),
    ):
        ignore.add(session, "localhost")


def test_editing_a_contact_moves_its_links_to_the_new_company(known: Mail) -> None:
    message = known.receive("Ada <ada@acme.co.uk>")
    with known.database.session() as session, session.begin():
        ada = find_contact(session, "ada@acme.co.uk")
        changes = Changes(
            name="Ada King",
            owner="tom@agency.example",
            add_tags=["vip"],
            fields={"tier": "gold"},
        )
        edit_contact(session, ada, changes, find_company(session, "Northwind"))

    [edited] = [c for c in known.contacts() if c.primary_address == "ada@acme.co.uk"]
    assert (edited.name, edited.owner, edited.tags) == (
        "Ada King",
        "tom@agency.example",
        ["vip"],
    )
    assert edited.custom_fields == {"tier": "gold"}
    assert known.link(message, "ada@acme.co.uk") == Seen(
        "exact", 1.0, "Ada King", "Northwind"
    )


def test_a_primary_address_must_be_the_contacts(known: Mail) -> None:
    with known.database.session() as session:
        ada = find_contact(session, "ada@acme.co.uk")
        with pytest.raises(ContactError, match="not an address of contact"):
            edit_contact(session, ada, Changes(), primary="daniel@northwind.example")


def test_a_company_gains_a_domain_but_never_a_free_or_taken_one(known: Mail) -> None:
    with known.database.session() as session, session.begin():
        acme = find_company(session, "acme.co.uk")
        edit_company(session, acme, Changes(name="Acme Ltd"), ["mail.acme-labs.com"])
    with known.database.session() as session:
        acme = find_company(session, "acme-labs.com")
        assert acme.name == "Acme Ltd"
        assert [d.domain for d in acme.domains] == ["acme.co.uk", "acme-labs.com"]
        with pytest.raises(ContactError, match="free-mail"):
            edit_company(session, acme, Changes(), ["gmail.com"])
        with pytest.raises(ContactError, match="belongs to company"):
            edit_company(session, acme, Changes(), ["northwind.example"])
