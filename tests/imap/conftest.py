"""Fixtures of the poller tests: a mailbox config pointing at the test Dovecot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inbox_crm.config import MailboxConfig, SyncConfig
from inbox_crm.storage.db import Database, open_database
from tests.servers.dovecot import ImapAccount

PASSWORD_ENV = "INBOX_CRM_TEST_IMAP_PASSWORD"
OWN_ADDRESS = "maya@agency.example"


def mailbox_config(account: ImapAccount, **changes: object) -> MailboxConfig:
    settings: dict[str, object] = {
        "name": "work",
        "host": account.host,
        "port": account.port,
        "security": "none",
        "username": account.user,
        "password_env": PASSWORD_ENV,
        "addresses": (OWN_ADDRESS,),
    }
    settings.update(changes)
    return MailboxConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
def account(imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch) -> ImapAccount:
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return imap_account


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sync_config() -> SyncConfig:
    return SyncConfig(batch_size=5, timeout=10.0)
