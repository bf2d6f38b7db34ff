"""`inbox-crm status`: mailboxes, cursors, leases, queues and jobs at a glance."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from inbox_crm.agent.status import StatusReport, status_report
from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app
from inbox_crm.export import iso_utc


@click.command("status")
@FORMAT_OPTION
@pass_app
def status_command(app: AppContext, output_format: str) -> None:
    """Per mailbox the last sync, cursors, last error and lease; queues; jobs.

    Reads the database only, so it shows an agent running in another process
    or on another machine: its heartbeat and the next run of each job.
    `--format json` prints the whole report as one JSON object.
    """
    config = app.config
    with app.database.reading() as session:
        report = status_report(
            session, list(config.mailboxes), config.agent.lease_duration
        )
    if output_format == "json":
        click.echo(json.dumps(_jsonable(asdict(report)), ensure_ascii=False))
        return
    _print(report, Console())


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _print(report: StatusReport, console: Console) -> None:
    running = [agent for agent in report.agents if agent.state == "running"]
    if not running:
        console.print("no agent is running (start one with `inbox-crm run`)")
    if report.agents:
        agents = _table("agent", "state", "started (UTC)", "heartbeat (UTC)")
        for agent in report.agents:
            agents.add_row(
                agent.id,
                agent.state,
                _when(agent.started_at),
                _when(agent.heartbeat_at),
            )
        console.print(agents)

    mailboxes = _table("mailbox", "last sync (UTC)", "lease holder", "last error")
    cursors = _table("mailbox", "folder", "uidvalidity", "last uid", "synced (UTC)")
    for mailbox in report.mailboxes:
        name = (
            mailbox.name if mailbox.configured else f"{mailbox.name} (not configured)"
        )
        mailboxes.add_row(
            name,
            _when(mailbox.last_sync),
            mailbox.lease_holder or "-",
            mailbox.last_error or "-",
        )
        for cursor in mailbox.cursors:
            cursors.add_row(
                mailbox.name,
                cursor.folder
                + (f" (error: {cursor.last_error})" if cursor.last_error else ""),
                _text(cursor.uidvalidity),
                str(cursor.last_uid),
                _when(cursor.last_sync),
            )
    console.print(mailboxes)
    console.print(cursors)

    queues = _table("queue", "size")
    for name, size in report.queues.items():
        queues.add_row(name, str(size))
    console.print(queues)

    jobs = _table("job", "next run (UTC)", "last run (UTC)", "trigger", "outcome")
    for job in report.jobs:
        outcome = job.last_outcome or "-"
        if job.last_error:
            outcome = f"{outcome}: {job.last_error}"
        jobs.add_row(
            job.id,
            _when(job.next_run),
            _when(job.last_started),
            job.last_trigger or "-",
            outcome,
        )
    console.print(jobs)


def _table(*headers: str) -> Table:
    table = Table()
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def _when(moment: datetime | None) -> str:
    return iso_utc(moment)[:19].replace("T", " ") if moment else "-"


def _text(value: object) -> str:
    return "-" if value is None else str(value)
