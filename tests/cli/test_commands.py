"""The ingestion commands as a user runs them: a real process, real servers."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inbox_crm.agent.leases import claim, leases, release
from inbox_crm.storage.db import open_database
from tests.mailfactory import make_message
from tests.servers.dovecot import ImapAccount

PASSWORD_ENV = "INBOX_CRM_CLI_TEST_PASSWORD"
OWN = "maya@agency.example"
EML = Path(__file__).parent.parent / "mail" / "eml"


def run(
    config: Path, *args: str, env: dict[str, str] | None = None, columns: int = 80
) -> subprocess.CompletedProcess[str]:
    """Run `inbox-crm --config CONFIG ARGS...` and return what it printed."""
    environment = dict(os.environ, COLUMNS=str(columns), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "inbox_crm", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def write_config(
    path: Path, db_url: str, account: ImapAccount | None = None, **settings: str
) -> Path:
    """A config for `account`; `settings` are TOML values that add or replace."""
    lines = ["[database]", f'url = "{db_url}"', ""]
    if account is not None:
        mailbox = {
            "host": f'"{account.host}"',
            "port": str(account.port),
            "security": '"none"',
            "username": f'"{account.user}"',
            "password_env": f'"{PASSWORD_ENV}"',
            "addresses": f'["{OWN}"]',
        }
        mailbox.update(settings)
        lines.append("[mailboxes.work]")
        lines += [f"{key} = {value}" for key, value in mailbox.items()]
    config = path / "inbox-crm.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@pytest.fixture
def mail_folder(tmp_path: Path) -> Path:
    """Three messages: one from a client, our reply to it, and one not mail."""
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(make_message())
    reply = make_message(
        sender=f"Maya <{OWN}>",
        to="Ann Client <ann@client.example>",
        subject="Re: Project kickoff",
        message_id="<reply-1@agency.example>",
        in_reply_to="<kickoff-1@client.example>",
        date=datetime(2026, 11, 2, 10, 5, tzinfo=UTC),
    )
    (folder / "2.eml").write_bytes(reply)
    (folder / "3.eml").write_bytes(b"\x00\x01 a core dump, not a mail\n")
    return folder


def test_init_writes_a_config_that_names_what_to_do_next(tmp_path: Path) -> None:
    target = tmp_path / "crm"

    result = run(tmp_path / "unused.toml", "init", str(target))

    assert result.returncode == 0, result.stderr
    assert (target / "inbox-crm.toml").is_file()
    assert (target / "rules").is_dir()
    assert (target / "templates").is_dir()
    assert "sync" in result.stdout
    again = run(tmp_path / "unused.toml", "init", str(target))
    assert again.returncode != 0
    assert "--force" in again.stderr


def test_a_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    result = run(tmp_path / "absent.toml", "messages", "list")

    assert result.returncode == 2
    assert "absent.toml" in result.stderr
    assert "inbox-crm init" in result.stderr


def test_import_list_export_and_quarantine(
    tmp_path: Path, db_url: str, mail_folder: Path
) -> None:
    config = write_config(tmp_path, db_url)

    imported = run(config, "import", str(mail_folder), "--address", OWN)
    again = run(config, "import", str(mail_folder), "--address", OWN)
    listed = run(config, "messages", "list", "--format", "json")
    exported = run(config, "export", "messages")

    assert imported.returncode == 0, imported.stderr
    assert "2 new, 0 already stored, 1 quarantined" in imported.stdout
    assert "0 new, 3 already stored, 0 quarantined" in again.stdout
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    newest_first = sorted(records, key=lambda record: record["date"], reverse=True)
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [
        record["id"] for record in newest_first
    ]
    by_subject = {record["subject"]: record for record in records}
    ask, answer = by_subject["Project kickoff"], by_subject["Re: Project kickoff"]
    assert ask["direction"] == "inbound"
    assert answer["direction"] == "outbound"
    assert answer["thread_id"] == ask["thread_id"]
    assert answer["in_reply_to"] == "kickoff-1@client.example"
    sender = ask["from"]
    assert (sender["address"], sender["name"]) == ("ann@client.example", "Ann Client")
    # She wrote to us personally, so she became a contact at her company.
    assert sender["contact"]["address"] == "ann@client.example"
    assert sender["company"]["name"] == "Client"
    assert sender["match"]["method"] == "exact"
    assert ask["date"] == "2026-11-02T09:30:00Z"
    (bad,) = [record for record in records if record["quarantined"]]

    quarantined = run(config, "quarantine", "list", "--format", "json")
    shown = run(config, "quarantine", "show", str(bad["id"]))
    retried = run(config, "quarantine", "retry")

    (entry,) = [json.loads(line) for line in quarantined.stdout.splitlines()]
    assert entry["id"] == bad["id"]
    assert "not an email" in entry["reason"]
    assert shown.stdout == "\x00\x01 a core dump, not a mail\n"
    assert "0 released from quarantine, 1 still quarantined" in retried.stdout


def test_message_table_fits_the_terminal(
    tmp_path: Path, db_url: str, mail_folder: Path
) -> None:
    config = write_config(tmp_path, db_url)
    run(config, "import", str(mail_folder))

    for columns in (50, 80, 120):
        table = run(config, "messages", "list", columns=columns)

        lines = table.stdout.splitlines()
        assert max(len(line) for line in lines) <= columns
        if columns >= 80:
            # Ids and dates are never cut, so a row can always be looked up.
            assert any("│ 1  │ 2026-11-02 09:30 │" in line for line in lines)


def test_sync_reports_each_folder_and_fails_on_a_missing_one(
    tmp_path: Path, db_url: str, account: ImapAccount
) -> None:
    account.append(make_message())
    account.append(
        make_message(sender=f"Maya <{OWN}>", message_id="<sent-1@agency.example>"),
        "Sent",
    )
    config = write_config(
        tmp_path, db_url, account, folders='["INBOX", "\\\\Sent", "Missing"]'
    )
    env = {PASSWORD_ENV: account.password}

    first = run(config, "sync", env=env)
    second = run(config, "sync", env=env)
    exported = run(config, "export", "messages")

    assert first.returncode == 1
    assert "work/INBOX: 1 fetched, 1 new" in first.stdout
    assert "work/Sent: 1 fetched, 1 new" in first.stdout
    assert "work/Missing" in first.stdout
    assert "FAILED" in first.stdout
    assert "work/INBOX: 0 fetched, 0 new" in second.stdout
    directions = sorted(
        json.loads(line)["direction"] for line in exported.stdout.splitlines()
    )
    assert directions == ["inbound", "outbound"]


def test_a_quiet_sync_prints_only_the_failed_folders(
    tmp_path: Path, db_url: str, account: ImapAccount
) -> None:
    account.append(make_message())
    config = write_config(tmp_path, db_url, account, folders='["INBOX", "Missing"]')

    result = run(config, "-q", "sync", env={PASSWORD_ENV: account.password})

    assert result.returncode == 1
    assert result.stdout == ""
    assert "work/INBOX" not in result.stderr
    assert "work/Missing" in result.stderr and "FAILED" in result.stderr


def test_sync_without_the_secret_names_the_variable(
    tmp_path: Path, db_url: str, account: ImapAccount
) -> None:
    config = write_config(tmp_path, db_url, account)
    env = dict(os.environ)
    env.pop(PASSWORD_ENV, None)

    result = subprocess.run(
        [sys.executable, "-m", "inbox_crm", "--config", str(config), "sync"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode != 0
    assert PASSWORD_ENV in result.stderr


@pytest.fixture
def account(imap_account: ImapAccount) -> ImapAccount:
    return imap_account


@pytest.mark.parametrize("auth", ["login", "plain", "xoauth2"])
def test_imap_traffic_logs_never_show_the_secret(
    tmp_path: Path, account: ImapAccount, auth: str
) -> None:
    account.append(make_message())
    secret = account.issue_token() if auth == "xoauth2" else account.password
    (tmp_path / "secret").write_text(secret + "\n")
    source = (
        {"token_command": f'"cat {tmp_path / "secret"}"'} if auth == "xoauth2" else {}
    )
    config = write_config(
        tmp_path,
        f"sqlite:///{tmp_path / 'crm.db'}",
        account,
        auth=f'"{auth}"',
        **source,
    )

    result = run(config, "-vvv", "sync", env={PASSWORD_ENV: account.password})

    assert result.returncode == 0, result.stderr
    # The traffic is there, the secret in no form is.
    assert "UID FETCH" in result.stderr
    encoded = [
        base64.b64encode(f"\0{account.user}\0{secret}".encode()).decode(),
        base64.b64encode(
            f"user={account.user}\x01auth=Bearer {secret}\x01\x01".encode()
        ).decode(),
    ]
    for form in (secret, *encoded):
        assert form not in result.stderr


def test_sync_skips_a_mailbox_an_agent_is_working_and_then_frees_it(
    tmp_path: Path, db_url: str, account: ImapAccount
) -> None:
    account.append(make_message())
    config = write_config(tmp_path, db_url, account)
    env = {PASSWORD_ENV: account.password}
    database = open_database(db_url)
    with database.session() as session, session.begin():
        claim(session, "mailbox:work", "agent-on-another-host", timedelta(hours=1))

    busy = run(config, "sync", env=env)
    with database.session() as session, session.begin():
        release(session, "mailbox:work", "agent-on-another-host")
    free = run(config, "sync", env=env)

    assert busy.returncode == 1
    assert "work: skipped" in busy.stdout
    assert "agent-on-another-host" in busy.stdout
    assert free.returncode == 0, free.stderr
    assert "work/INBOX: 1 fetched, 1 new" in free.stdout
    with database.session() as session:
        lease = leases(session)["mailbox:work"]
    assert lease.owner is None
    database.dispose()


def test_a_sync_logs_each_decision_only_when_asked(
    tmp_path: Path, db_url: str, account: ImapAccount
) -> None:
    account.append(make_message())
    env = {PASSWORD_ENV: account.password}
    config = write_config(tmp_path, db_url, account)

    quiet = run(config, "sync", env=env)
    account.append(make_message(message_id="<second@client.example>"))
    told = run(config, "-v", "sync", env=env)

    assert "work/INBOX: 1 fetched, 1 new" in quiet.stdout
    assert "stored" not in quiet.stderr
    assert "message 2 stored" in told.stderr


def test_json_logs_carry_the_closing_error_as_json(tmp_path: Path) -> None:
    result = run(tmp_path / "absent.toml", "--log-format", "json", "messages", "list")

    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["level"] == "error"
    assert "absent.toml" in entry["message"]
    assert result.returncode == 2


def test_an_unknown_mailbox_is_an_error_that_lists_the_known_ones(
    tmp_path: Path, db_url: str, mail_folder: Path
) -> None:
    config = write_config(tmp_path, db_url)
    run(config, "import", str(mail_folder))

    listed = run(config, "messages", "list", "--mailbox", "nope")
    exported = run(config, "export", "messages", "--mailbox", "nope")

    for result in (listed, exported):
        assert result.returncode == 2
        assert "no mailbox 'nope'" in result.stderr
        assert "import" in result.stderr


def test_messages_show_has_the_text_attachments_bounces_and_reasons(
    tmp_path: Path, db_url: str
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    for name in ("attachments.eml", "bounce_postfix.eml"):
        (folder / name).write_bytes((EML / name).read_bytes())
    config = write_config(tmp_path, db_url)
    run(config, "import", str(folder))
    exported = {
        record["kind"]: record
        for record in map(
            json.loads, run(config, "export", "messages").stdout.split("\n")[:-1]
        )
    }

    shown = {
        kind: json.loads(
            run(
                config, "messages", "show", str(record["id"]), "--format", "json"
            ).stdout
        )
        for kind, record in exported.items()
    }
    text = run(config, "messages", "show", str(exported["bounce"]["id"]))

    assert [a["filename"] for a in exported["normal"]["attachments"]] == [
        None,
        "Erklärung für Kunden.pdf",
        "Lagebericht März.pdf",
        "Grüße.txt",
        "notes.txt",
    ]
    assert shown["normal"]["text"] == "See the logo:"
    bounce = shown["bounce"]
    assert bounce["bounces"][0]["recipient"] == "nobody@example.net"
    assert bounce["bounces"][0]["status"] == "5.1.1"
    assert "bounce: RFC 3464 report, failed" in bounce["classification"]
    assert "bounce     nobody@example.net failed 5.1.1" in text.stdout
    missing = run(config, "messages", "show", "999")
    assert missing.returncode == 1
    assert "error: no message 999" in missing.stderr


def test_sync_takes_over_the_lease_of_a_killed_sync_on_this_machine(
    tmp_path: Path, db_url: str, account: ImapAccount
) -> None:
    account.append(make_message())
    config = write_config(tmp_path, db_url, account)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    database = open_database(db_url)
    with database.session() as session, session.begin():
        owner = f"sync:{socket.gethostname()}:{gone.pid}"
        claim(session, "mailbox:work", owner, timedelta(hours=1))

    result = run(config, "sync", env={PASSWORD_ENV: account.password})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "work/INBOX: 1 fetched, 1 new" in result.stdout
    database.dispose()


@pytest.mark.parametrize("command", ["init", "demo"])
def test_a_folder_that_cannot_be_made_is_a_one_line_error(
    tmp_path: Path, command: str
) -> None:
    a_file = tmp_path / "inbox-crm.toml"
    a_file.write_text("", encoding="utf-8")
    for folder in (a_file / "sub", Path("/proc/nope")):
        args = [str(folder)] if command == "init" else ["--dir", str(folder)]

        result = run(tmp_path / "unused.toml", command, *args)

        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert str(folder) in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_status_on_a_sqlite_file_in_a_missing_folder_names_the_folder(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/nonexistent/dir/x.db")

    result = run(config, "status")

    assert result.returncode == 1
    assert f"no such folder {tmp_path}/nonexistent/dir" in result.stderr
    assert not (tmp_path / "nonexistent").exists()


def test_the_default_database_beside_a_fresh_config_just_works(
    tmp_path: Path,
) -> None:
    assert run(tmp_path / "unused.toml", "init", str(tmp_path)).returncode == 0

    result = run(tmp_path / "inbox-crm.toml", "status")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "inbox-crm.db").is_file()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["messages", "show", "999"], "no message 999"),
        (["quarantine", "show", "999"], "no message 999"),
        (["outbox", "show", "999"], "no outreach 999"),
        (["outbox", "retry", "999"], "no outreach"),
        (["tickets", "show", "T-99"], "no ticket 'T-99'"),
        (["activities", "done", "999"], "no activity 999"),
        (["contacts", "show", "999"], "no contact '999'"),
        (["review", "accept", "999"], "no review item 999"),
    ],
)
def test_an_unknown_id_is_one_error_line_and_exit_1(
    tmp_path: Path, args: list[str], says: str
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'crm.db'}")

    result = run(config, *args)

    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {says}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Usage:" not in result.stderr
