"""What the agent writes down for `inbox-crm status`: heartbeat, job runs, next runs."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from inbox_crm import __version__
from inbox_crm.agent.leases import database_now
from inbox_crm.agent.models import AgentRecord, JobState
from inbox_crm.storage.db import Database

ERROR_LENGTH = 2000
AGENT_MEMORY = timedelta(days=7)


class JobRecorder:
    """Records each job run by job id, the last outcome and the next run."""

    def __init__(
        self,
        database: Database,
        agent_id: str,
        next_run: Callable[[str], datetime | None] | None = None,
    ) -> None:
        self.database = database
        self.agent_id = agent_id
        self.next_run = next_run

    def started(self, job_id: str, trigger: str) -> None:
        with self.database.session() as session, session.begin():
            state = _state(session, job_id)
            state.agent_id = self.agent_id
            state.last_started_at = database_now(session)
            state.last_trigger = trigger

    def finished(self, job_id: str, error: str | None) -> None:
        """The run ended: ok when `error` is None, failed otherwise."""
        next_run = self.next_run(job_id) if self.next_run else None
        with self.database.session() as session, session.begin():
            state = _state(session, job_id)
            state.last_finished_at = database_now(session)
            state.last_outcome = "ok" if error is None else "failed"
            state.last_error = None if error is None else error[:ERROR_LENGTH]
            state.runs = (state.runs or 0) + 1
            if error is not None:
                state.failures = (state.failures or 0) + 1
            if next_run is not None:
                state.next_run_at = next_run

    def last_started(self, job_ids: Iterable[str]) -> dict[str, datetime | None]:
        ids = list(job_ids)
        with self.database.session() as session:
            rows = session.execute(
                select(JobState.job_id, JobState.last_started_at).where(
                    JobState.job_id.in_(ids)
                )
            )
            found = {job_id: started for job_id, started in rows}
        return {job_id: found.get(job_id) for job_id in ids}

    def scheduled(self, next_runs: Mapping[str, datetime | None]) -> None:
        """Write when each of this agent's jobs runs next."""
        with self.database.session() as session, session.begin():
            for job_id, next_run in next_runs.items():
                state = _state(session, job_id)
                state.agent_id = self.agent_id
                state.next_run_at = next_run

    def unscheduled(self, job_ids: Iterable[str] | None = None) -> None:
        """Forget the next runs of jobs this agent no longer schedules (all: None)."""
        statement = update(JobState).where(JobState.agent_id == self.agent_id)
        if job_ids is not None:
            statement = statement.where(JobState.job_id.in_(list(job_ids)))
        with self.database.session() as session, session.begin():
            session.execute(
                statement.values(agent_id=None, next_run_at=None).execution_options(
                    synchronize_session=False
                )
            )


def agent_started(database: Database, agent_id: str) -> None:
    """Register this agent, and forget agents silent for longer than a week."""
    with database.session() as session, session.begin():
        now = database_now(session)
        session.execute(
            delete(AgentRecord).where(AgentRecord.heartbeat_at < now - AGENT_MEMORY)
        )
        session.add(
            AgentRecord(
                id=agent_id,
                host=socket.gethostname(),
                pid=os.getpid(),
                version=__version__,
                started_at=now,
                heartbeat_at=now,
            )
        )


def heartbeat(session: Session, agent_id: str) -> None:
    """A write first: on SQLite the transaction then holds the write lock."""
    session.execute(
        update(AgentRecord)
        .where(AgentRecord.id == agent_id)
        .values(heartbeat_at=database_now(session))
        .execution_options(synchronize_session=False)
    )


def agent_stopped(database: Database, agent_id: str) -> None:
    with database.session() as session, session.begin():
        record = session.get_one(AgentRecord, agent_id)
        record.stopped_at = database_now(session)


def _state(session: Session, job_id: str) -> JobState:
    state = session.get(JobState, job_id)
    if state is None:
        state = JobState(job_id=job_id, runs=0, failures=0)
        session.add(state)
    return state
