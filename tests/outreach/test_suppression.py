"""Suppressed, bounced, unsubscribed and role addresses never get automated mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_crm.config import Config
from inbox_crm.errors import OutreachRefused
from inbox_crm.outreach import suppression
from inbox_crm.outreach.models import Suppression
from inbox_crm.storage.db import Database
from tests.mailfactory import make_message
from tests.outreach.conftest import OWN, flush, get_row, ingest, queue_one, reply_to
from tests.servers.smtp import SmtpServer

BOUNCE = (Path(__file__).parent / "eml" / "bounce_user_unknown.eml").read_bytes()


def suppressed(database: Database) -> dict[str, str]:
    with database.session() as session, session.begin():
        suppression.sweep(session)
        return {e.address: e.reason for e in suppression.entries(session)}


def test_a_suppressed_address_is_refused_until_removed(
    database: Database, config: Config
) -> None:
    with database.session() as session, session.begin():
        suppression.suppress(session, "Ann@Client.example", "manual", "asked by phone")

    with pytest.raises(OutreachRefused, match=r"ann@client\.example is suppressed"):
        queue_one(database, config)

    with database.session() as session, session.begin():
        assert suppression.unsuppress(session, "ann@client.example") is not None
    assert get_row(database, queue_one(database, config)).status == "queued"


@pytest.mark.parametrize(
    ("suppressed_as", "mailed_as"),
    [
        ("ann@client.example", "Ann Lee <ann+news@client.example>"),
        ("ann+news@client.example", "Ann Lee <ann@client.example>"),
        ("a.n.n@googlemail.com", "Ann Lee <ann@gmail.com>"),
    ],
)
def test_every_variant_of_a_suppressed_mailbox_is_refused(
    database: Database, config: Config, suppressed_as: str, mailed_as: str
) -> None:
    with database.session() as session, session.begin():
        suppression.suppress(session, suppressed_as)

    with pytest.raises(OutreachRefused, match="is suppressed"):
        queue_one(database, config, to=mailed_as)


def test_a_variant_suppressed_after_queueing_is_not_mailed(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config, to="Ann Lee <ann+news@client.example>")
    with database.session() as session, session.begin():
        suppression.suppress(session, "ann@client.example")

    flush(database, config)

    assert get_row(database, row_id).status == "cancelled"
    assert smtp_server.received == []


def test_an_address_suppressed_after_queueing_is_not_mailed(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config)
    with database.session() as session, session.begin():
        suppression.suppress(session, "ann@client.example")

    report = flush(database, config)

    row = get_row(database, row_id)
    assert (report.cancelled, row.status) == (1, "cancelled")
    assert row.reason == "suppressed since it was queued"
    assert smtp_server.received == []


def test_hard_bounces_suppress_but_policy_and_delays_do_not(
    database: Database, config: Config
) -> None:
    ingest(database, BOUNCE)

    assert suppressed(database) == {"gone@client.example": "bounced"}
    with pytest.raises(OutreachRefused, match=r"bounced: 5\.1\.1"):
        queue_one(database, config, to="gone@client.example")
    queue_one(database, config, to="strict@client.example")
    queue_one(database, config, to="slow@client.example")


def test_a_lifted_bounce_stays_lifted_until_a_new_one(
    database: Database, config: Config
) -> None:
    ingest(database, BOUNCE)
    suppressed(database)
    with database.session() as session, session.begin():
        suppression.unsuppress(session, "gone@client.example")

    assert suppressed(database) == {}
    queue_one(database, config, to="gone@client.example")

    ingest(database, BOUNCE.replace(b"<bounce-1@", b"<bounce-2@"))
    assert suppressed(database) == {"gone@client.example": "bounced"}


def test_an_unsubscribe_reply_suppresses_the_sender(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config)
    flush(database, config)
    ingest(
        database,
        reply_to(
            get_row(database, row_id),
            "ann@client.example",
            "Unsubscribe!\n\n> Dear Ann Lee,\n",
        ),
    )

    assert suppressed(database) == {"ann@client.example": "unsubscribed"}
    with pytest.raises(OutreachRefused, match="unsubscribed"):
        queue_one(database, config)


def test_an_ordinary_reply_does_not_unsubscribe(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config)
    flush(database, config)
    body = "Please don't stop, tell me more. How do I unsubscribe others?\n"
    ingest(database, reply_to(get_row(database, row_id), "ann@client.example", body))

    assert suppressed(database) == {}


def test_the_mailto_request_unsubscribes_whoever_was_mailed(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row = get_row(database, queue_one(database, config))
    flush(database, config)
    # What a mail client sends for the List-Unsubscribe mailto, from an alias.
    request = make_message(
        sender="ann.lee@home.example",
        to=OWN,
        subject=f"unsubscribe {row.unsubscribe_token}",
        body="This message was sent automatically to unsubscribe.\n",
        message_id="<unsub-1@home.example>",
    )
    ingest(database, request)

    assert suppressed(database) == {"ann@client.example": "unsubscribed"}
    with database.session() as session:
        entry = session.query(Suppression).one()
        assert entry.outbox_id == row.id


def test_an_auto_reply_saying_unsubscribe_does_not_count(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config)
    flush(database, config)
    auto = reply_to(
        get_row(database, row_id),
        "ann@client.example",
        "unsubscribe\n",
        **{"Auto-Submitted": "auto-replied"},
    )
    ingest(database, auto)

    assert suppressed(database) == {}


def test_rules_never_mail_role_addresses(database: Database, config: Config) -> None:
    for address in (
        "info@client.example",
        "no-reply@client.example",
        "postmaster@client.example",
    ):
        with pytest.raises(OutreachRefused, match="role address"):
            queue_one(database, config, to=address, rule="welcome")

    # A person may write to one.
    assert get_row(database, queue_one(database, config, to="info@client.example"))


def test_rules_never_answer_an_auto_reply(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config)
    flush(database, config)
    row = get_row(database, row_id)
    ingest(
        database,
        reply_to(
            row,
            "ann@client.example",
            "I am away until Monday.\n",
            **{"Auto-Submitted": "auto-replied"},
        ),
    )

    with pytest.raises(OutreachRefused, match="automatic auto-reply"):
        queue_one(database, config, "follow-up", thread_id=row.thread_id, rule="nudge")
    # A follow-up a person asks for goes.
    queue_one(database, config, "follow-up", thread_id=row.thread_id)


def test_a_removed_entry_keeps_its_history(database: Database) -> None:
    with database.session() as session, session.begin():
        suppression.suppress(session, "ann@client.example", "manual", "by phone")
        suppression.unsuppress(session, "ann@client.example")
    with database.session() as session:
        (entry,) = suppression.entries(session, removed=True)
        assert (entry.address, entry.detail) == ("ann@client.example", "by phone")
        assert entry.removed_at is not None
        assert suppression.entries(session) == []
