"""Rows the agent keeps: leases, running agents and the state of each job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inbox_crm.storage.models import Base, UTCDateTime


class Lease(Base):
    """Who works a resource (a mailbox, a job) until when.

    An agent holds a lease by renewing it before `expires_at`; another agent
    takes it over only once it has expired. `owner` is NULL after a release.
    """

    __tablename__ = "leases"

    resource: Mapped[str] = mapped_column(String(300), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AgentRecord(Base):
    """One `inbox-crm run` process, with the heartbeat `status` reads."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobState(Base):
    """The last run and the next one of a scheduled job, by its stable id.

    `agent_id` and `next_run_at` say which agent has the job scheduled and
    when it runs next; both are cleared when that agent lets the job go.
    """

    __tablename__ = "job_states"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_trigger: Mapped[str | None] = mapped_column(String(50))
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
