"""Two `inbox-crm run` processes on one PostgreSQL database share the mailboxes.

Each mailbox is worked by exactly one of them; when that one dies without a
word (SIGKILL), the other takes the mailbox over once the lease has expired.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inbox_crm.agent.leases import leases
from inbox_crm.storage.db import Database, open_database
from tests.agent.conftest import AgentProcess, stored, wait_until, write_config
from tests.mailfactory import make_message
from tests.servers import postgres
from tests.servers.dovecot import ImapAccount

Start = Callable[..., AgentProcess]
SETTINGS = {"lease_duration": 3, "poll_interval": 1, "idle_renewal": 60}


@pytest.fixture
def shared_database(postgres_server: None) -> Iterator[Database]:
    with postgres.throwaway_database() as url:
        database = open_database(url)
        yield database
        database.dispose()


def holder(database: Database) -> str | None:
    with database.session() as session:
        lease = leases(session).get("mailbox:work")
        return lease.owner if lease else None


def worked_by(agent: AgentProcess) -> list[str]:
    """Log lines in which the agent worked the mailbox."""
    words = ("sync done", "stored:", "watching INBOX")
    return [line for line in agent.messages() if any(w in line for w in words)]


def test_one_mailbox_is_worked_by_exactly_one_agent_and_taken_over_after_a_crash(
    account: ImapAccount, shared_database: Database, tmp_path: Path, agents: Start
) -> None:
    config = write_config(tmp_path, shared_database.url, account, agent=SETTINGS)
    first = agents(config, account.password, "-v")
    first_id = first.agent_id()
    wait_until(lambda: holder(shared_database) == first_id)
    second = agents(config, account.password, "-v")
    second_id = second.agent_id()
    second.wait_for(f"mailbox:work: held by {first_id}")

    account.append(make_message(message_id="<before-crash@client.example>"))
    wait_until(lambda: stored(shared_database) == 1)
    # Several lease rounds and polls pass with both agents up.
    second.wait_for("job agent.leases done", count=4)

    assert worked_by(first)
    assert worked_by(second) == []
    assert holder(shared_database) == first_id

    first.stop(signal.SIGKILL)
    second.wait_for(f"mailbox:work: lease taken over from {first_id}")
    account.append(make_message(message_id="<after-crash@client.example>"))

    wait_until(lambda: stored(shared_database) == 2)
    assert holder(shared_database) == second_id
    assert any("stored:" in line for line in worked_by(second))
    assert second.stop() == 0
