"""The agent as a user runs it: `inbox-crm run` in a subprocess, logs as JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from inbox_crm.storage.db import Database, open_database
from inbox_crm.storage.models import Folder, Message
from tests.servers.dovecot import ImapAccount

PASSWORD_ENV = "INBOX_CRM_AGENT_TEST_PASSWORD"
DEADLINE = 60.0

T = TypeVar("T")


def write_config(
    directory: Path,
    db_url: str,
    account: ImapAccount,
    *,
    port: int | None = None,
    agent: dict[str, object] | None = None,
    sync: dict[str, object] | None = None,
    folders: tuple[str, ...] = ("INBOX",),
    name: str = "inbox-crm.toml",
    extra: str = "",
) -> Path:
    """A config with one mailbox `work` on the account (through `port` if given).

    `extra` is appended as it is: more tables, such as [mailboxes.work.smtp].
    """
    tables = {
        "database": {"url": db_url},
        "sync": {"timeout": 10, **(sync or {})},
        "agent": agent or {},
    }
    lines: list[str] = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
    lines += [
        "[mailboxes.work]",
        f'host = "{account.host}"',
        f"port = {port or account.port}",
        'security = "none"',
        f'username = "{account.user}"',
        f'password_env = "{PASSWORD_ENV}"',
        f"folders = {_toml(list(folders))}",
        'addresses = ["maya@agency.example"]',
    ]
    path = directory / name
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


class AgentProcess:
    """One `inbox-crm run` with its JSON log lines in a file.

    With `clock`, the process starts at that moment and its clock runs on
    from there (tests/agent/clock.py).
    """

    def __init__(
        self,
        config: Path,
        password: str,
        log: Path,
        *options: str,
        clock: datetime | None = None,
    ) -> None:
        self.log = log
        env = dict(os.environ, **{PASSWORD_ENV: password})
        program = ["-m", "inbox_crm"]
        if clock is not None:
            program = ["-m", "tests.agent.clock", clock.isoformat()]
        command = [sys.executable, *program, "--config", str(config)]
        command += ["--log-format", "json", *options, "run"]
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=output
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                records.append({"level": "raw", "message": line})
        return records

    def messages(self, fragment: str = "") -> list[str]:
        return [r["message"] for r in self.records() if fragment in r["message"]]

    def wait_for(
        self, fragment: str, count: int = 1, timeout: float = DEADLINE
    ) -> list[str]:
        """Wait until `count` log lines contain `fragment`; fail if the agent died."""

        def found() -> list[str] | None:
            if self.process.poll() is not None:
                raise AssertionError(f"the agent exited:\n{self.tail()}")
            lines = self.messages(fragment)
            return lines if len(lines) >= count else None

        return wait_until(
            found, timeout, lambda: f"{count} x {fragment!r}\n{self.tail()}"
        )

    def agent_id(self) -> str:
        line = self.wait_for("started:")[0]
        return line.split()[1]

    def stop(self, number: int = signal.SIGTERM, timeout: float = DEADLINE) -> int:
        if self.process.poll() is None:
            self.process.send_signal(number)
        return self.process.wait(timeout=timeout)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def wait_until(
    check: Callable[[], T | None],
    timeout: float = DEADLINE,
    what: str | Callable[[], str] = "",
) -> T:
    """Poll `check` until it returns a value other than None or False."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"not within {timeout:g}s: {said}")
        time.sleep(0.1)


def stored(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(Message.id))) or 0


def last_uid(database: Database, folder: str = "INBOX") -> int:
    with database.session() as session:
        return session.scalar(select(Folder.last_uid).where(Folder.name == folder)) or 0


@pytest.fixture
def account(imap_account: ImapAccount) -> ImapAccount:
    return imap_account


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """The test's database, migrated before any agent starts on it."""
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'agent.db'}")
    yield database
    database.dispose()


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Callable[..., AgentProcess]]:
    """Start agents; any still running at the end of the test is killed."""
    started: list[AgentProcess] = []

    def start(
        config: Path, password: str, *options: str, clock: datetime | None = None
    ) -> AgentProcess:
        log = tmp_path / f"agent-{len(started) + 1}.log"
        agent = AgentProcess(config, password, log, *options, clock=clock)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        if agent.process.poll() is None:
            agent.process.kill()
            agent.process.wait(timeout=30)
