"""A follow-up queued for later stops when the contact (or the company) replies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from inbox_crm.config import Config
from inbox_crm.contacts.models import Company, CompanyDomain, Contact, ContactAddress
from inbox_crm.storage.db import Database
from tests.outreach.conftest import flush, get_row, ingest, queue_one, reply_to
from tests.servers.smtp import SmtpServer

LATER = timedelta(days=3)


def add_contacts(database: Database) -> int:
    """Ann and Bo at Client Ltd (client.example); return Ann's contact id."""
    with database.session() as session, session.begin():
        company = Company(name="Client Ltd")
        company.domains = [CompanyDomain(domain="client.example")]
        ann = Contact(name="Ann Lee", company=company)
        ann.addresses = [
            ContactAddress(
                address="ann@client.example", folded="ann@client.example", primary=True
            ),
            ContactAddress(
                address="ann.lee@home.example", folded="annlee@home.example"
            ),
        ]
        bo = Contact(name="Bo Kim", company=company)
        bo.addresses = [
            ContactAddress(address="bo@partner.example", folded="bo@partner.example")
        ]
        session.add_all([ann, bo])
        session.flush()
        return ann.id


def sequence(database: Database, config: Config, contact: int | str) -> tuple[int, int]:
    """A first mail, sent, and a follow-up in its thread due in three days."""
    first = queue_one(database, config, to=contact)
    flush(database, config)
    thread = get_row(database, first).thread_id
    follow = queue_one(
        database,
        config,
        "follow-up",
        to=contact,
        thread_id=thread,
        send_at=datetime.now(UTC) + LATER,
    )
    return first, follow


def test_a_reply_from_the_contact_cancels_the_follow_up(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    first, follow = sequence(database, config, add_contacts(database))
    # From another of Ann's addresses.
    ingest(
        database,
        reply_to(
            get_row(database, first),
            "Ann <ann.lee@home.example>",
            "Yes, let's talk on Friday.\n",
        ),
    )

    report = flush(database, config)

    row = get_row(database, follow)
    assert report.cancelled == 1
    assert row.status == "cancelled"
    assert row.reason is not None and row.reason.startswith("stopped: a reply came")
    assert len(smtp_server.received) == 1


def test_an_out_of_office_reply_does_not_stop_it(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    first, follow = sequence(database, config, add_contacts(database))
    ingest(
        database,
        reply_to(
            get_row(database, first),
            "ann@client.example",
            "I am out of the office until Monday.\n",
            **{"Auto-Submitted": "auto-replied"},
        ),
    )

    flush(database, config)

    assert get_row(database, follow).status == "queued"


def test_a_colleague_counts_only_when_configured(
    database: Database, configure: Callable[..., Config], smtp_server: SmtpServer
) -> None:
    ann = add_contacts(database)
    contact_only = configure()
    first, follow = sequence(database, contact_only, ann)
    row = get_row(database, first)
    # Cleo writes from the company's domain; Bo is a contact of the company
    # on another domain.
    ingest(database, reply_to(row, "cleo@mail.client.example", "Ann is away.\n"))
    ingest(database, reply_to(row, "bo@partner.example", "I will take this.\n"))

    flush(database, contact_only)
    assert get_row(database, follow).status == "queued"

    company = configure(outreach={"stop_on_reply": "company"})
    flush(database, company)
    assert get_row(database, follow).status == "cancelled"


def test_a_reply_from_someone_else_does_not_stop_it(
    database: Database, configure: Callable[..., Config], smtp_server: SmtpServer
) -> None:
    config = configure(outreach={"stop_on_reply": "company"})
    first, follow = sequence(database, config, add_contacts(database))
    ingest(
        database,
        reply_to(get_row(database, first), "eve@elsewhere.example", "Who is this?\n"),
    )

    flush(database, config)

    assert get_row(database, follow).status == "queued"


def test_a_plain_address_sequence_stops_on_its_reply(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    first, follow = sequence(database, config, "zed@solo.example")
    ingest(database, reply_to(get_row(database, first), "zed@solo.example", "No.\n"))

    flush(database, config)

    assert get_row(database, follow).status == "cancelled"
