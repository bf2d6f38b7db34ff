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


# Moments of the run itself (when it ran, what it stamped) differ run to run.
OF_THE_RUN = ("seconds", "card", "sent_mail", "digest_text")


def test_running_again_gives_the_same_result(
    summary: DemoSummary, demo_dir: Path
) -> None:
    again = run(demo_dir)

    first, second = asdict(summary), asdict(again)
    for key in OF_THE_RUN:
        first.pop(key), second.pop(key)
    assert second == first
    assert again.card is not None and summary.card is not None
    assert again.card["id"] == summary.card["id"]
    assert [m.recipients for m in again.sent_mail] == [
        m.recipients for m in summary.sent_mail
    ]


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
    assert "Rule fired: follow-up-no-reply" in result.output
    assert "Mail that went out" in result.output
    assert "Maya's digest" in result.output and "FOLLOW-UPS DUE" in result.output
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


def test_the_rules_fire_follow_ups_tickets_and_tags(
    summary: DemoSummary, database: Database
) -> None:
    from inbox_crm.contacts.models import Company
    from inbox_crm.storage.tracking import Activity, Ticket

    with database.session() as session:
        tickets = sorted(t.subject for t in session.scalars(select(Ticket)))
        follow_ups = session.scalars(
            select(Activity).where(Activity.rule_id == "follow-up-no-reply")
        ).all()
        tagged = [c for c in session.scalars(select(Company)) if c.tags]

    assert tickets == ["Checkout broken on mobile?", "RFP: intranet redesign"]
    assert follow_ups and all(a.assignee == "maya" for a in follow_ups)
    assert summary.activities == len([a for a in follow_ups if a.status == "open"])
    assert tagged and all(c.tags == ["new-company"] for c in tagged)
    assert summary.firings["tag-new-company"] == len(tagged)
    assert summary.firings["nudge-quiet-lead"] == 3


def test_follow_ups_to_quiet_leads_go_out_and_are_filed_in_sent(
    summary: DemoSummary, database: Database
) -> None:
    from inbox_crm.demo.people import PEOPLE
    from inbox_crm.outreach.models import OutboxRow

    with database.session() as session:
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "outreach")
        ).all()

    leads = {PEOPLE["olivia"].address, PEOPLE["anna"].address}
    assert {row.to_address for row in rows} == leads
    assert all(row.status == "sent" and row.filed_at for row in rows)
    assert all(row.in_reply_to and row.stored_message_id for row in rows)
    # Marcus's thread ends with his auto-reply: the rule's mail was refused.
    out = {mail.recipients[0]: mail.message for mail in summary.sent_mail}
    assert set(out) == leads | {PEOPLE["me"].address}
    assert PEOPLE["marcus"].address not in out
    assert summary.card is not None and summary.card["address"] in leads
    assert summary.card["outreach"] and summary.card["activities"]


def test_mayas_digest_goes_out_once_with_what_happened(
    summary: DemoSummary, database: Database
) -> None:
    from inbox_crm.demo.people import PEOPLE
    from inbox_crm.digest.models import DigestRecord

    with database.session() as session:
        [record] = session.scalars(select(DigestRecord)).all()
    [digest] = [m for m in summary.sent_mail if m.recipients == (PEOPLE["me"].address,)]

    assert record.status == "queued" and record.user == "maya"
    assert digest.message["Auto-Submitted"] == "auto-generated"
    assert summary.digest_subject == str(digest.message["Subject"])
    for section in ("FOLLOW-UPS DUE", "AWAITING YOUR REPLY", "OPEN TICKETS"):
        assert section in summary.digest_text
    assert "nudge-quiet-lead: fired 3x" in summary.digest_text


@pytest.mark.parametrize(
    "command",
    [
        ["contacts", "show", "olivia@greenleaf.example"],
        ["activities", "list", "--due", "overdue"],
        ["tickets", "list"],
        ["outbox", "list"],
        ["rules", "firings", "--limit", "3"],
        ["digest", "preview", "--user", "maya"],
        ["status"],
    ],
)
def test_the_commands_to_keep_exploring_work_after_the_demo(
    summary: DemoSummary, command: list[str]
) -> None:
    from inbox_crm.cli.main import cli

    result = CliRunner().invoke(cli, ["--config", str(summary.config_path), *command])

    assert result.exit_code == 0, result.output
    assert result.output.strip()
