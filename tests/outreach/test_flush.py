"""Flushing the outbox to a real SMTP server: delivery and every way it can fail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from inbox_crm.config import Config
from inbox_crm.contacts.models import ParticipantLink
from inbox_crm.outreach import suppression
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message, Participant, Thread
from tests.mailfactory import make_message
from tests.outreach.conftest import OWN, flush, get_row, ingest, queue_one
from tests.servers.smtp import SmtpServer


def test_due_mail_is_delivered_stored_and_threaded(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config)

    report = flush(database, config)

    assert (report.sent, report.failed, report.error) == (1, 0, None)
    (mail,) = smtp_server.received
    assert mail.mail_from == OWN
    assert mail.rcpt_tos == ("ann@client.example",)
    assert mail.message["Subject"] == "Hello Ann"
    assert mail.message.get_content() == "Dear Ann Lee,\r\n\r\nMaya Lin\r\n"
    row = get_row(database, row_id)
    assert row.status == "sent"
    assert mail.message_id == row.message_id
    assert row.smtp_reply == "250 2.0.0 OK queued as Q1"
    with database.session() as session:
        stored = session.get_one(Message, row.stored_message_id)
        assert (stored.direction, stored.kind) == ("outbound", "normal")
        assert stored.message_id == row.message_id
        assert stored.source.raw == mail.content
        assert row.thread_id is not None and stored.thread_id == row.thread_id


def test_sent_mail_is_linked_to_its_recipient_in_the_client_history(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    queue_one(database, config)

    flush(database, config)

    with database.session() as session:
        recipient = session.scalars(
            select(Participant).where(
                Participant.role == "to", Participant.address == "ann@client.example"
            )
        ).one()
        link = session.scalars(
            select(ParticipantLink).where(
                ParticipantLink.participant_id == recipient.id
            )
        ).one()
        assert link.contact is not None
        assert link.contact.primary_address == "ann@client.example"


def test_a_second_flush_sends_nothing_again(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    queue_one(database, config)
    flush(database, config)

    report = flush(database, config)

    assert report.sent == 0
    assert len(smtp_server.received) == 1


def test_a_follow_up_answers_the_last_message_of_its_thread(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    first = get_row(database, queue_one(database, config))
    flush(database, config)
    first = get_row(database, first.id)
    # As if sent an hour ago, and answered a minute ago.
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with database.session() as session, session.begin():
        session.execute(
            update(Message)
            .where(Message.id == first.stored_message_id)
            .values(date=hour_ago)
        )
        session.execute(
            update(Thread)
            .where(Thread.id == first.thread_id)
            .values(first_date=hour_ago, last_date=hour_ago)
        )
    reply = ingest(
        database,
        _reply(first.message_id, "Re: Hello Ann", "<ann-1@client.example>"),
    )
    assert reply.thread_id == first.thread_id

    follow_id = queue_one(database, config, "follow-up", thread_id=first.thread_id)
    # The contact's reply came before the follow-up was queued: it still goes.
    flush(database, config)

    follow = get_row(database, follow_id)
    assert follow.status == "sent"
    mail = smtp_server.received[-1]
    assert mail.message["Subject"] == "Re: Hello Ann"
    assert mail.message["In-Reply-To"] == "<ann-1@client.example>"
    assert mail.message["References"] == (
        f"<{first.message_id}> <ann-1@client.example>"
    )
    assert follow.thread_id == first.thread_id


def test_a_4xx_reply_is_retried_by_the_next_flush(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("data", "451 4.3.0 Try again later")
    row_id = queue_one(database, config)

    first = flush(database, config)
    row = get_row(database, row_id)
    assert (first.sent, first.retrying) == (0, 1)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.reason == "attempt 1: 451 4.3.0 Try again later"

    second = flush(database, config)

    assert second.sent == 1
    assert get_row(database, row_id).status == "sent"
    assert [m.message_id for m in smtp_server.received] == [row.message_id]


def test_a_4xx_to_rcpt_is_retried_too(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("rcpt", "450 4.2.1 Mailbox busy")
    row_id = queue_one(database, config)

    flush(database, config)
    flush(database, config)

    assert get_row(database, row_id).status == "sent"
    assert len(smtp_server.received) == 1


def test_the_wait_after_a_temporary_failure_doubles(
    database: Database, configure: Callable[..., Config], smtp_server: SmtpServer
) -> None:
    config = configure(outreach={"retry_delay": 60})
    smtp_server.plan("data", "451 busy", "451 busy")
    row_id = queue_one(database, config)

    flush(database, config)
    waits = [get_row(database, row_id).due_at - datetime.now(UTC)]
    _make_due(database, row_id)
    flush(database, config)
    waits.append(get_row(database, row_id).due_at - datetime.now(UTC))

    assert timedelta(seconds=55) < waits[0] <= timedelta(seconds=60)
    assert timedelta(seconds=115) < waits[1] <= timedelta(seconds=120)
    assert smtp_server.received == []


def test_temporary_failures_end_after_max_attempts(
    database: Database, configure: Callable[..., Config], smtp_server: SmtpServer
) -> None:
    config = configure(outreach={"max_attempts": 2})
    smtp_server.plan("data", "421 4.7.0 Too busy", "452 4.3.1 Out of space")
    row_id = queue_one(database, config)

    flush(database, config)
    last = flush(database, config)

    row = get_row(database, row_id)
    assert last.failed == 1
    assert row.status == "failed"
    assert row.reason == "gave up after 2 attempts: 452 4.3.1 Out of space"


def test_a_5xx_reply_fails_the_mail_with_the_servers_reason(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("data", "554 5.6.0 Message content rejected")
    row_id = queue_one(database, config)

    report = flush(database, config)
    again = flush(database, config)

    row = get_row(database, row_id)
    assert (report.failed, again.sent) == (1, 0)
    assert row.status == "failed"
    assert row.reason == "554 5.6.0 Message content rejected"
    assert smtp_server.received == []


def test_an_unknown_user_fails_and_is_suppressed(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("rcpt", "550 5.1.1 <ann@client.example>: User unknown")
    row_id = queue_one(database, config)

    flush(database, config)

    assert get_row(database, row_id).status == "failed"
    with database.session() as session:
        entry = suppression.active(session, "ann@client.example")
        assert entry is not None
        assert (entry.reason, entry.outbox_id) == ("bounced", row_id)


def test_a_drop_during_data_is_in_doubt_and_never_sent_again(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("data", "drop")
    row_id = queue_one(database, config)

    report = flush(database, config)
    later = flush(database, config)

    row = get_row(database, row_id)
    assert (report.in_doubt, later.sent) == (1, 0)
    assert row.status == "in_doubt"
    assert row.raw is not None and row.data_at is not None
    assert "outbox retry --in-doubt" in (row.reason or "")
    assert smtp_server.received == []


def test_a_drop_before_data_is_retried(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("rcpt", "drop")
    row_id = queue_one(database, config)

    first = flush(database, config)
    second = flush(database, config)

    assert (first.retrying, second.sent) == (1, 1)
    assert get_row(database, row_id).status == "sent"
    assert len(smtp_server.received) == 1


def test_one_connection_carries_many_mails(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    for number in range(5):
        queue_one(database, config, to=f"client{number}@client.example")

    report = flush(database, config)

    assert report.sent == 5
    assert smtp_server.handler.sessions == 1


def test_mail_due_later_waits_for_its_time(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    later = queue_one(database, config, send_at=datetime.now(UTC) + timedelta(hours=2))
    now = queue_one(database, config, to="bo@client.example")

    flush(database, config)

    assert get_row(database, later).status == "queued"
    assert get_row(database, now).status == "sent"
    _make_due(database, later)
    flush(database, config)
    assert get_row(database, later).status == "sent"


def test_an_unreachable_server_leaves_the_mail_queued(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config)
    smtp_server.stop()

    report = flush(database, config)

    row = get_row(database, row_id)
    assert report.error is not None and "cannot use 127.0.0.1" in report.error
    assert (row.status, row.attempts) == ("queued", 0)


def _make_due(database: Database, row_id: int) -> None:
    with database.session() as session, session.begin():
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def _reply(parent_id: str, subject: str, message_id: str) -> bytes:
    return make_message(
        sender="Ann Lee <ann@client.example>",
        to=f"Maya Lin <{OWN}>",
        subject=subject,
        body="Sounds good, tell me more.\n",
        message_id=message_id,
        date=datetime.now(UTC) - timedelta(minutes=1),
        in_reply_to=f"<{parent_id}>",
        references=f"<{parent_id}>",
    )
