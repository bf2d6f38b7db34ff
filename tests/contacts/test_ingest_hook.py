"""Linking inside ingestion: same transaction, and never at a message's cost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_crm.config import LinkingConfig
from inbox_crm.contacts.linker import Linker, LinkResult
from inbox_crm.contacts.models import Contact, ParticipantLink
from inbox_crm.ingest.pipeline import Incoming, Ingestor
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message
from tests.ingest.store import OWN, Store
from tests.mailfactory import make_message


class BrokenLinker(Linker):
    def link_messages(self, session: Session, message_ids: Sequence[int]) -> LinkResult:
        session.add(Contact(name="half-made", source="auto"))
        session.flush()
        raise RuntimeError("linking broke")


def count(database: Database, column: object) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(column))) or 0  # type: ignore[arg-type]


def test_a_linking_failure_keeps_the_messages_and_leaves_nothing_half_linked(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(database)
    linker = BrokenLinker(LinkingConfig(), OWN)
    ingestor = Ingestor(store.mailbox_id, OWN, timedelta(days=30), linker)

    with database.session() as session, session.begin():
        result = ingestor.ingest(session, [Incoming(raw=make_message())])

    assert result.stored == 1
    assert count(database, Message.id) == 1
    assert count(database, Contact.id) == 0
    assert "could not be linked" in caplog.text


def test_links_are_written_in_the_batchs_transaction(database: Database) -> None:
    store = Store(database)

    with database.session() as session:
        session.begin()
        store.ingestor.ingest(session, [Incoming(raw=make_message())])
        assert session.scalar(select(func.count(ParticipantLink.participant_id)))
        session.rollback()

    assert count(database, Message.id) == 0
    assert count(database, ParticipantLink.participant_id) == 0
    assert count(database, Contact.id) == 0
