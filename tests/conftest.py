"""Fixtures on real servers: Dovecot for IMAP, SQLite and PostgreSQL for storage.

A test that needs a server this machine lacks is skipped with a hint on how to get
it, unless INBOX_CRM_REQUIRE_SERVERS=1 (as in CI): then it fails instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.servers import dovecot as dovecot_module
from tests.servers import postgres
from tests.servers.dovecot import DovecotServer, ImapAccount

REQUIRE_SERVERS = os.environ.get("INBOX_CRM_REQUIRE_SERVERS") == "1"

DOVECOT_HINT = (
    "to run these tests, install Dovecot as root "
    "(apt-get install dovecot-imapd openssl) or run .ci/run"
)
POSTGRES_HINT = (
    "to run these tests, start PostgreSQL on 127.0.0.1:5432 with trust "
    "authentication for user postgres, or run .ci/run"
)

_user_numbers = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the servers they use, so that `-m "not dovecot"` works."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "dovecot" in fixtures:
            item.add_marker(pytest.mark.dovecot)
        if "postgres_server" in fixtures:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One real Dovecot for the session; user alice/secret exists."""
    problem = dovecot_module.missing_requirements()
    if problem is not None:
        _unavailable(f"Dovecot unavailable: {problem}; {DOVECOT_HINT}")

    server = DovecotServer(dovecot_module.fast_parent_directory())
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_account(dovecot: DovecotServer) -> Iterator[ImapAccount]:
    """A user of this test only, with empty INBOX, Sent, Drafts and Trash."""
    account = dovecot.add_user(f"user{next(_user_numbers)}", "secret")
    yield account
    dovecot.remove_user(account.user)


@pytest.fixture(scope="session")
def postgres_server() -> None:
    """Skip (or fail) the test unless PostgreSQL answers on 127.0.0.1:5432."""
    problem = postgres.missing_requirements()
    if problem is not None:
        _unavailable(f"{problem}; {POSTGRES_HINT}")


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The SQLAlchemy URL of an empty database: SQLite, then a fresh PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return

    request.getfixturevalue("postgres_server")
    with postgres.throwaway_database() as url:
        yield url


def _unavailable(reason: str) -> NoReturn:
    if REQUIRE_SERVERS:
        pytest.fail(f"{reason} (INBOX_CRM_REQUIRE_SERVERS=1)", pytrace=False)
    pytest.skip(reason)
