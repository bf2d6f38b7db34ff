"""`inbox-crm status` from another process, while an agent runs and after it stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from inbox_crm.agent.status import status_report
from inbox_crm.contacts.models import Contact, ReviewItem
from inbox_crm.ingest.pipeline import ensure_mailbox
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.storage.db import Database
from inbox_crm.storage.tracking import Activity
from tests.agent.conftest import AgentProcess, stored, wait_until, write_config
from tests.mailfactory import make_message
from tests.servers.dovecot import ImapAccount

Start = Callable[..., AgentProcess]
SETTINGS = {"poll_interval": 600, "lease_duration": 30}
NOT_MAIL = b"\x00\x01\x02 a core dump, not a mail\r\n"


def status(config: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "inbox_crm",
            "--config",
            str(config),
            "status",
            *options,
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
        timeout=60,
    )


def status_json(config: Path) -> dict[str, Any]:
    result = status(config, "--format", "json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    report: dict[str, Any] = json.loads(lines[0])
    return report


def test_status_shows_the_running_agent_its_lease_cursor_queues_and_next_run(
    account: ImapAccount, database: Database, tmp_path: Path, agents: Start
) -> None:
    account.append(make_message(message_id="<one@client.example>"))
    account.append(NOT_MAIL)
    config = write_config(tmp_path, database.url, account, agent=SETTINGS)
    agent = agents(config, account.password)
    agent_id = agent.agent_id()
    wait_until(lambda: stored(database) == 2)

    running = status_json(config)
    table = status(config)
    assert agent.stop() == 0
    stopped = status_json(config)

    [agent_row] = running["agents"]
    [mailbox] = running["mailboxes"]
    [job] = [job for job in running["jobs"] if job["id"] == "sync.work"]
    [cursor] = mailbox["cursors"]
    assert (agent_row["id"], agent_row["state"]) == (agent_id, "running")
    assert mailbox["lease_holder"] == agent_id
    assert mailbox["last_sync"] is not None and mailbox["last_error"] is None
    assert (cursor["folder"], cursor["last_uid"]) == ("INBOX", 2)
    assert cursor["uidvalidity"] == account.uidvalidity()
    assert running["queues"] == {
        "quarantined": 1,
        "outbox": 0,
        "outbox_in_doubt": 0,
        "review": 0,
        "activities_due": 0,
    }
    assert job["agent"] == agent_id and job["next_run"] is not None
    assert job["last_outcome"] == "ok"

    assert table.returncode == 0, table.stderr
    assert agent_id in table.stdout and "quarantined" in table.stdout
    assert "no agent is running" not in table.stdout

    [stopped_agent] = stopped["agents"]
    [stopped_job] = [job for job in stopped["jobs"] if job["id"] == "sync.work"]
    assert stopped_agent["state"] == "stopped"
    assert stopped["mailboxes"][0]["lease_holder"] is None
    assert stopped_job["next_run"] is None and stopped_job["last_outcome"] == "ok"
    assert "no agent is running" in status(config).stdout


def test_status_shows_why_the_last_sync_failed(
    account: ImapAccount, database: Database, tmp_path: Path, agents: Start
) -> None:
    config = write_config(tmp_path, database.url, account, agent=SETTINGS)
    agent = agents(config, "not the password")
    agent.wait_for("sync failed")

    report = status_json(config)

    [mailbox] = report["mailboxes"]
    assert "refused" in mailbox["last_error"]
    [job] = [job for job in report["jobs"] if job["id"] == "sync.work"]
    assert (
        job["last_outcome"] == "failed" and job["last_error"] == mailbox["last_error"]
    )
    assert agent.stop() == 0


def test_status_without_any_agent_or_sync_yet(
    account: ImapAccount, database: Database, tmp_path: Path
) -> None:
    config = write_config(tmp_path, database.url, account)

    report = status_json(config)

    assert report["agents"] == [] and report["jobs"] == []
    assert report["mailboxes"] == [
        {
            "name": "work",
            "configured": True,
            "last_sync": None,
            "last_error": None,
            "lease_holder": None,
            "lease_expires": None,
            "cursors": [],
        }
    ]
    assert report["queues"] == dict.fromkeys(
        ("quarantined", "outbox", "outbox_in_doubt", "review", "activities_due"), 0
    )


def test_queues_count_what_waits_for_a_send_a_decision_or_a_person(
    database: Database,
) -> None:
    now = datetime.now(UTC)
    with database.session() as session, session.begin():
        mailbox = ensure_mailbox(session, "work")
        contact = Contact(name="Ann Lee")
        session.add(contact)
        session.flush()
        for number, state in enumerate(["queued", "in_doubt", "sent", "failed"]):
            session.add(outbox_row(mailbox.id, number, state))
        # Being sent: one not yet offered to the server, one whose DATA was.
        session.add(outbox_row(mailbox.id, 4, "sending"))
        offered = outbox_row(mailbox.id, 5, "sending")
        offered.data_at = now
        session.add(offered)
        session.add_all(
            [
                ReviewItem(address="a@x.example", contact_id=contact.id, score=85),
                ReviewItem(
                    address="b@x.example",
                    contact_id=contact.id,
                    score=82,
                    status="rejected",
                ),
                Activity(kind="task", title="due", due_at=now - timedelta(hours=1)),
                Activity(kind="task", title="later", due_at=now + timedelta(days=1)),
                Activity(
                    kind="task",
                    title="done",
                    due_at=now - timedelta(days=1),
                    status="done",
                ),
            ]
        )

    with database.session() as session:
        report = status_report(session, ["work"], 30)

    assert report.queues == {
        "quarantined": 0,
        "outbox": 4,
        "outbox_in_doubt": 2,
        "review": 1,
        "activities_due": 1,
    }


def outbox_row(mailbox_id: int, number: int, status: str) -> OutboxRow:
    return OutboxRow(
        status=status,
        mailbox_id=mailbox_id,
        template="introduction",
        to_address=f"ann{number}@client.example",
        recipient_domain="client.example",
        from_address="maya@agency.example",
        subject="Hello",
        text="Hello",
        message_id=f"q{number}@agency.example",
        unsubscribe_token=f"token-{number}-xxxxxxxxxxxxxxxx",
    )
