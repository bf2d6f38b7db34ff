"""`inbox-crm run` against a real Dovecot: IDLE, reconnects, polling, SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message, MessageLocation
from tests.agent.conftest import (
    AgentProcess,
    last_uid,
    stored,
    wait_until,
    write_config,
)
from tests.mailfactory import make_message
from tests.servers.dovecot import DovecotServer, ImapAccount
from tests.servers.proxy import FaultProxy

Start = Callable[..., AgentProcess]
# Polls so rare that only IDLE can deliver mail within a test.
IDLE_ONLY = {"poll_interval": 3600, "lease_duration": 30}
WATCHING = "watching INBOX with IDLE"


def arriving(number: int) -> bytes:
    return make_message(
        message_id=f"<arrival-{number}@client.example>",
        subject=f"Arrival {number}",
    )


def stored_ids(database: Database) -> set[str]:
    with database.session() as session:
        return set(session.scalars(select(Message.message_id)))


@pytest.fixture
def proxy(account: ImapAccount) -> Iterator[FaultProxy]:
    with FaultProxy(account.host, account.port) as running:
        yield running


def test_mail_appended_is_stored_within_the_idle_latency(
    account: ImapAccount, database: Database, tmp_path: Path, agents: Start
) -> None:
    account.append(arriving(1))
    config = write_config(tmp_path, database.url, account, agent=IDLE_ONLY)
    agent = agents(config, account.password)
    agent.wait_for(WATCHING)
    wait_until(lambda: stored(database) == 1, what="the mail already there")

    account.append(arriving(2))

    wait_until(lambda: "arrival-2@client.example" in stored_ids(database))
    assert agent.messages("new mail announced in INBOX (IDLE)")
    assert agent.stop() == 0
    assert agent.messages("stopped")


@pytest.mark.parametrize("hard", [False, True], ids=["soft", "hard"])
def test_idle_is_rebuilt_after_the_server_kicks_the_session(
    account: ImapAccount,
    sqlite_database: Database,
    tmp_path: Path,
    agents: Start,
    hard: bool,
) -> None:
    config = write_config(tmp_path, sqlite_database.url, account, agent=IDLE_ONLY)
    agent = agents(config, account.password)
    agent.wait_for(WATCHING)

    assert account.kick(hard=hard) >= 1
    agent.wait_for("IDLE connection lost")
    agent.wait_for(WATCHING, count=2)
    account.append(arriving(1))

    wait_until(lambda: stored(sqlite_database) == 1)
    assert agent.stop() == 0


def test_a_bye_ends_the_session_even_if_the_connection_stays_open(
    account: ImapAccount,
    sqlite_database: Database,
    tmp_path: Path,
    agents: Start,
    proxy: FaultProxy,
) -> None:
    config = write_config(
        tmp_path, sqlite_database.url, account, port=proxy.port, agent=IDLE_ONLY
    )
    agent = agents(config, account.password)
    agent.wait_for(WATCHING)
    connections = proxy.accepted

    assert proxy.inject(b"* BYE Server restarting\r\n") >= 1
    lost = agent.wait_for("IDLE connection lost")
    agent.wait_for(WATCHING, count=2)
    account.append(arriving(1))

    assert "BYE Server restarting" in lost[0]
    assert proxy.accepted > connections
    wait_until(lambda: stored(sqlite_database) == 1)
    assert agent.stop() == 0


def test_a_silent_connection_is_noticed_at_the_idle_renewal(
    account: ImapAccount,
    sqlite_database: Database,
    tmp_path: Path,
    agents: Start,
    proxy: FaultProxy,
) -> None:
    config = write_config(
        tmp_path,
        sqlite_database.url,
        account,
        port=proxy.port,
        agent={**IDLE_ONLY, "idle_renewal": 2},
        sync={"timeout": 2},
    )
    agent = agents(config, account.password)
    agent.wait_for(WATCHING)

    assert proxy.blackhole() >= 1
    account.append(arriving(1))

    lost = agent.wait_for("IDLE connection lost")
    assert "no answer within 2s" in lost[0]
    wait_until(lambda: stored(sqlite_database) == 1)
    assert agent.stop() == 0


def test_polls_on_the_interval_when_idle_is_off(
    account: ImapAccount, database: Database, tmp_path: Path, agents: Start
) -> None:
    settings = {"idle": False, "poll_interval": 1}
    config = write_config(tmp_path, database.url, account, agent=settings)
    agent = agents(config, account.password, "-v")
    agent.wait_for("sync done (start)")

    account.append(arriving(1))

    wait_until(lambda: stored(database) == 1)
    assert agent.wait_for("sync done (poll)")
    assert not agent.messages("IDLE")
    assert agent.stop() == 0


def test_polls_when_the_server_offers_no_idle(
    account: ImapAccount,
    sqlite_database: Database,
    tmp_path: Path,
    agents: Start,
) -> None:
    with FaultProxy(account.host, account.port, hide=["IDLE"]) as no_idle:
        settings = {"poll_interval": 1}
        config = write_config(
            tmp_path, sqlite_database.url, account, port=no_idle.port, agent=settings
        )
        agent = agents(config, account.password)
        agent.wait_for("the server offers no IDLE; polling every 1s")

        account.append(arriving(1))

        wait_until(lambda: stored(sqlite_database) == 1)
        assert not agent.messages(WATCHING)
        assert agent.stop() == 0


@pytest.mark.slow
def test_sigterm_mid_sync_stores_the_batch_in_hand_and_a_restart_repeats_nothing(
    account: ImapAccount, database: Database, tmp_path: Path, agents: Start
) -> None:
    total = 600
    start = datetime(2026, 1, 1, tzinfo=UTC)
    account.bulk_load(
        make_message(
            message_id=f"<bulk-{n}@client.example>",
            subject=f"Order {n}",
            date=start + timedelta(minutes=n),
        )
        for n in range(total)
    )
    config = write_config(
        tmp_path, database.url, account, agent=IDLE_ONLY, sync={"batch_size": 10}
    )
    first = agents(config, account.password)
    wait_until(lambda: stored(database) >= 30)

    assert first.stop(signal.SIGTERM) == 0

    interrupted = stored(database)
    assert interrupted < total
    # Every stored message is below the cursor and every UID below it stored.
    assert interrupted == last_uid(database)
    assert first.messages("sync stopped after the batch in hand")

    second = agents(config, account.password)
    wait_until(lambda: stored(database) == total, timeout=300)
    assert second.stop(signal.SIGINT) == 0
    with database.session() as session:
        distinct = session.scalar(select(func.count(func.distinct(Message.message_id))))
        locations = session.scalar(select(func.count(MessageLocation.id)))
    assert (stored(database), distinct, locations) == (total, total, total)


def test_the_password_never_reaches_the_log(
    dovecot: DovecotServer, sqlite_database: Database, tmp_path: Path, agents: Start
) -> None:
    account = dovecot.add_user("agentsecret", "Zr8-never-logged")
    try:
        config = write_config(tmp_path, sqlite_database.url, account, agent=IDLE_ONLY)
        agent = agents(config, account.password, "-vv")
        agent.wait_for(WATCHING)
        account.append(arriving(1))
        wait_until(lambda: stored(sqlite_database) == 1)
        assert agent.stop() == 0

        log = agent.log.read_text()
        assert "UID FETCH" in log  # the traffic was logged ...
        assert account.password not in log  # ... but never the secret
    finally:
        dovecot.remove_user(account.user)
