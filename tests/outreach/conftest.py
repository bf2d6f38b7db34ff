"""Fixtures of the outreach tests: a real SMTP server, a config, a database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox_crm.config import Config, load_config
from inbox_crm.outreach.flush import Flusher, FlushReport
from inbox_crm.storage.db import Database, open_database
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer

OWN = "maya@agency.example"
PASSWORD_ENV = "INBOX_CRM_TEST_OUTREACH_PASSWORD"

TEMPLATES = {
    "hello/subject.txt": "Hello {{ contact.first_name }}\n",
    "hello/body.txt": "Dear {{ contact.name }},\n\n{{ user.name }}\n",
    "follow-up/subject.txt": "Re: {{ thread.subject }}\n",
    "follow-up/body.txt": "Any news, {{ contact.first_name }}?\n",
}


def write_templates(directory: Path, files: dict[str, str] = TEMPLATES) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def write_config(
    directory: Path,
    db_url: str,
    smtp: SmtpServer,
    *,
    imap: ImapAccount | None = None,
    smtp_extra: str = "",
    outreach: str = "",
) -> Path:
    """An inbox-crm.toml for the test servers; sent_copy 'none' without IMAP."""
    host, port = (imap.host, imap.port) if imap else ("127.0.0.1", 1)
    user = imap.user if imap else "maya"
    sent_copy = "" if imap else 'sent_copy = "none"'
    write_templates(directory / "templates")
    path = directory / "inbox-crm.toml"
    path.write_text(
        f"""
[database]
url = "{db_url}"

[outreach]
max_per_minute = 0
max_per_hour = 0
max_per_domain_per_hour = 0
retry_delay = 0
{outreach}

[mailboxes.work]
host = "{host}"
port = {port}
security = "none"
username = "{user}"
password_env = "{PASSWORD_ENV}"
addresses = ["{OWN}"]

[mailboxes.work.smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
auth = "none"
from_name = "Maya Lin"
{sent_copy}
{smtp_extra}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "smtp").start()
    yield server
    server.stop()


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def config(
    tmp_path: Path, db_url: str, smtp_server: SmtpServer, database: Database
) -> Config:
    return load_config(write_config(tmp_path, db_url, smtp_server))


def flush(database: Database, config: Config, **options: object) -> FlushReport:
    flusher = Flusher(database, config, config.mailbox("work"), **options)  # type: ignore[arg-type]
    return asyncio.run(flusher.run())
