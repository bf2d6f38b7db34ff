"""Scheduling: missed runs coalesced, caught up once after downtime, failures apart.

The agent runs in this process with a job source of the test's own: the same
interface the mailbox jobs use.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inbox_crm.agent.jobs import AgentContext, Job, Watch, every
from inbox_crm.agent.models import JobState
from inbox_crm.agent.runner import Agent
from inbox_crm.agent.scheduler import make_scheduler
from inbox_crm.config import AgentConfig, Config
from inbox_crm.storage.db import Database

HOUR = 3600


def test_runs_missed_while_the_loop_was_blocked_are_coalesced_into_one() -> None:
    runs: list[float] = []

    async def scenario() -> None:
        scheduler = make_scheduler()
        scheduler.start()

        async def job() -> None:
            runs.append(time.monotonic())

        first = datetime.now(UTC) + timedelta(seconds=0.1)
        scheduler.add_job(job, every(0.2), next_run_time=first)
        # Seven runs fall due while the loop cannot run anything.
        time.sleep(1.5)
        await asyncio.sleep(0.15)
        scheduler.shutdown(wait=False)

    asyncio.run(scenario())

    assert len(runs) == 1


def config_for(database: Database, tmp_path: Path) -> Config:
    return Config(
        path=tmp_path / "inbox-crm.toml",
        database_url=database.url,
        agent=AgentConfig(lease_duration=3),
    )


def seed_last_run(database: Database, job_id: str, ago: timedelta) -> datetime:
    moment = datetime.now(UTC) - ago
    with database.session() as session, session.begin():
        session.add(JobState(job_id=job_id, last_started_at=moment, runs=1, failures=0))
    return moment


def job_state(database: Database, job_id: str) -> JobState | None:
    with database.session() as session:
        return session.get(JobState, job_id)


def source_of(*jobs: Job) -> Callable[[AgentContext], Iterator[Job | Watch]]:
    def source(context: AgentContext) -> Iterator[Job | Watch]:
        yield from jobs

    return source


def run_agents(
    agents: list[Agent], until: Callable[[], bool], timeout: float = 30
) -> None:
    """Run the agents on one loop until `until()` holds, then stop them."""

    async def scenario() -> None:
        tasks = [asyncio.create_task(agent.run()) for agent in agents]
        deadline = time.monotonic() + timeout
        while not until() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for agent in agents:
            agent.stop()
        await asyncio.gather(*tasks)

    asyncio.run(scenario())


def counting(runs: list[str], name: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        runs.append(name)

    return run


def test_a_run_missed_during_downtime_happens_once_at_start(
    database: Database, tmp_path: Path
) -> None:
    seed_last_run(database, "report.hourly", timedelta(hours=5))
    runs: list[str] = []
    job = Job("report.hourly", counting(runs, "a"), every(HOUR), "job:report")
    agent = Agent(config_for(database, tmp_path), database, (), [source_of(job)])
    scheduled: list[datetime | None] = []

    def caught_up() -> bool:
        scheduled.append(agent.scheduler.next_run("report.hourly"))
        state = job_state(database, "report.hourly")
        return state is not None and state.runs == 2

    run_agents([agent], until=caught_up)

    state = job_state(database, "report.hourly")
    assert runs == ["a"]
    assert state is not None and state.last_started_at is not None
    assert (state.last_trigger, state.last_outcome) == ("catch-up", "ok")
    # The next run is an hour after the catch-up, not another one at once.
    next_run = scheduled[-1]
    assert next_run is not None
    assert next_run - state.last_started_at > timedelta(minutes=59)


def test_a_run_not_yet_due_at_start_keeps_its_time(
    database: Database, tmp_path: Path
) -> None:
    last = seed_last_run(database, "report.hourly", timedelta(minutes=10))
    runs: list[str] = []
    job = Job("report.hourly", counting(runs, "a"), every(HOUR), "job:report")
    agent = Agent(config_for(database, tmp_path), database, (), [source_of(job)])
    scheduled: list[datetime | None] = []

    def next_run_known() -> bool:
        scheduled.append(agent.scheduler.next_run("report.hourly"))
        return scheduled[-1] is not None

    run_agents([agent], until=next_run_known)

    assert runs == []
    next_run = scheduled[-1]
    assert next_run is not None
    assert abs((next_run - (last + timedelta(hours=1))).total_seconds()) < 1


def test_a_failing_job_is_logged_and_recorded_and_the_others_go_on(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []

    async def broken() -> None:
        raise RuntimeError("the report template is missing")

    jobs = (
        Job("report.broken", broken, every(HOUR), "job:broken", run_at_start=True),
        Job("report.fine", counting(runs, "fine"), every(0.2), "job:fine"),
    )
    agent = Agent(config_for(database, tmp_path), database, (), [source_of(*jobs)])

    def done() -> bool:
        state = job_state(database, "report.broken")
        return len(runs) >= 2 and state is not None and state.last_outcome is not None

    with caplog.at_level(logging.INFO):
        run_agents([agent], until=done)

    state = job_state(database, "report.broken")
    assert state is not None
    assert state.last_outcome == "failed"
    assert state.last_error == "RuntimeError: the report template is missing"
    assert len(runs) >= 2
    failure = [
        r for r in caplog.records if r.getMessage() == "job report.broken failed"
    ]
    assert failure and failure[0].levelno == logging.ERROR
    assert failure[0].exc_info is not None


def test_two_agents_run_a_job_under_one_lease_on_one_agent_only(
    database: Database, tmp_path: Path
) -> None:
    runs: list[str] = []
    config = config_for(database, tmp_path)
    agents = [
        Agent(
            config,
            database,
            (),
            [source_of(Job("sweep", counting(runs, name), every(0.1), "job:sweep"))],
        )
        for name in ("a", "b")
    ]

    run_agents(agents, until=lambda: len(runs) >= 10)

    assert len(runs) >= 10
    assert len(set(runs)) == 1
