"""Fixtures of the ingestion tests: a migrated database and a mailbox on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inbox_crm.storage.db import Database, open_database
from tests.ingest.store import Store


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database)
