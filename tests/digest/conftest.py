"""Fixtures of the digest tests: a configured installation with a user, Maya."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inbox_crm.storage.db import Database, open_database
from tests.rules.world import World

ZONE = ZoneInfo("Europe/Berlin")


class DigestWorld(World):
    """The rules tests' world, with a mailbox that can send and Maya's digest."""

    def __init__(self, database: Database, root: Path) -> None:
        super().__init__(database, root)
        self.settings["mailboxes"]["work"]["smtp"] = {
            "host": "127.0.0.1",
            "port": 2525,
            "security": "none",
            "auth": "none",
            "sent_copy": "none",
            "from_name": "Maya Lin",
        }

    def user_settings(self, **values: object) -> None:
        self.settings["users"]["maya"].update(values)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall-clock time as a UTC moment."""
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def midnight(day: date, days: int = 0) -> datetime:
    return local(day + timedelta(days=days), 0)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def world(database: Database, tmp_path: Path) -> DigestWorld:
    return DigestWorld(database, tmp_path)
