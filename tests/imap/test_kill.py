"""A sync killed with SIGKILL at random moments loses and repeats nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inbox_crm.storage.db import open_database
from inbox_crm.storage.models import Message, MessageLocation
from tests.mailfactory import make_message
from tests.servers.dovecot import ImapAccount

MESSAGES = 2000
KILLS = 5
START = datetime(2026, 1, 1, tzinfo=UTC)


def write_config(tmp_path: Path, account: ImapAccount, db_url: str) -> Path:
    path = tmp_path / "inbox-crm.toml"
    path.write_text(
        f"""
[database]
url = "{db_url}"

[sync]
batch_size = 40

[mailboxes.work]
host = "{account.host}"
port = {account.port}
security = "none"
username = "{account.user}"
password_env = "KILL_TEST_PASSWORD"
folders = ["INBOX"]
""",
        encoding="utf-8",
    )
    return path


def run_sync(config: Path, password: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, KILL_TEST_PASSWORD=password)
    return subprocess.Popen(
        [sys.executable, "-m", "inbox_crm", "--config", str(config), "-q", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def counts(db_url: str) -> tuple[int, int, int]:
    database = open_database(db_url, upgrade=False)
    try:
        with database.session() as session:
            messages = session.scalar(select(func.count(Message.id))) or 0
            distinct = session.scalar(
                select(func.count(func.distinct(Message.message_id)))
            )
            locations = session.scalar(select(func.count(MessageLocation.id))) or 0
        return messages, distinct or 0, locations
    finally:
        database.dispose()


def wait_until_stored(
    db_url: str, process: subprocess.Popen[bytes], target: int
) -> None:
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if counts(db_url)[0] >= target:
            return
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_at_random_moments_then_complete(
    imap_account: ImapAccount, db_url: str, tmp_path: Path
) -> None:
    imap_account.bulk_load(
        make_message(
            message_id=f"<k{n}@client.example>",
            subject=f"Order {n}",
            date=START + timedelta(minutes=n),
        )
        for n in range(MESSAGES)
    )
    config = write_config(tmp_path, imap_account, db_url)
    open_database(db_url).dispose()  # the schema, so progress can be watched
    chance = random.Random(20261203)
    partial: list[int] = []

    for kill in range(KILLS):
        # Aim each kill at a random point of the remaining work, then add a
        # random delay so it lands anywhere in a batch (fetch, parse, commit).
        target = chance.randint(1, MESSAGES - 1) * (kill + 1) // KILLS
        process = run_sync(config, imap_account.password)
        wait_until_stored(db_url, process, target)
        time.sleep(chance.uniform(0.0, 0.3))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        partial.append(counts(db_url)[0])
        if partial[-1] == MESSAGES:
            break

    final = run_sync(config, imap_account.password)
    _, errors = final.communicate(timeout=300)
    assert final.returncode == 0, errors.decode()

    assert counts(db_url) == (MESSAGES, MESSAGES, MESSAGES)
    # The kills landed mid-sync: some runs left part of the mailbox stored.
    assert any(0 < stored < MESSAGES for stored in partial), partial
    assert partial == sorted(partial)
