"""Fixtures of the outreach tests: a real SMTP server, a config, a database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inbox_crm.config import Config, load_config
from inbox_crm.ingest.pipeline import Incoming, Ingestor, ensure_folder, ensure_mailbox
from inbox_crm.outreach.flush import Flusher, FlushReport
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.outreach.queue import queue_outreach
from inbox_crm.storage.db import Database, open_database
from inbox_crm.storage.models import Message
from tests.mailfactory import make_message
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer

OWN = "maya@agency.example"
PASSWORD_ENV = "INBOX_CRM_TEST_OUTREACH_PASSWORD"

TEMPLATES = {
    "hello/subject.txt": "Hello {{ contact.first_name | default('there') }}\n",
    "hello/body.txt": "Dear {{ contact.name | default('client') }},\n\n"
    "{{ user.name }}\n",
    "follow-up/subject.txt": "Re: {{ thread.subject }}\n",
    "follow-up/body.txt": "Any news, {{ contact.first_name | default('there') }}?\n",
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
    smtp_settings: dict[str, object] | None = None,
    outreach: dict[str, object] | None = None,
) -> Path:
    """An inbox-crm.toml for the test servers; sent_copy 'none' without IMAP.

    Rate limits are off and retries immediate unless `outreach` says otherwise.
    """
    settings: dict[str, object] = {
        "max_per_minute": 0,
        "max_per_hour": 0,
        "max_per_domain_per_hour": 0,
        "retry_delay": 0,
    }
    settings.update(outreach or {})
    sending: dict[str, object] = {
        "host": smtp.host,
        "port": smtp.port,
        "security": "none",
        "auth": "none",
        "from_name": "Maya Lin",
    }
    if imap is None:
        sending["sent_copy"] = "none"
    sending.update(smtp_settings or {})
    host, port = (imap.host, imap.port) if imap else ("127.0.0.1", 1)
    user = imap.user if imap else "maya"
    write_templates(directory / "templates")
    path = directory / "inbox-crm.toml"
    path.write_text(
        f"""
[database]
url = "{db_url}"

[outreach]
{_toml(settings)}

[mailboxes.work]
host = "{host}"
port = {port}
security = "none"
username = "{user}"
password_env = "{PASSWORD_ENV}"
addresses = ["{OWN}"]

[mailboxes.work.smtp]
{_toml(sending)}
""",
        encoding="utf-8",
    )
    return path


def _toml(table: dict[str, object]) -> str:
    """Key = value lines; JSON's string escapes are valid TOML ones."""
    return "\n".join(f"{key} = {json.dumps(value)}" for key, value in table.items())


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
def configure(
    tmp_path: Path, db_url: str, smtp_server: SmtpServer, database: Database
) -> Callable[..., Config]:
    """Write a config for the test servers with these extra lines; load it."""

    def make(**extra: str) -> Config:
        return load_config(write_config(tmp_path, db_url, smtp_server, **extra))  # type: ignore[arg-type]

    return make


@pytest.fixture
def config(configure: Callable[..., Config]) -> Config:
    return configure()


def flush(database: Database, config: Config, **options: object) -> FlushReport:
    flusher = Flusher(database, config, config.mailbox("work"), **options)  # type: ignore[arg-type]
    return asyncio.run(flusher.run())


def queue_one(
    database: Database,
    config: Config,
    template: str = "hello",
    to: str | int = "Ann Lee <ann@client.example>",
    **options: object,
) -> int:
    """Queue one outreach through the service interface; return its id."""
    with database.session() as session, session.begin():
        row = queue_outreach(session, config, template, to, **options)  # type: ignore[arg-type]
        return row.id


def get_row(database: Database, row_id: int) -> OutboxRow:
    with database.session() as session:
        return session.get_one(OutboxRow, row_id)


def ingest(database: Database, raw: bytes, folder: str = "INBOX") -> Message:
    """Store `raw` in mailbox "work" through the ingestion pipeline."""
    with database.session() as session, session.begin():
        mailbox_id = ensure_mailbox(session, "work").id
        folder_id = ensure_folder(session, mailbox_id, folder).id
        ingestor = Ingestor(mailbox_id, (OWN,), timedelta(days=30))
        result = ingestor.ingest(session, [Incoming(raw=raw, folder_id=folder_id)])
        assert result.new_ids, "the message was stored already"
        message = session.get_one(Message, result.new_ids[0])
        _ = message.participants
        return message


def reply_to(row: OutboxRow, sender: str, body: str, **headers: str) -> bytes:
    """A reply to the mail of `row`, dated now."""
    return make_message(
        sender=sender,
        to=f"Maya Lin <{OWN}>",
        subject=f"Re: {row.subject}",
        body=body,
        message_id=f"<reply-{row.id}-{abs(hash((sender, body)))}@client.example>",
        date=datetime.now(UTC),
        in_reply_to=f"<{row.message_id}>",
        references=f"<{row.message_id}>",
        headers=headers or None,
    )
