"""Quarantined messages parsed again from their kept raw source."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from inbox_crm.ingest.pipeline import Incoming
from inbox_crm.ingest.prepared import unreadable
from inbox_crm.ingest.reparse import reparse_quarantined
from inbox_crm.storage.models import Message, MessageLocation
from tests.ingest.store import OWN, Store
from tests.mailfactory import make_message

WINDOW = timedelta(days=30)


def quarantine(store: Store, raw: bytes, reason: str) -> int:
    """Store `raw` as quarantined, as an older parser that failed on it did."""
    item = Incoming(raw=raw, folder_id=store.inbox, uidvalidity=7, uid=41)
    with store.database.session() as session, session.begin():
        result = store.ingestor.ingest(session, [item], [unreadable(raw, reason)])
    (message_id,) = result.new_ids
    return message_id


def test_a_message_that_parses_now_is_released_where_it_was_found(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    old_id = quarantine(store, make_message(), "cannot parse: an old parser bug")

    with caplog.at_level(logging.INFO, logger="inbox_crm.ingest.reparse"):
        counts = reparse_quarantined(store.database, WINDOW, {"work": OWN})

    assert counts == (1, 0)
    with store.database.session() as session:
        (message,) = session.scalars(select(Message)).all()
        location = session.scalars(select(MessageLocation)).one()
    assert not message.quarantined
    assert message.subject == "Project kickoff"
    assert (location.uidvalidity, location.uid) == (7, 41)
    assert f"message {old_id} released from quarantine as message {message.id}" in (
        caplog.text
    )


def test_a_message_that_still_cannot_be_parsed_is_left_as_it_was(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    old_id = quarantine(store, b"\x00\x01 not mail at all\n", "cannot parse: noise")
    caplog.clear()

    with caplog.at_level(logging.INFO):
        counts = reparse_quarantined(store.database, WINDOW, {"work": OWN})

    assert counts == (0, 1)
    with store.database.session() as session:
        (message,) = session.scalars(select(Message)).all()
    assert (message.id, message.quarantined) == (old_id, True)
    # Nothing was stored and rolled back, so nothing else is logged about it.
    assert "quarantined" not in caplog.text
