"""The Sent folder on a real Dovecot: filing sent mail, resolving mail in doubt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inbox_crm.cli.main import cli
from inbox_crm.config import Config, load_config
from inbox_crm.storage.db import Database
from tests.outreach.conftest import (
    PASSWORD_ENV,
    flush,
    get_row,
    queue_one,
    write_config,
)
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer


@pytest.fixture
def account(imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch) -> ImapAccount:
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return imap_account


def configured(
    tmp_path: Path, db_url: str, smtp: SmtpServer, account: ImapAccount, copy: str
) -> Config:
    path = write_config(
        tmp_path,
        db_url,
        smtp,
        imap=account,
        smtp_settings={"sent_copy": copy},
        outreach={"in_doubt_wait": 0},
    )
    return load_config(path)


def sent_ids(account: ImapAccount) -> list[str]:
    """The Message-IDs in the account's Sent folder, read without setting flags."""
    client = account.connect()
    try:
        client.select("Sent", readonly=True)
        _, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        return [
            part[1].decode().split(":", 1)[1].strip().strip("<>")
            for part in data
            if isinstance(part, tuple)
        ]
    finally:
        client.logout()


def file_in_sent(account: ImapAccount) -> object:
    """What a server that files accepted mail itself does."""

    def file(raw: bytes) -> None:
        account.append(raw, "Sent", flags=["\\Seen"])

    return file


def test_sent_mail_is_filed_in_sent_once(
    database: Database,
    db_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    account: ImapAccount,
) -> None:
    config = configured(tmp_path, db_url, smtp_server, account, "append")
    row_id = queue_one(database, config)

    flush(database, config)
    flush(database, config)

    row = get_row(database, row_id)
    assert (row.status, row.filed_at is not None) == ("sent", True)
    assert sent_ids(account) == [row.message_id]
    client = account.connect()
    try:
        client.select("Sent", readonly=True)
        _, flags = client.fetch("1", "(FLAGS)")
        assert b"\\Seen" in flags[0]
    finally:
        client.logout()


def test_mail_the_server_took_before_hanging_up_is_found_in_sent(
    database: Database,
    db_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    account: ImapAccount,
) -> None:
    config = configured(tmp_path, db_url, smtp_server, account, "server")
    smtp_server.handler.file_to = file_in_sent(account)  # type: ignore[assignment]
    smtp_server.plan("data", "accept-drop")
    row_id = queue_one(database, config)

    first = flush(database, config)
    assert get_row(database, row_id).status == "in_doubt"
    second = flush(database, config)

    row = get_row(database, row_id)
    assert (first.in_doubt, second.settled.resolved, second.sent) == (1, 1, 0)
    assert (row.status, row.smtp_reply) == ("sent", "found in the Sent folder")
    assert row.stored_message_id is not None
    assert [m.message_id for m in smtp_server.received] == [row.message_id]


def test_mail_missing_from_a_server_filed_sent_folder_goes_again(
    database: Database,
    db_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    account: ImapAccount,
) -> None:
    config = configured(tmp_path, db_url, smtp_server, account, "server")
    smtp_server.handler.file_to = file_in_sent(account)  # type: ignore[assignment]
    smtp_server.plan("data", "drop")
    row_id = queue_one(database, config)

    flush(database, config)
    second = flush(database, config)

    row = get_row(database, row_id)
    assert (second.settled.requeued, second.sent) == (1, 1)
    assert row.status == "sent"
    assert [m.message_id for m in smtp_server.received] == [row.message_id]
    assert sent_ids(account) == [row.message_id]


def test_without_server_filing_a_missing_mail_stays_in_doubt(
    database: Database,
    db_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    account: ImapAccount,
) -> None:
    config = configured(tmp_path, db_url, smtp_server, account, "append")
    smtp_server.plan("data", "drop")
    row_id = queue_one(database, config)

    flush(database, config)
    second = flush(database, config)

    row = get_row(database, row_id)
    assert (second.settled.unresolved, second.sent) == (1, 0)
    assert row.status == "in_doubt"
    assert row.reason is not None and row.reason.startswith("not found in the Sent")
    assert smtp_server.received == []
    assert sent_ids(account) == []


def test_a_sent_folder_that_cannot_be_reached_does_not_stop_sending(
    database: Database,
    db_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = configured(tmp_path, db_url, smtp_server, account, "append")
    row_id = queue_one(database, config)
    monkeypatch.setenv(PASSWORD_ENV, "wrong")

    flush(database, config)
    assert (get_row(database, row_id).status, get_row(database, row_id).filed_at) == (
        "sent",
        None,
    )

    monkeypatch.setenv(PASSWORD_ENV, account.password)
    later = flush(database, config)
    assert later.settled.filed == 1
    assert sent_ids(account) == [get_row(database, row_id).message_id]


def show(config: Config, message_id: int) -> tuple[str, dict[str, object]]:
    """`messages show` of a stored message: its text and its JSON record."""
    runner = CliRunner()
    words = ["--config", str(config.path), "messages", "show", str(message_id)]
    text = runner.invoke(cli, words, env={"COLUMNS": "200"})
    record = runner.invoke(cli, [*words, "--format", "json"])
    assert text.exit_code == 0 and record.exit_code == 0, text.output
    return text.stdout, json.loads(record.stdout)


@pytest.mark.parametrize("how", ["filed", "found after doubt", "filed later"])
def test_mail_the_outbox_put_in_sent_shows_there_as_sent_by_inbox_crm(
    database: Database,
    db_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    copy = "server" if how == "found after doubt" else "append"
    config = configured(tmp_path, db_url, smtp_server, account, copy)
    if how == "found after doubt":
        smtp_server.handler.file_to = file_in_sent(account)  # type: ignore[assignment]
        smtp_server.plan("data", "accept-drop")
    row_id = queue_one(database, config)
    if how == "filed later":
        monkeypatch.setenv(PASSWORD_ENV, "wrong")

    flush(database, config)
    monkeypatch.setenv(PASSWORD_ENV, account.password)
    flush(database, config)

    row = get_row(database, row_id)
    assert row.status == "sent" and row.stored_message_id is not None
    text, record = show(config, row.stored_message_id)
    assert (record["folders"], record["outbox_id"]) == (["Sent"], row_id)
    assert f"(Sent; sent by inbox-crm, outbox {row_id})" in text
    words = ["--config", str(config.path), "contacts", "show", "ann@client.example"]
    card = CliRunner().invoke(cli, [*words, "--format", "json"])
    assert card.exit_code == 0, card.output
    [entry] = json.loads(card.stdout)["timeline"]
    assert (entry["message"], entry["outbox_id"]) == (row.stored_message_id, row_id)
