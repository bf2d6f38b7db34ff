"""Fixtures of the poller tests: a mailbox config pointing at the test Dovecot."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from inbox_crm.config import MailboxConfig, SyncConfig
from inbox_crm.storage.db import Database, open_database
from tests.servers import dovecot as dovecot_module
from tests.servers.dovecot import DovecotServer, ImapAccount

PASSWORD_ENV = "INBOX_CRM_TEST_IMAP_PASSWORD"
# What Dovecot offers after login, less LIST-STATUS: a server without it.
WITHOUT_LIST_STATUS = (
    "imap_capability = IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE UIDPLUS "
    "LIST-EXTENDED SPECIAL-USE\n"
)
OWN_ADDRESS = "maya@agency.example"
_plain_users = itertools.count(1)


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


@pytest.fixture(scope="module")
def dovecot_without_list_status(dovecot: DovecotServer) -> Iterator[DovecotServer]:
    """A second Dovecot whose capabilities leave out LIST-STATUS."""
    server = DovecotServer(
        dovecot_module.fast_parent_directory(), extra_config=WITHOUT_LIST_STATUS
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def account_without_list_status(
    dovecot_without_list_status: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ImapAccount]:
    """A user of this test only on the Dovecot without LIST-STATUS."""
    account = dovecot_without_list_status.add_user(f"plain{next(_plain_users)}")
    monkeypatch.setenv(PASSWORD_ENV, account.password)
    yield account
    dovecot_without_list_status.remove_user(account.user)
