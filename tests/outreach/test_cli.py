"""The outreach, outbox and suppression commands, end to end on real servers."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inbox_crm.cli.main import cli
from inbox_crm.errors import OutreachRefused, TemplateError
from inbox_crm.outreach.models import SENDING, OutboxRow
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import utcnow
from tests.outreach.conftest import write_config
from tests.servers.smtp import SmtpServer


@pytest.fixture
def config_path(
    tmp_path: Path, db_url: str, smtp_server: SmtpServer, database: Database
) -> Path:
    return write_config(tmp_path, db_url, smtp_server)


def run(config: Path, *arguments: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "-q", *arguments])


def lines(result: Result) -> list[dict[str, object]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_preview_shows_the_mail_and_queues_nothing(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    result = run(
        config_path,
        "outreach",
        "preview",
        "hello",
        "--to",
        "Ann Lee <ann@client.example>",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        "From: Maya Lin <maya@agency.example>",
        "To: Ann Lee <ann@client.example>",
        "Subject: Hello Ann",
        "",
    ]
    assert "Dear Ann Lee," in result.stdout
    assert lines(run(config_path, "outbox", "list", "--format", "json")) == []
    assert smtp_server.received == []


def test_preview_raw_is_the_mail_as_sent(config_path: Path) -> None:
    result = run(
        config_path,
        "outreach",
        "preview",
        "hello",
        "--to",
        "ann@client.example",
        "--raw",
    )

    assert result.exit_code == 0
    assert b"List-Unsubscribe: <mailto:maya@agency.example?subject=unsubscribe%20" in (
        result.stdout_bytes
    )


def test_preview_of_a_template_missing_a_value_fails(config_path: Path) -> None:
    result = run(
        config_path, "outreach", "preview", "follow-up", "--to", "ann@client.example"
    )

    assert isinstance(result.exception, TemplateError)
    assert "follow-up/subject.txt:1" in str(result.exception)


def test_send_now_delivers_and_the_outbox_shows_it(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    result = run(config_path, "outreach", "send", "hello", "--to", "ann@client.example")

    assert result.exit_code == 0, result.output
    assert result.stdout == "outreach 1 sent to ann@client.example\n"
    assert len(smtp_server.received) == 1
    (record,) = lines(run(config_path, "outbox", "list", "--format", "json"))
    assert (record["id"], record["status"], record["template"]) == (1, "sent", "hello")
    assert record["message_id"] == smtp_server.received[0].message_id
    (shown,) = lines(run(config_path, "outbox", "show", "1", "--format", "json"))
    assert shown["text"] == "Dear client,\n\nMaya Lin\n"


def test_send_later_queues_and_cancel_stops_it(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    queued = run(
        config_path,
        "outreach",
        "send",
        "hello",
        "--to",
        "ann@client.example",
        "--at",
        "+3d",
    )
    cancelled = run(config_path, "outbox", "cancel", "1")
    again = run(config_path, "outbox", "cancel", "1")

    assert queued.exit_code == 0 and "queued for" in queued.stdout
    assert cancelled.stdout == "outreach 1 cancelled\n"
    assert again.exit_code == 1 and "cancelled already" in again.output
    assert run(config_path, "outbox", "flush").stdout.startswith("work: 0 sent")
    assert smtp_server.received == []


def test_a_failed_send_exits_1_and_retry_sends_it(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("data", "554 5.7.1 Rejected for policy reasons")

    failed = run(config_path, "outreach", "send", "hello", "--to", "ann@client.example")
    retried = run(config_path, "outbox", "retry", "1")
    flushed = run(config_path, "outbox", "flush")

    assert failed.exit_code == 1
    assert "is failed: 554 5.7.1 Rejected for policy reasons" in failed.stdout
    # Retry sends it at once: the flush after it has nothing left to send.
    assert retried.exit_code == 0, retried.output
    assert retried.stdout == (
        "outreach 1 queued again\noutreach 1 sent to ann@client.example\n"
    )
    assert flushed.stdout.startswith("work: 0 sent")
    assert len(smtp_server.received) == 1


def test_retry_queue_only_leaves_the_sending_to_the_next_flush(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("data", "554 5.7.1 Rejected for policy reasons")
    run(config_path, "outreach", "send", "hello", "--to", "ann@client.example")

    retried = run(config_path, "outbox", "retry", "--queue-only", "1")
    (waiting,) = lines(run(config_path, "outbox", "list", "--format", "json"))
    flushed = run(config_path, "outbox", "flush")

    assert retried.stdout == "outreach 1 queued again\n"
    assert waiting["status"] == "queued"
    assert flushed.stdout.startswith("work: 1 sent")
    assert len(smtp_server.received) == 1


def test_a_retry_that_fails_again_exits_1(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("data", "554 5.7.1 Rejected for policy reasons")
    run(config_path, "outreach", "send", "hello", "--to", "ann@client.example")
    smtp_server.plan("data", "554 5.7.1 Rejected again")

    retried = run(config_path, "outbox", "retry", "1")

    assert retried.exit_code == 1
    assert "outreach 1 to ann@client.example is failed: 554 5.7.1" in retried.stdout


def test_mail_in_doubt_is_retried_only_when_told(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.plan("data", "drop")
    run(config_path, "outreach", "send", "hello", "--to", "ann@client.example")

    refused = run(config_path, "outbox", "retry", "1")
    listed = run(config_path, "outbox", "list", "--status", "in_doubt")
    forced = run(config_path, "outbox", "retry", "--in-doubt", "1")
    run(config_path, "outbox", "flush")

    assert refused.exit_code == 1 and "may deliver it twice" in refused.output
    assert "1 in doubt" in listed.stderr
    assert forced.exit_code == 0
    assert len(smtp_server.received) == 1


def test_flush_list_and_status_count_the_same_mail_in_doubt(
    config_path: Path, smtp_server: SmtpServer, database: Database
) -> None:
    smtp_server.plan("data", "drop")
    run(config_path, "outreach", "send", "hello", "--to", "ann@client.example")
    run(config_path, "outreach", "send", "hello", "--to", "bob@client.example")
    # The second one's sender was killed after offering DATA: still `sending`.
    with database.session() as session, session.begin():
        row = session.get_one(OutboxRow, 2)
        row.status, row.data_at = SENDING, row.last_attempt_at or utcnow()
        row.claimed_by, row.claimed_at = "gone:1:x", utcnow() - timedelta(days=1)

    status = json.loads(run(config_path, "status", "--format", "json").stdout)
    listed = CliRunner().invoke(
        cli, ["--config", str(config_path), "outbox", "list"], env={"COLUMNS": "250"}
    )
    flushed = run(config_path, "outbox", "flush")
    after = json.loads(run(config_path, "status", "--format", "json").stdout)

    assert (status["queues"]["outbox"], status["queues"]["outbox_in_doubt"]) == (2, 2)
    assert "sending (in doubt)" in listed.stdout
    assert "2 in doubt" in listed.stderr
    assert "2 in doubt" in flushed.stdout
    assert (after["queues"]["outbox"], after["queues"]["outbox_in_doubt"]) == (2, 2)


def test_suppression_add_list_remove(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    added = run(
        config_path,
        "suppression",
        "add",
        "Ann@Client.example",
        "--note",
        "asked by phone",
    )
    (entry,) = lines(run(config_path, "suppression", "list", "--format", "json"))
    refused = run(
        config_path, "outreach", "send", "hello", "--to", "ann@client.example"
    )
    removed = run(config_path, "suppression", "remove", "ann@client.example")
    history = lines(
        run(config_path, "suppression", "list", "--removed", "--format", "json")
    )

    assert added.stdout == "suppressed ann@client.example\n"
    assert (entry["address"], entry["reason"], entry["detail"]) == (
        "ann@client.example",
        "manual",
        "asked by phone",
    )
    assert isinstance(refused.exception, OutreachRefused)
    assert removed.exit_code == 0
    assert history[0]["removed_at"] is not None
    assert lines(run(config_path, "suppression", "list", "--format", "json")) == []


def test_a_one_click_token_unsubscribes_the_recipient(
    config_path: Path, smtp_server: SmtpServer
) -> None:
    run(config_path, "outreach", "send", "hello", "--to", "ann@client.example")
    token = smtp_server.received[0].message["List-Unsubscribe"].split("%20")[1][:22]

    result = run(config_path, "suppression", "add", "--token", token)

    assert result.stdout == "suppressed ann@client.example (unsubscribed)\n"
    (entry,) = lines(run(config_path, "suppression", "list", "--format", "json"))
    assert (entry["reason"], entry["outbox_id"]) == ("unsubscribed", 1)


def test_templates_are_listed(config_path: Path) -> None:
    assert lines(run(config_path, "outreach", "templates", "--format", "json")) == [
        {"name": "follow-up"},
        {"name": "hello"},
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["outreach", "--help"],
        ["outreach", "preview", "--help"],
        ["outreach", "send", "--help"],
        ["outreach", "templates", "--help"],
        ["outbox", "--help"],
        ["outbox", "list", "--help"],
        ["outbox", "show", "--help"],
        ["outbox", "retry", "--help"],
        ["outbox", "cancel", "--help"],
        ["outbox", "flush", "--help"],
        ["suppression", "list", "--help"],
        ["suppression", "add", "--help"],
        ["suppression", "remove", "--help"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, command)

    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
