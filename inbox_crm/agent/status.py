"""What `inbox-crm status` reports: agents, mailboxes and cursors, queues, jobs.

It reads only the database, so it works from any process or machine while an
agent runs elsewhere: the agent writes its heartbeat, its leases and the next
run of each job it schedules there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_crm.agent.leases import database_now, leases
from inbox_crm.agent.mailbox import mailbox_lease, sync_job_id
from inbox_crm.agent.models import AgentRecord, JobState
from inbox_crm.contacts.models import ReviewItem
from inbox_crm.outreach.counts import outbox_counts
from inbox_crm.storage.models import Folder, Mailbox, Message
from inbox_crm.storage.tracking import Activity

# Agents silent for longer than this are left out of the report.
AGENT_MEMORY = timedelta(days=1)

QueueCount = Callable[[Session], int]


def quarantined(session: Session) -> int:
    query = select(func.count(Message.id)).where(Message.quarantined.is_(True))
    return session.scalar(query) or 0


def outbox(session: Session) -> int:
    """Mail not sent yet: queued, being sent, or in doubt."""
    return outbox_counts(session).unsent


def outbox_in_doubt(session: Session) -> int:
    """Mail the server may have accepted, nobody knows yet (a person may decide)."""
    return outbox_counts(session).in_doubt


def review(session: Session) -> int:
    query = select(func.count(ReviewItem.id)).where(ReviewItem.status == "pending")
    return session.scalar(query) or 0


def activities_due(session: Session) -> int:
    """Open activities whose due time has come."""
    query = select(func.count(Activity.id)).where(
        Activity.status == "open", Activity.due_at <= database_now(session)
    )
    return session.scalar(query) or 0


# Each queue a user may need to look at: its name in the report and its count.
QUEUES: tuple[tuple[str, QueueCount], ...] = (
    ("quarantined", quarantined),
    ("outbox", outbox),
    ("outbox_in_doubt", outbox_in_doubt),
    ("review", review),
    ("activities_due", activities_due),
)


@dataclass(frozen=True)
class CursorStatus:
    """Where the sync of one folder stands."""

    folder: str
    uidvalidity: int | None
    last_uid: int
    uidnext: int | None
    last_sync: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class MailboxStatus:
    """One mailbox: last sync, its error, who holds its lease, its cursors."""

    name: str
    configured: bool
    last_sync: datetime | None
    last_error: str | None
    lease_holder: str | None
    lease_expires: datetime | None
    cursors: list[CursorStatus] = field(default_factory=list)


@dataclass(frozen=True)
class AgentStatus:
    """One agent process: running, stopped, or silent (crashed or cut off)."""

    id: str
    host: str
    pid: int
    version: str
    state: str
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None


@dataclass(frozen=True)
class JobStatus:
    """A job's last run, and its next one while a running agent schedules it."""

    id: str
    agent: str | None
    next_run: datetime | None
    last_started: datetime | None
    last_finished: datetime | None
    last_trigger: str | None
    last_outcome: str | None
    last_error: str | None
    runs: int
    failures: int


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    agents: list[AgentStatus]
    mailboxes: list[MailboxStatus]
    queues: dict[str, int]
    jobs: list[JobStatus]


def status_report(
    session: Session, configured: Sequence[str], lease_duration: float
) -> StatusReport:
    """The whole report; an agent is running if it beat within `lease_duration`."""
    now = database_now(session)
    agents = _agents(session, now, timedelta(seconds=lease_duration))
    running = {agent.id for agent in agents if agent.state == "running"}
    jobs = _jobs(session, running)
    return StatusReport(
        generated_at=now,
        agents=agents,
        mailboxes=_mailboxes(session, configured, {j.id: j for j in jobs}, now),
        queues={name: count(session) for name, count in QUEUES},
        jobs=jobs,
    )


def _agents(session: Session, now: datetime, alive: timedelta) -> list[AgentStatus]:
    query = (
        select(AgentRecord)
        .where(AgentRecord.heartbeat_at >= now - AGENT_MEMORY)
        .order_by(AgentRecord.started_at)
    )
    return [
        AgentStatus(
            id=record.id,
            host=record.host,
            pid=record.pid,
            version=record.version,
            state=_agent_state(record, now, alive),
            started_at=record.started_at,
            heartbeat_at=record.heartbeat_at,
            stopped_at=record.stopped_at,
        )
        for record in session.scalars(query)
    ]


def _agent_state(record: AgentRecord, now: datetime, alive: timedelta) -> str:
    if record.stopped_at is not None:
        return "stopped"
    return "running" if record.heartbeat_at >= now - alive else "silent"


def _jobs(session: Session, running: set[str]) -> list[JobStatus]:
    states = session.scalars(select(JobState).order_by(JobState.job_id))
    return [
        JobStatus(
            id=state.job_id,
            agent=state.agent_id if state.agent_id in running else None,
            next_run=state.next_run_at if state.agent_id in running else None,
            last_started=state.last_started_at,
            last_finished=state.last_finished_at,
            last_trigger=state.last_trigger,
            last_outcome=state.last_outcome,
            last_error=state.last_error,
            runs=state.runs,
            failures=state.failures,
        )
        for state in states
    ]


def _mailboxes(
    session: Session,
    configured: Sequence[str],
    jobs: dict[str, JobStatus],
    now: datetime,
) -> list[MailboxStatus]:
    stored = {mailbox.name: mailbox for mailbox in session.scalars(select(Mailbox))}
    held = leases(session)
    report = []
    for name in [*configured, *sorted(set(stored) - set(configured))]:
        mailbox = stored.get(name)
        cursors = _cursors(session, mailbox.id) if mailbox is not None else []
        syncs = [cursor.last_sync for cursor in cursors if cursor.last_sync]
        job = jobs.get(sync_job_id(name))
        failed = job is not None and job.last_outcome == "failed"
        lease = held.get(mailbox_lease(name))
        live = lease is not None and _live(lease.owner, lease.expires_at, now)
        report.append(
            MailboxStatus(
                name=name,
                configured=name in configured,
                last_sync=max(syncs) if syncs else None,
                last_error=job.last_error if failed and job else None,
                lease_holder=lease.owner if live and lease else None,
                lease_expires=lease.expires_at if live and lease else None,
                cursors=cursors,
            )
        )
    return report


def _live(owner: str | None, expires: datetime | None, now: datetime) -> bool:
    return owner is not None and expires is not None and expires > now


def _cursors(session: Session, mailbox_id: int) -> list[CursorStatus]:
    query = select(Folder).where(Folder.mailbox_id == mailbox_id).order_by(Folder.name)
    return [
        CursorStatus(
            folder=folder.name,
            uidvalidity=folder.uidvalidity,
            last_uid=folder.last_uid,
            uidnext=folder.uidnext,
            last_sync=folder.last_sync_at,
            last_error=folder.last_error,
        )
        for folder in session.scalars(query)
    ]
