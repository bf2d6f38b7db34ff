"""A batch stored at once ends as the same messages one at a time would."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import groupby

from sqlalchemy import select

from inbox_crm.ingest.pipeline import (
    Incoming,
    Ingestor,
    ensure_folder,
    ensure_mailbox,
)
from inbox_crm.ingest.prepared import Prepared
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message, MessageLocation, Thread
from tests.ingest.store import OWN, Store
from tests.mailfactory import make_message

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CLIENT = "Ann Client <ann@client.example>"
ME = "Maya <maya@agency.example>"


def conversation() -> list[bytes]:
    """A thread with a reply before its parent, a subject-only reply, a copy."""
    parent = make_message(message_id="<p1@client.example>", date=DAY)
    early_reply = make_message(
        sender=ME,
        to=CLIENT,
        subject="Re: Project kickoff",
        message_id="<r1@agency.example>",
        date=DAY + timedelta(hours=2),
        references="<p1@client.example>",
    )
    subject_reply = make_message(
        subject="AW: Project kickoff",
        message_id="<r2@client.example>",
        date=DAY + timedelta(hours=3),
    )
    other = make_message(
        subject="Invoice 7", message_id="<i7@client.example>", date=DAY
    )
    return [early_reply, other, parent, subject_reply, parent]


Snapshot = tuple[list[tuple[object, ...]], list[tuple[object, ...]]]


def ingest_into(database: Database, name: str, batches: list[list[bytes]]) -> Snapshot:
    """Ingest into a mailbox of its own; return its messages and threads."""
    with database.session() as session, session.begin():
        mailbox_id = ensure_mailbox(session, name).id
        folder_id = ensure_folder(session, mailbox_id, "INBOX").id
    ingestor = Ingestor(mailbox_id, OWN, timedelta(days=30))
    uid = 0
    for raws in batches:
        batch = []
        for raw in raws:
            uid += 1
            batch.append(Incoming(raw, folder_id, uidvalidity=1, uid=uid))
        with database.session() as session, session.begin():
            ingestor.ingest(session, batch)
    return snapshot(database, mailbox_id)


def snapshot(database: Database, mailbox_id: int) -> Snapshot:
    """Messages (Message-ID, thread number, UIDs) and threads, ids left out."""
    with database.session() as session:
        messages = session.execute(
            select(Message.id, Message.message_id, Message.thread_id)
            .where(Message.mailbox_id == mailbox_id)
            .order_by(Message.id)
        ).all()
        threads = session.execute(
            select(
                Thread.id,
                Thread.subject,
                Thread.message_count,
                Thread.first_date,
                Thread.last_date,
            )
            .where(Thread.mailbox_id == mailbox_id)
            .order_by(Thread.id)
        ).all()
        uids = {
            message: sorted(uid for _, uid in group)
            for message, group in groupby(
                session.execute(
                    select(MessageLocation.message_id, MessageLocation.uid).order_by(
                        MessageLocation.message_id
                    )
                ),
                key=lambda row: row[0],
            )
        }
    number = {thread[0]: index for index, thread in enumerate(threads)}
    return (
        [(mid, number[thread], uids[id_]) for id_, mid, thread in messages],
        [tuple(thread[1:]) for thread in threads],
    )


def test_a_batch_stores_and_threads_as_one_message_at_a_time(
    database: Database,
) -> None:
    raws = conversation()

    one_by_one = ingest_into(database, "one-by-one", [[raw] for raw in raws])
    at_once = ingest_into(database, "at-once", [raws])

    assert at_once == one_by_one
    messages, threads = at_once
    assert len(messages) == 4
    assert len(threads) == 2
    assert [uids for _, _, uids in messages] == [[1], [2], [3, 5], [4]]


def test_an_unstorable_message_is_quarantined_and_the_batch_goes_on(
    store: Store,
) -> None:
    raws = [
        make_message(message_id=f"<m{n}@client.example>", subject=f"Note {n}")
        for n in range(3)
    ]
    batch = [
        Incoming(raw, store.inbox, uidvalidity=1, uid=uid)
        for uid, raw in enumerate(raws, start=1)
    ]
    prepared = [store.ingestor.prepare(item) for item in batch]
    broken = prepared[1]
    assert isinstance(broken, Prepared)
    # A message row without a date breaks the NOT NULL constraint.
    rows = replace(broken.rows, message={**broken.rows.message, "date": None})
    prepared[1] = replace(broken, rows=rows)

    with store.database.session() as session, session.begin():
        result = store.ingestor.ingest(session, batch, prepared)

    assert (result.stored, result.quarantined) == (2, 1)
    stored = {message.message_id: message for message in store.messages()}
    assert set(stored) == {"m0@client.example", "m2@client.example", None}
    [failed] = [m for m in store.messages() if m.quarantined]
    assert failed.quarantine_reason is not None
    assert failed.quarantine_reason.startswith("storage failed:")
    assert [location.uid for location in failed.locations] == [2]
