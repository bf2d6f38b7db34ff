"""A flush killed with SIGKILL at random moments delivers every mail exactly once.

The SMTP server files what it accepts in the Sent folder on Dovecot (as Gmail
does), so a mail left in doubt by a kill is found there or, when missing, was
not accepted and goes again. The server runs in this process; each flush runs
in a child process that is killed anywhere: connecting, in DATA, committing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inbox_crm.config import load_config
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message
from tests.outreach.conftest import PASSWORD_ENV, queue_one, write_config
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer

MAILS = 150
KILLS = 6


def run_flush(config: Path, password: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, **{PASSWORD_ENV: password})
    command = [sys.executable, "-m", "inbox_crm", "--config", str(config), "-q"]
    return subprocess.Popen(
        [*command, "outbox", "flush"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def statuses(database: Database) -> dict[str, int]:
    with database.session() as session:
        query = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        return {status: count for status, count in session.execute(query)}


@pytest.mark.slow
def test_sigkill_during_flushes_loses_and_repeats_nothing(
    database: Database,
    db_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    imap_account: ImapAccount,
) -> None:
    path = write_config(
        tmp_path,
        db_url,
        smtp_server,
        imap=imap_account,
        smtp_settings={"sent_copy": "server"},
        outreach={"in_doubt_wait": 0},
    )
    config = load_config(path)
    smtp_server.handler.file_to = lambda raw: imap_account.append(raw, "Sent")  # type: ignore[assignment]
    expected = set()
    for number in range(MAILS):
        row_id = queue_one(
            database, config, to=f"client{number}@client{number % 7}.example"
        )
        with database.session() as session:
            expected.add(session.get_one(OutboxRow, row_id).message_id)
    chance = random.Random(20261204)
    delivered_at_kill: list[int] = []

    for kill in range(KILLS):
        target = chance.randint(1, MAILS - 1) * (kill + 1) // KILLS
        process = run_flush(path, imap_account.password)
        deadline = time.monotonic() + 120
        while (
            process.poll() is None
            and len(smtp_server.received) < target
            and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        time.sleep(chance.uniform(0.0, 0.05))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        delivered_at_kill.append(len(smtp_server.received))

    final = run_flush(path, imap_account.password)
    _, errors = final.communicate(timeout=300)
    assert final.returncode == 0, errors.decode()

    delivered = Counter(mail.message_id for mail in smtp_server.received)
    assert set(delivered) == expected
    assert max(delivered.values()) == 1
    assert statuses(database) == {"sent": MAILS}
    # Each sent mail is stored once as an outbound message, and its row says so.
    with database.session() as session:
        stored = session.scalars(
            select(Message.message_id).where(Message.direction == "outbound")
        ).all()
        unlinked = session.scalar(
            select(func.count()).where(OutboxRow.stored_message_id.is_(None))
        )
    assert sorted(stored) == sorted(expected)
    assert unlinked == 0
    # The kills landed while mail was going out, not all before or after.
    assert any(0 < count < MAILS for count in delivered_at_kill), delivered_at_kill
