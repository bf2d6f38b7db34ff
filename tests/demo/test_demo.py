"""The demo: the sample mailbox on the embedded server, synced by the real poller."""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from inbox_crm.cli.demo import demo_command
from inbox_crm.config import MailboxConfig
from inbox_crm.demo.run import MARKER_NAME, DemoError, run_demo
from inbox_crm.demo.sample import SampleMailbox, sample_mailbox
from inbox_crm.demo.server import DemoServer
from inbox_crm.demo.summary import DemoSummary
from inbox_crm.imap.client import connect
from inbox_crm.storage.db import Database, open_database
from inbox_crm.storage.models import BounceRow, Message, MessageLocation


def run(directory: Path) -> DemoSummary:
    lines: list[str] = []
    summary = asyncio.run(run_demo(directory, lines.append))
    assert lines, "the demo reports its progress"
    return summary


@pytest.fixture(scope="module")
def sample() -> SampleMailbox:
    return sample_mailbox(datetime.now(UTC))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "demo-data"


@pytest.fixture(scope="module")
def summary(demo_dir: Path) -> DemoSummary:
    return run(demo_dir)


@pytest.fixture
def database(summary: DemoSummary) -> Iterator[Database]:
    database = open_database(f"sqlite:///{summary.database_path}")
    yield database
    database.dispose()


def test_every_message_is_stored_once(
    summary: DemoSummary, sample: SampleMailbox
) -> None:
    copies = len(sample.messages) - len(sample.distinct())

    assert copies == 2
    assert summary.errors == []
    assert summary.loaded == len(sample.messages)
    assert summary.stored == len(sample.messages) - copies


def test_directions_and_kinds_match_the_sample(
    summary: DemoSummary, sample: SampleMailbox
) -> None:
    for direction in ("inbound", "outbound"):
        assert summary.by_direction[direction] == sample.count(direction=direction)
    for kind in ("normal", "auto_reply", "bounce", "list"):
        assert summary.by_kind[kind] == sample.count(kind=kind)
    assert sample.count(kind="auto_reply") >= 3
    assert sample.count(kind="bounce") == 1


def test_each_conversation_is_one_thread(
    summary: DemoSummary, sample: SampleMailbox, database: Database
) -> None:
    with database.session() as session:
        rows = session.execute(select(Message.message_id, Message.thread_id)).all()
    thread_of = {message_id: thread_id for message_id, thread_id in rows}
    conversations = sample.conversations()

    threads_by_conversation: dict[str, set[int | None]] = defaultdict(set)
    for name, message_ids in conversations.items():
        for message_id in message_ids:
            threads_by_conversation[name].add(thread_of[message_id])

    split = {name: ids for name, ids in threads_by_conversation.items() if len(ids) > 1}
    assert split == {}
    assert len({ids.pop() for ids in threads_by_conversation.values()}) == len(
        conversations
    )
    assert summary.threads == len(conversations)


def test_a_reply_without_references_joins_by_subject(
    sample: SampleMailbox, database: Database
) -> None:
    # The signed contract comes from a client whose mailer drops References.
    ids = sample.conversations()["weiss-angebot"]
    with database.session() as session:
        rows = session.execute(
            select(Message.thread_id, Message.in_reply_to).where(
                Message.message_id.in_(ids)
            )
        ).all()

    assert len(rows) == 6
    assert len({thread_id for thread_id, _ in rows}) == 1
    assert sum(1 for _, in_reply_to in rows if in_reply_to is None) == 2


def test_files_that_are_not_mail_are_quarantined(
    summary: DemoSummary, sample: SampleMailbox, database: Database
) -> None:
    expected = {
        hashlib.sha256(message.raw).hexdigest()
        for message in sample.messages
        if message.quarantined
    }
    with database.session() as session:
        stored = session.scalars(select(Message).where(Message.quarantined)).all()
        hashes = {message.source.sha256 for message in stored}

    assert len(expected) == 2
    assert hashes == expected
    assert summary.quarantined == 2


def test_the_bounce_names_the_failed_recipient(database: Database) -> None:
    with database.session() as session:
        bounces = session.scalars(select(BounceRow)).all()

    assert [(b.recipient, b.status, b.action) for b in bounces] == [
        ("noah@bennet-legal.example", "5.1.1", "failed")
    ]


def test_a_copy_in_inbox_and_sent_is_one_message_in_both_folders(
    sample: SampleMailbox, database: Database
) -> None:
    folders_of: dict[str | None, set[str]] = defaultdict(set)
    for message in sample.messages:
        folders_of[message.message_id].add(message.folder)
    [copied] = [mid for mid, folders in folders_of.items() if len(folders) == 2]
    with database.session() as session:
        locations = session.scalars(
            select(MessageLocation).join(Message).where(Message.message_id == copied)
        ).all()
        names = sorted(location.folder.name for location in locations)

    assert names == ["INBOX", "Sent"]


def test_newest_message_is_about_a_day_old(summary: DemoSummary) -> None:
    newest = summary.recent[0].date
    age = datetime.now(UTC) - newest

    assert timedelta(hours=23) < age < timedelta(days=2, hours=1)


def test_running_again_gives_the_same_result(
    summary: DemoSummary, demo_dir: Path
) -> None:
    again = run(demo_dir)

    first, second = asdict(summary), asdict(again)
    first.pop("seconds"), second.pop("seconds")
    assert second == first


def test_a_directory_without_an_earlier_demo_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")

    with pytest.raises(DemoError, match="holds no earlier demo"):
        asyncio.run(run_demo(tmp_path, print))

    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]
    assert not (tmp_path / MARKER_NAME).exists()


def test_the_command_prints_a_summary_and_next_steps(
    tmp_path: Path, sample: SampleMailbox
) -> None:
    directory = tmp_path / "try"

    result = CliRunner().invoke(demo_command, ["--dir", str(directory)])

    assert result.exit_code == 0, result.output
    assert f"{len(sample.distinct())} messages stored" in result.output
    assert "Largest threads" in result.output
    assert f"inbox-crm --config {directory / 'inbox-crm.toml'} quarantine list" in (
        result.output
    )
    assert (directory / "inbox-crm.db").exists()


def test_the_sample_is_the_same_on_every_build() -> None:
    assert sample_mailbox().messages == sample_mailbox().messages


def test_the_server_answers_examine_with_uidvalidity_and_uidnext() -> None:
    async def examine() -> tuple[int, int | None, int]:
        async with DemoServer("maya@brightlane.example", "secret") as server:
            for minute in range(3):
                raw = f"Subject: {minute}\r\nMessage-ID: <{minute}@x.example>\r\n\r\n."
                when = datetime(2025, 3, 1, 9, minute, tzinfo=UTC)
                await server.append("Sent", raw.encode(), when)
            mailbox = MailboxConfig(
                "demo", server.host, server.port, "none", "maya@brightlane.example"
            )
            connection = await connect(mailbox, "secret", 5.0)
            try:
                status = await connection.examine("Sent")
                uids = await connection.uids_from(1)
            finally:
                await connection.logout()
        return status.uidvalidity, status.uidnext, len(uids)

    uidvalidity, uidnext, found = asyncio.run(examine())

    assert uidvalidity > 0
    assert uidnext == 104  # pymap numbers a new folder's messages from 101
    assert found == 3


def test_the_address_book_and_the_mail_make_the_client_history(
    summary: DemoSummary, database: Database
) -> None:
    from inbox_crm.contacts.models import Contact
    from inbox_crm.demo.clients import ADDRESS_BOOK
    from inbox_crm.demo.people import PEOPLE, PROSPECTS

    with database.session() as session:
        contacts = {c.primary_address: c for c in session.scalars(select(Contact))}

    book = {PEOPLE[key].address for key, _, _ in ADDRESS_BOOK}
    assert {a for a, c in contacts.items() if c.source == "import"} == book
    answered = {p.address for p in PROSPECTS} & set(contacts)
    assert answered and all(contacts[a].source == "auto" for a in answered)
    for key in ("me", "tom", "weekly", "ops", "front", "daemon", "print", "cloud"):
        assert PEOPLE[key].address not in contacts, key
    assert summary.contacts["import"] == len(ADDRESS_BOOK)
    assert summary.links["exact"] > 0
    assert summary.card is not None
    assert summary.card["address"] == PEOPLE["priya"].address
    assert summary.card["company"]["name"] == "Northwind Traders"
    assert summary.card["message_count"] > 10
