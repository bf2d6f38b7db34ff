"""Transactions beside other writers: they wait their turn and never fail."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from inbox_crm.storage.db import Database, open_database
from inbox_crm.storage.models import Mailbox


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    with database.session() as session, session.begin():
        session.add(Mailbox(name="work"))
    yield database
    database.dispose()


def test_a_writing_session_that_reads_first_waits_for_another_writer(
    database: Database,
) -> None:
    read_done = threading.Event()
    errors: list[BaseException] = []

    def reader_then_writer() -> None:
        try:
            with database.writing() as session, session.begin():
                session.scalar(select(func.count(Mailbox.id)))
                read_done.set()
                # Another writer commits now, between our read and our write.
                other.join(timeout=0.5)
                session.execute(update(Mailbox).values(name="first"))
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    def writer() -> None:
        read_done.wait(5)
        with database.writing() as session, session.begin():
            session.execute(update(Mailbox).values(name="second"))

    other = threading.Thread(target=writer)
    first = threading.Thread(target=reader_then_writer)
    other.start()
    first.start()
    first.join(10)
    other.join(10)

    assert errors == []
    with database.reading() as session:
        names = set(session.scalars(select(Mailbox.name)))
    assert names <= {"first", "second"} and len(names) == 1


def test_a_long_read_never_holds_up_a_writer(database: Database) -> None:
    with database.reading() as reading:
        reading.scalar(select(func.count(Mailbox.id)))

        # The read is still open while another session writes and commits.
        with database.session() as session, session.begin():
            session.execute(update(Mailbox).values(name="renamed"))

    with database.reading() as session:
        assert session.scalar(select(Mailbox.name)) == "renamed"
