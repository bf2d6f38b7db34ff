"""Fixtures of the rules tests: a migrated database and a configured world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox_crm.storage.db import Database, open_database
from tests.rules.world import World


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def world(database: Database, tmp_path: Path) -> World:
    return World(database, tmp_path)
