"""The whole agent as a user runs it: Dovecot in, rules, outbox, digest, SMTP out.

`inbox-crm run` runs in a subprocess against a real Dovecot and a real
aiosmtpd server in this process. Where a test needs time to pass (a no-reply
deadline, a digest time across a DST change), the agent is started with its
clock set to a chosen moment (tests/agent/clock.py), on SQLite.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inbox_crm.agent.models import JobState
from inbox_crm.config import load_config
from inbox_crm.contacts.models import ParticipantLink
from inbox_crm.digest.models import DigestRecord
from inbox_crm.outreach.models import DIGEST, OutboxRow
from inbox_crm.outreach.queue import queue_outreach
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message, Participant
from inbox_crm.storage.tracking import Activity, RuleFiring, RuleWait, Ticket
from tests.agent.conftest import AgentProcess, wait_until, write_config
from tests.mailfactory import make_message
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer

Start = Callable[..., AgentProcess]
ROOT = Path(__file__).parents[2]
FAST = {
    "poll_interval": 3600,
    "lease_duration": 30,
    "sweep_interval": 1,
    "outbox_interval": 1,
}
RULES = """\
rules:
  - id: help-ticket
    description: A ticket for every call for help
    trigger: message_received
    when:
      subject: {contains: help}
    actions:
      - ticket: {priority: high, queue: support}
  - id: chase-quiet-client
    description: Chase and write again after two days without an answer
    trigger:
      no_reply: {after: outbound, within: 2 days}
    when:
      kind: normal
    actions:
      - activity: {title: "Chase {{ message.subject }}", assignee: maya}
      - outreach: {template: follow-up, to: contact}
"""


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "smtp").start()
    yield server
    server.stop()


def installation(
    tmp_path: Path,
    db_url: str,
    account: ImapAccount,
    smtp: SmtpServer,
    *,
    sent_copy: str = "append",
    digest: str = "",
    outreach: str = "",
) -> Path:
    """A config with rules, templates, a user and a mailbox that can send."""
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "e2e.yaml").write_text(RULES, encoding="utf-8")
    shutil.copytree(ROOT / "templates", tmp_path / "templates", dirs_exist_ok=True)
    extra = f"""
[mailboxes.work.smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
auth = "none"
from_name = "Maya"
sent_copy = "{sent_copy}"
sent_folder = "Sent"

[rules]
since = 2026-01-01

[business]
timezone = "Europe/Berlin"

[users.maya]
email = "maya@agency.example"
mailboxes = ["work"]
digest_time = "08:00"
{digest}

[outreach]
max_per_minute = 0
max_per_hour = 0
max_per_domain_per_hour = 0
retry_delay = 0
{outreach}
"""
    return write_config(
        tmp_path,
        db_url,
        account,
        agent=FAST,
        folders=("INBOX", "Sent"),
        extra=extra,
    )


def count(database: Database, model: type[object], *where: object) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(model)  # type: ignore[arg-type]
        return session.scalar(query.where(*where)) or 0  # type: ignore[arg-type]


def test_mail_is_stored_linked_and_a_rule_fires_within_the_idle_latency(
    account: ImapAccount,
    database: Database,
    tmp_path: Path,
    agents: Start,
    smtp_server: SmtpServer,
) -> None:
    config = installation(tmp_path, database.url, account, smtp_server)
    agent = agents(config, account.password)
    agent.wait_for("watching INBOX with IDLE")

    account.append(
        make_message(
            sender="Ann Client <ann@client.example>",
            subject="Please help: the login page is down",
            message_id="<help-1@client.example>",
            date=datetime.now(UTC),
        )
    )
    delivered = time.monotonic()

    wait_until(lambda: count(database, Ticket) == 1, timeout=15)
    latency = time.monotonic() - delivered
    with database.session() as session:
        link = session.execute(
            select(ParticipantLink)
            .join(Participant, Participant.id == ParticipantLink.participant_id)
            .where(Participant.address == "ann@client.example")
        ).scalar_one()
        ticket = session.scalars(select(Ticket)).one()
    assert link.contact_id is not None and link.company_id is not None
    assert (ticket.priority, ticket.contact_id) == ("high", link.contact_id)
    assert count(database, RuleFiring, RuleFiring.rule_id == "help-ticket") == 1
    # Polls are an hour apart: only IDLE could have brought it this fast.
    assert latency < 15
    assert agent.messages("new mail announced in INBOX (IDLE)")
    assert agent.stop() == 0


def outbound(number: int, date: datetime) -> bytes:
    return make_message(
        sender="Maya <maya@agency.example>",
        to="Ann Client <ann@client.example>",
        subject=f"Proposal {number}",
        message_id=f"<proposal-{number}@agency.example>",
        date=date,
    )


def test_a_follow_up_is_made_and_sent_once_the_clock_passes_its_deadline(
    account: ImapAccount,
    sqlite_database: Database,
    tmp_path: Path,
    agents: Start,
    smtp_server: SmtpServer,
) -> None:
    database = sqlite_database
    config = installation(tmp_path, database.url, account, smtp_server)
    sent_at = datetime.now(UTC).replace(microsecond=0)
    account.append(outbound(1, sent_at), "Sent")

    first = agents(config, account.password)
    wait_until(lambda: count(database, RuleWait) == 1)
    wait_until(lambda: _runs(database, "rules.sweep") >= 2)
    assert count(database, Activity) == 0 and smtp_server.received == []
    assert first.stop() == 0

    later = sent_at + timedelta(days=2, minutes=5)
    second = agents(config, account.password, clock=later)
    [mail] = wait_until(lambda: smtp_server.received or None, timeout=60)

    with database.session() as session:
        [activity] = session.scalars(select(Activity)).all()
        [row] = session.scalars(select(OutboxRow)).all()
    assert activity.title == "Chase Proposal 1" and activity.assignee == "maya"
    assert mail.rcpt_tos == ("ann@client.example",)
    assert mail.message["In-Reply-To"] == "<proposal-1@agency.example>"
    assert mail.message["Subject"] == "Re: Proposal 1"
    assert (row.status, row.message_id) == ("sent", mail.message_id)
    wait_until(lambda: _filed(database, row.id))
    # The chase, once stored as sent mail, starts no chase of its own.
    wait_until(lambda: count(database, Message) == 2)
    with database.session() as session:
        [wait] = session.scalars(select(RuleWait)).all()
    assert wait.state == "fired"
    assert second.stop() == 0
    assert len(smtp_server.received) == 1


def _runs(database: Database, job_id: str) -> int:
    with database.session() as session:
        state = session.get(JobState, job_id)
        return state.runs if state is not None else 0


def _filed(database: Database, row_id: int) -> bool:
    with database.session() as session:
        return session.get_one(OutboxRow, row_id).filed_at is not None


# Berlin: summer time from 29 March 2026, winter time again from 25 October.
CHANGES = {
    "spring": (
        datetime(2026, 3, 28, 7, tzinfo=UTC),
        datetime(2026, 3, 29, 6, tzinfo=UTC),
    ),
    "autumn": (
        datetime(2026, 10, 24, 6, tzinfo=UTC),
        datetime(2026, 10, 25, 7, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_digest_goes_out_at_eight_local_on_both_sides_of_a_dst_change(
    account: ImapAccount,
    sqlite_database: Database,
    tmp_path: Path,
    agents: Start,
    smtp_server: SmtpServer,
    change: str,
) -> None:
    database = sqlite_database
    config = installation(
        tmp_path,
        database.url,
        account,
        smtp_server,
        digest="digest_skip_empty = false",
    )
    days = []
    for number, due in enumerate(CHANGES[change], start=1):
        agent = agents(config, account.password, clock=due - timedelta(seconds=6))
        wait_until(lambda n=number: len(smtp_server.received) == n or None, 60)
        assert agent.stop() == 0
        mail = smtp_server.received[-1]
        sent = parsedate_to_datetime(str(mail.message["Date"]))
        # Sent at 08:00 local (plus the time to queue and flush it).
        assert timedelta(0) <= sent - due < timedelta(seconds=5), (sent, due)
        days.append(str(mail.message["Subject"]))

    with database.session() as session:
        records = session.scalars(select(DigestRecord).order_by(DigestRecord.day)).all()
    first_day, second_day = CHANGES[change]
    assert [r.day for r in records] == [first_day.date(), second_day.date()]
    assert records[1].period_start == records[0].period_end
    assert f"{first_day:%A} {first_day.day} {first_day:%B}" in days[0]
    assert f"{second_day:%A} {second_day.day} {second_day:%B}" in days[1]
    assert len(smtp_server.received) == 2


@pytest.mark.slow
def test_an_agent_killed_mid_run_and_restarted_loses_and_repeats_nothing(
    account: ImapAccount,
    sqlite_database: Database,
    tmp_path: Path,
    agents: Start,
    smtp_server: SmtpServer,
) -> None:
    database = sqlite_database
    mails = 20
    path = installation(
        tmp_path,
        database.url,
        account,
        smtp_server,
        sent_copy="server",
        digest="digest_skip_empty = false",
        outreach="in_doubt_wait = 0",
    )
    # The server files what it takes in Sent, and takes its time doing it.
    smtp_server.handler.file_to = lambda raw: account.append(raw, "Sent")  # type: ignore[assignment]
    smtp_server.handler.delay = 0.3
    config = load_config(path)
    with database.session() as session, session.begin():
        for number in range(mails):
            queue_outreach(
                session, config, "introduction", f"client{number}@client.example"
            )
    digest_time = datetime(2026, 12, 7, 7, tzinfo=UTC)  # 08:00 in Berlin
    started = time.monotonic()
    first = agents(path, account.password, clock=digest_time - timedelta(seconds=3))

    def mid_run() -> bool:
        digest_queued = count(database, DigestRecord) == 1
        return digest_queued and 5 <= len(smtp_server.received) < mails

    wait_until(mid_run, timeout=60)
    first.stop(signal.SIGKILL)
    at_kill = len(smtp_server.received)

    resumed = (
        digest_time
        - timedelta(seconds=3)
        + timedelta(seconds=time.monotonic() - started)
    )
    second = agents(path, account.password, clock=resumed)
    wait_until(lambda: _all_sent(database, mails + 1), timeout=120)
    assert second.stop() == 0

    delivered = Counter(mail.message_id for mail in smtp_server.received)
    assert len(delivered) == mails + 1 and max(delivered.values()) == 1
    assert 5 <= at_kill < mails + 1
    digests = [
        m for m in smtp_server.received if m.rcpt_tos == ("maya@agency.example",)
    ]
    assert len(digests) == 1
    assert count(database, OutboxRow, OutboxRow.kind == DIGEST) == 1
    assert count(database, DigestRecord) == 1
    with database.session() as session:
        stored = session.scalars(
            select(Message.message_id).where(Message.direction == "outbound")
        ).all()
    assert sorted(stored) == sorted(delivered)


def _all_sent(database: Database, total: int) -> bool:
    return count(database, OutboxRow, OutboxRow.status == "sent") == total


def test_a_running_agent_reloads_edited_rules_and_keeps_them_when_invalid(
    account: ImapAccount,
    database: Database,
    tmp_path: Path,
    agents: Start,
    smtp_server: SmtpServer,
) -> None:
    config = installation(tmp_path, database.url, account, smtp_server)
    rules = tmp_path / "rules" / "e2e.yaml"
    agent = agents(config, account.password)
    agent.wait_for("watching INBOX with IDLE")

    rules.write_text(RULES.replace("trigger: message_received", "trigger: sometimes"))
    [error] = agent.wait_for("changed but are invalid")
    account.append(
        make_message(
            subject="Please help: first",
            message_id="<help-a@client.example>",
            date=datetime.now(UTC),
        )
    )
    wait_until(lambda: count(database, Ticket) == 1, timeout=15)
    rules.write_text(RULES.replace("queue: support", "queue: urgent"))
    agent.wait_for("changed: 2 rules reloaded")
    account.append(
        make_message(
            subject="Please help: second",
            message_id="<help-b@client.example>",
            date=datetime.now(UTC),
        )
    )
    wait_until(lambda: count(database, Ticket) == 2, timeout=15)

    assert f"{rules}:4: rule help-ticket: trigger: 'sometimes'" in error
    assert [r["level"] for r in agent.records() if r["message"] == error] == ["error"]
    with database.session() as session:
        queues = list(session.scalars(select(Ticket.queue).order_by(Ticket.id)))
    assert queues == ["support", "urgent"]
    assert agent.stop() == 0
