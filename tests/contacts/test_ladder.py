"""Each rung of the linking ladder, through the real ingestion pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_crm.contacts.models import ReviewItem
from tests.contacts.conftest import Mail, Seen

CONTACTS = """\
Name,Email,Company,Website
Ada Byron,ada@acme.co.uk; ada.byron@gmail.com,Acme,https://www.acme.co.uk/
Jürgen Weiß,j.weiss@weiss-partner.de,Weiss & Partner,weiss-partner.de
Daniel Cho,daniel@northwind.example,Northwind,northwind.example
Anna Meyer,anna@meyer-bau.de,Meyer Bau,meyer-bau.de
Hanna Meyer,hanna@beta.example,Beta,beta.example
"""


@pytest.fixture
def known(mail: Mail, tmp_path: Path) -> Mail:
    mail.import_csv(tmp_path, CONTACTS)
    return mail


def contact_count(mail: Mail) -> int:
    return len(mail.contacts())


def test_exact_address_links_the_contact_and_its_company(known: Mail) -> None:
    message = known.receive("Ada <ada@acme.co.uk>")

    assert known.link(message, "ada@acme.co.uk") == Seen(
        "exact", 1.0, "Ada Byron", "Acme"
    )


def test_address_case_does_not_matter(known: Mail) -> None:
    message = known.receive("ADA@Acme.CO.UK")

    assert known.link(message, "ada@acme.co.uk").contact == "Ada Byron"


def test_secondary_address_is_the_same_person_not_a_duplicate(known: Mail) -> None:
    before = contact_count(known)

    message = known.receive("Ada B. <ada.byron@gmail.com>")

    seen = known.link(message, "ada.byron@gmail.com")
    assert seen == Seen("secondary", 1.0, "Ada Byron", "Acme")
    assert contact_count(known) == before


def test_plus_tag_is_folded_to_the_contact(known: Mail) -> None:
    message = known.receive("Billing <ada+invoices@acme.co.uk>")

    seen = known.link(message, "ada+invoices@acme.co.uk")
    assert (seen.method, seen.contact) == ("secondary", "Ada Byron")
    assert seen.score is not None and seen.score < 1.0


def test_plus_tags_stay_apart_when_folding_is_off(
    make_mail: Callable[..., Mail], tmp_path: Path
) -> None:
    mail = make_mail(fold_plus_tags=False, create_contacts="never")
    mail.import_csv(tmp_path, CONTACTS)

    message = mail.receive("Billing <ada+invoices@acme.co.uk>")

    assert mail.link(message, "ada+invoices@acme.co.uk") == Seen(
        "domain", 1.0, None, "Acme"
    )


def test_googlemail_is_gmail_and_gmail_ignores_dots(known: Mail) -> None:
    message = known.receive("Ada <AdaByron@googlemail.com>")

    seen = known.link(message, "adabyron@googlemail.com")
    assert (seen.method, seen.contact) == ("secondary", "Ada Byron")


def test_mail_subdomain_links_the_registrable_domains_company(known: Mail) -> None:
    message = known.receive("Acme Accounts <accounts@eu.mail.acme.co.uk>")

    assert known.link(message, "accounts@eu.mail.acme.co.uk") == Seen(
        "domain", 1.0, None, "Acme"
    )
    assert [c.name for c in known.companies()].count("Acme") == 1


def test_new_address_at_the_company_links_by_name(known: Mail) -> None:
    before = contact_count(known)

    message = known.receive("Jurgen Weiss <juergen@weiss-partner.de>")

    seen = known.link(message, "juergen@weiss-partner.de")
    assert seen == Seen("fuzzy", 1.0, "Jürgen Weiß", "Weiss & Partner")
    assert contact_count(known) == before


def reviews(mail: Mail) -> list[tuple[str, str, float]]:
    with mail.database.session() as session:
        items = session.scalars(select(ReviewItem).order_by(ReviewItem.id))
        return [(i.address, i.contact.name, i.score) for i in items]


def test_free_mail_sender_known_only_by_name_is_reviewed_not_guessed(
    known: Mail,
) -> None:
    before = contact_count(known)

    message = known.receive('"Byron, Ada" <ab1815@gmail.com>')

    assert known.link(message, "ab1815@gmail.com") == Seen(None, None, None, None)
    assert reviews(known) == [("ab1815@gmail.com", "Ada Byron", 1.0)]
    assert contact_count(known) == before, "no duplicate Ada while she is reviewed"


def test_names_that_differ_only_in_case_are_one_person(known: Mail) -> None:
    message = known.receive("JÜRGEN WEISS <jw@weiss-partner.de>")

    seen = known.link(message, "jw@weiss-partner.de")
    assert (seen.method, seen.score, seen.contact) == ("fuzzy", 1.0, "Jürgen Weiß")


def test_subsidiary_on_another_domain_links_by_name(known: Mail) -> None:
    message = known.receive("Ada Byron <ada@acme-labs.com>")

    seen = known.link(message, "ada@acme-labs.com")
    assert seen == Seen("fuzzy", 1.0, "Ada Byron", "Acme")


def test_namesake_at_an_unrelated_domain_is_only_reviewed(known: Mail) -> None:
    message = known.receive("Ada Byron <ada@unrelated-shop.com>")

    seen = known.link(message, "ada@unrelated-shop.com")
    assert (seen.method, seen.contact) != ("fuzzy", "Ada Byron")
    assert ("ada@unrelated-shop.com", "Ada Byron", 1.0) in reviews(known)


def test_below_the_threshold_a_candidate_is_queued_not_linked(known: Mail) -> None:
    before = contact_count(known)

    message = known.receive("Dan Cho <dc@northwind.example>")

    assert known.link(message, "dc@northwind.example") == Seen(
        "domain", 1.0, None, "Northwind"
    )
    assert contact_count(known) == before, "no duplicate while the review is open"
    [(address, name, score)] = reviews(known)
    assert (address, name) == ("dc@northwind.example", "Daniel Cho")
    assert 0.8 <= score < 0.97


def test_near_identical_names_at_other_companies_are_not_confused(
    known: Mail,
) -> None:
    hanna = known.receive("Hanna Meyer <hanna.meyer@beta.example>")
    anna_at_beta = known.receive("Anna Meyer <anna.m@beta.example>")
    anna_free = known.receive("Anna Meyer <am1990@gmail.com>")

    assert known.link(hanna, "hanna.meyer@beta.example").contact == "Hanna Meyer"
    assert known.link(anna_at_beta, "anna.m@beta.example") == Seen(
        "domain", 1.0, None, "Beta"
    )
    assert known.link(anna_free, "am1990@gmail.com").contact is None
    proposed = {(address, name) for address, name, _ in reviews(known)}
    assert ("am1990@gmail.com", "Anna Meyer") in proposed
    assert ("am1990@gmail.com", "Hanna Meyer") not in proposed


def test_a_stranger_from_free_mail_links_to_no_one(known: Mail) -> None:
    message = known.receive("Zoe Quist <zq@gmail.com>")

    seen = known.link(message, "zq@gmail.com")
    assert (seen.method, seen.company) == ("exact", None)
    assert seen.contact == "Zoe Quist", "a new contact of her own, no company"
