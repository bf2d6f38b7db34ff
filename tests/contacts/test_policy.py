"""The auto-create policy, on the sample mail and the real pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_crm.contacts.models import ReviewItem
from tests.contacts.conftest import Mail, Seen

SAMPLE_OWN = ("sales@example.org",)
MACHINE_MAIL = (
    "precedence_auto_reply.eml",
    "exchange_oof.eml",
    "vacation_gmail.eml",
    "bounce_postfix.eml",
    "bounce_exim.eml",
    "mailing_list.eml",
    "precedence_bulk.eml",
    "list_unsubscribe_only.eml",
    "mdn_read_receipt.eml",
)


@pytest.fixture
def sample(make_mail: Callable[..., Mail]) -> Mail:
    return make_mail(own=SAMPLE_OWN)


def names(mail: Mail) -> list[str]:
    return [contact.name for contact in mail.contacts()]


def domains(mail: Mail) -> list[list[str]]:
    return [[d.domain for d in company.domains] for company in mail.companies()]


def test_a_person_who_wrote_personally_becomes_a_contact_at_a_company(
    sample: Mail,
) -> None:
    sample.eml("normal.eml")

    [contact] = sample.contacts()
    assert contact.name == "Client Person"
    assert [a.address for a in contact.addresses] == ["client.person+crm@example.com"]
    assert contact.company is not None
    assert (contact.source, contact.company.name) == ("auto", "Example")
    assert domains(sample) == [["example.com"]]


@pytest.mark.parametrize("name", MACHINE_MAIL)
def test_auto_replies_bounces_lists_and_bulk_mail_create_no_one(
    sample: Mail, name: str
) -> None:
    result = sample.eml(name)

    assert result.stored == 1
    assert names(sample) == []
    assert domains(sample) == []


def test_a_person_written_to_becomes_a_contact(mail: Mail) -> None:
    mail.send("Ben New <ben@newco.co.uk>, Pat <pat.k@gmail.com>")

    contacts = {c.name: c for c in mail.contacts()}
    assert set(contacts) == {"Ben New", "Pat"}
    ben_company = contacts["Ben New"].company
    assert ben_company is not None and ben_company.name == "Newco"
    assert contacts["Pat"].company is None, "free-mail never makes a company"
    assert domains(mail) == [["newco.co.uk"]]


@pytest.mark.parametrize(
    "sender",
    [
        "Shop <noreply@mail.shop.example>",
        "no-reply@accounts.shop.example",
        "Notifications <notifications@tracker.example>",
        "MAILER-DAEMON@mx.shop.example",
        "Acme Info <info@acme.example>",
        "Do Not Reply <donotreply@bank.example>",
        "bounces+12345@em.sender.example",
    ],
)
def test_role_and_no_reply_senders_create_no_contact_or_company(
    mail: Mail, sender: str
) -> None:
    mail.receive(sender)

    assert names(mail) == []
    assert domains(mail) == []


def test_mail_subdomains_make_one_company_of_the_registrable_domain(
    mail: Mail,
) -> None:
    mail.receive("Ann <ann@mail.newco.co.uk>")
    mail.receive("Bo <bo@newco.co.uk>")
    mail.receive("Cy <cy@eu.smtp.newco.co.uk>")

    assert domains(mail) == [["newco.co.uk"]]
    assert {c.company.name for c in mail.contacts() if c.company} == {"Newco"}


def test_the_users_own_address_with_a_plus_tag_is_never_a_contact(mail: Mail) -> None:
    inbound = mail.receive("Ann <ann@client.example>", to="maya+crm@agency.example")
    mail.send("Ann <ann@client.example>", sender="Maya <MAYA+news@agency.example>")
    mail.send("bo@agency.example")

    assert names(mail) == ["Ann"], "no Maya, and no colleague at the own domain"
    assert mail.link(inbound, "maya+crm@agency.example") == Seen(None, None, None, None)
    assert domains(mail) == [["client.example"]]


def test_written_mode_makes_contacts_only_of_people_written_to(
    make_mail: Callable[..., Mail],
) -> None:
    mail = make_mail(create_contacts="written")

    mail.receive("Cold Pitch <pitch@vendor.example>")
    mail.send("Dee <dee@client.example>")

    assert names(mail) == ["Dee"]


def test_never_mode_makes_no_one_but_still_links_the_known(
    make_mail: Callable[..., Mail],
) -> None:
    mail = make_mail(create_contacts="never", create_companies="never")

    mail.send("Dee <dee@client.example>")
    mail.receive("Dee <dee@client.example>")

    assert names(mail) == []
    assert domains(mail) == []


def test_companies_never_keeps_contacts_without_a_company(
    make_mail: Callable[..., Mail],
) -> None:
    mail = make_mail(create_companies="never")

    mail.send("Dee <dee@client.example>")

    [contact] = mail.contacts()
    assert (contact.name, contact.company) == ("Dee", None)


def test_disposable_addresses_make_no_contact(mail: Mail) -> None:
    mail.receive("Someone <x7y8@mailinator.com>")

    assert names(mail) == []


def test_a_list_that_rewrites_from_is_not_the_author(
    mail: Mail, tmp_path: Path
) -> None:
    mail.import_csv(tmp_path, "Name,Email\nAda Byron,ada@acme.co.uk\n")

    message = mail.receive(
        "Ada Byron via Dev <dev@lists.example.org>",
        to="dev@lists.example.org",
        headers={
            "List-Id": "Developers <dev.lists.example.org>",
            "Reply-To": "Ada Byron <ada@acme.co.uk>",
        },
    )

    assert mail.link(message, "ada@acme.co.uk").contact == "Ada Byron"
    assert mail.link(message, "dev@lists.example.org").contact is None
    assert names(mail) == ["Ada Byron"], "the list is no one's contact"
    assert domains(mail) == []
    with mail.database.session() as session:
        proposed = session.scalars(select(ReviewItem.address)).all()
    assert proposed == [], "accepting it would give Ada every post of the list"
