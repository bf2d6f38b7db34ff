"""A digest is queued once per user and day, skipped when empty, and sent as mail."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from inbox_crm.cli.main import cli
from inbox_crm.config import Config
from inbox_crm.digest.jobs import DigestWorker
from inbox_crm.digest.models import QUEUED, SKIPPED, DigestRecord
from inbox_crm.digest.period import due_day
from inbox_crm.digest.queue import queue_digest
from inbox_crm.outreach.flush import Flusher
from inbox_crm.outreach.models import DIGEST, OutboxRow
from inbox_crm.storage.models import Message
from tests.digest.conftest import DigestWorld
from tests.mailfactory import make_message
from tests.servers.smtp import SmtpServer


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "smtp").start()
    yield server
    server.stop()


def news(world: DigestWorld) -> None:
    world.contact("Ann Client", "ann@client.example", "Client Co", "client.example")
    world.add(
        make_message(
            message_id="<news-1@client.example>",
            subject="Website",
            date=datetime.now(UTC) - timedelta(minutes=5),
        )
    )


def records(world: DigestWorld) -> list[DigestRecord]:
    return world.rows(DigestRecord)


def digests(world: DigestWorld) -> list[OutboxRow]:
    return world.rows(OutboxRow, kind=DIGEST)


def test_a_day_is_queued_once_whoever_asks_and_however_often(
    world: DigestWorld,
) -> None:
    news(world)
    config = world.config
    worker = DigestWorker(config, world.database, config.user("maya"))
    now = datetime.now(UTC)

    first = worker.queue(now)
    again = worker.queue(now + timedelta(minutes=1))
    with world.database.session() as session, session.begin():
        by_hand = queue_digest(
            session, config, config.user("maya"), first.record.day, now
        )

    assert first.created and not again.created and not by_hand.created
    [record] = records(world)
    [row] = digests(world)
    assert (record.status, record.outbox_id) == (QUEUED, row.id)
    assert row.key == f"digest:maya:{record.day.isoformat()}"
    assert (row.to_address, row.from_address) == (
        "maya@agency.example",
        "maya@agency.example",
    )
    assert row.template == "digest" and row.contact_id is None


def test_an_empty_digest_is_skipped_unless_asked_for(world: DigestWorld) -> None:
    now = datetime.now(UTC)
    config = world.config
    DigestWorker(config, world.database, config.user("maya")).queue(now)

    world.settings["users"]["maya"]["digest_skip_empty"] = False
    tomorrow = now + timedelta(days=1)
    config = world.config
    DigestWorker(config, world.database, config.user("maya")).queue(tomorrow)

    skipped, sent = records(world)
    assert (skipped.status, skipped.outbox_id) == (SKIPPED, None)
    assert sent.status == QUEUED
    assert [row.id for row in digests(world)] == [sent.outbox_id]
    # The next digest starts where the skipped one ended: nothing in between.
    assert sent.period_start == skipped.period_end


def send(world: DigestWorld, config: Config, row_id: int) -> None:
    flusher = Flusher(world.database, config, config.mailbox("work"), only={row_id})
    report = asyncio.run(flusher.run())
    assert report.sent == 1, report.summary()


def test_the_digest_goes_out_as_automatic_mail_without_an_unsubscribe_link(
    world: DigestWorld, smtp_server: SmtpServer
) -> None:
    world.settings["mailboxes"]["work"]["smtp"]["port"] = smtp_server.port
    news(world)
    config = world.config
    queued = DigestWorker(config, world.database, config.user("maya")).queue(
        datetime.now(UTC)
    )
    assert queued.record.outbox_id is not None

    send(world, config, queued.record.outbox_id)

    [mail] = smtp_server.received
    message = mail.message
    assert mail.rcpt_tos == ("maya@agency.example",)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert "Website" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # Stored as an automatic message: no rule acts on it, no thread waits on it.
    with world.database.session() as session:
        stored = session.scalars(
            select(Message).where(Message.message_id == mail.message_id)
        ).one()
    assert (stored.direction, stored.kind) == ("outbound", "auto_reply")


def test_digest_preview_and_send_on_the_command_line(
    world: DigestWorld, smtp_server: SmtpServer
) -> None:
    world.settings["mailboxes"]["work"]["smtp"]["port"] = smtp_server.port
    news(world)
    config = world.config
    path = write_toml(world)
    day = due_day(config.user("maya"), datetime.now(UTC)).isoformat()
    runner = CliRunner()

    def digest(*words: str) -> Result:
        return runner.invoke(cli, ["--config", str(path), "digest", *words])

    text = digest("preview", "--user", "maya")
    html = digest("preview", "--user", "maya@agency.example", "--html")
    sent = digest("send", "--user", "maya")
    again = digest("send", "--user", "maya")
    unknown = digest("preview", "--user", "zoe")
    at = digest("send", "--user", "maya", "--at", "2026-12-01 08:00")

    assert text.exit_code == 0, text.output
    assert text.output.startswith("To: maya@agency.example\nSubject: Maya's digest")
    assert "Ann Client <ann@client.example>" in text.output
    assert html.exit_code == 0 and html.output.startswith("<!DOCTYPE html>")
    assert sent.exit_code == 0, sent.output
    assert f"digest of maya for {day} sent to maya@agency.example" in sent.output
    assert again.exit_code == 0, again.output
    assert f"digest of maya for {day} was already sent on " in again.output
    assert "to maya@agency.example (outbox 1)" in again.output
    assert f"--date {day} --again` sends it once more" in again.output
    assert len(smtp_server.received) == 1
    assert unknown.exit_code != 0
    assert "no user named or addressed 'zoe'" in str(unknown.exception)
    assert at.exit_code == 2 and "choose the day with --date DAY" in at.output


def test_digest_send_again_sends_one_more_copy_of_a_day_sent_already(
    world: DigestWorld, smtp_server: SmtpServer
) -> None:
    world.settings["mailboxes"]["work"]["smtp"]["port"] = smtp_server.port
    news(world)
    path = write_toml(world)
    runner = CliRunner()

    def digest(*words: str) -> Result:
        return runner.invoke(cli, ["--config", str(path), "digest", *words])

    first = digest("send", "--user", "maya")
    copy = digest("send", "--user", "maya", "--again")
    repeat = digest("send", "--user", "maya")

    assert first.exit_code == 0 and copy.exit_code == 0, copy.output
    assert "another copy of the digest of maya for" in copy.output
    assert "sent to maya@agency.example (outbox 2)" in copy.output
    assert "was already sent on" in repeat.output and "(outbox 1)" in repeat.output
    assert len(smtp_server.received) == 2
    [record] = records(world)
    assert record.outbox_id == 1


def write_toml(world: DigestWorld) -> Path:
    """The world's settings as a configuration file, for the command line."""
    path = world.root / "inbox-crm.toml"
    path.write_text("\n".join(toml_lines(world.settings, "")), encoding="utf-8")
    return path


def toml_lines(table: dict[str, Any], name: str) -> list[str]:
    lines = [f"[{name}]"] if name else []
    tables = {}
    for key, value in table.items():
        if isinstance(value, dict):
            tables[key] = value
        elif isinstance(value, datetime):
            lines.append(f"{key} = {value.isoformat()}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    for key, value in tables.items():
        lines += toml_lines(value, f"{name}.{key}" if name else key)
    return lines
