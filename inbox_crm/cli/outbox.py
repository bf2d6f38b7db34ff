"""`inbox-crm outbox`: the queue of outreach mail, listed, retried, cancelled, sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.cli.sending import send_row
from inbox_crm.errors import NotFoundError, OutreachError
from inbox_crm.ingest.steps import configured_steps
from inbox_crm.outreach import manage
from inbox_crm.outreach.counts import is_in_doubt, outbox_counts
from inbox_crm.outreach.flush import Flusher
from inbox_crm.outreach.models import IN_DOUBT, STATUSES, OutboxRow
from inbox_crm.outreach.records import outbox_record
from inbox_crm.storage.models import Mailbox

Action = Callable[[Session, int], OutboxRow]


@click.group("outbox")
def outbox_group() -> None:
    """Outreach mail waiting, sent, failed or in doubt."""


@outbox_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only rows in this status (repeatable).",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@FORMAT_OPTION
@pass_app
def list_command(
    app: AppContext, statuses: tuple[str, ...], limit: int, output_format: str
) -> None:
    """The newest outbox rows first, with status, recipient and reason."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if statuses:
        query = query.where(OutboxRow.status.in_(statuses))
    with app.database.reading() as session:
        rows = list(session.scalars(query))
        records = [outbox_record(row) for row in rows]
        doubtful = {row.id for row in rows if is_in_doubt(row)}
        counts = outbox_counts(session)
    if output_format == "json":
        print_json_lines(records)
        return
    if not records:
        click.echo("the outbox is empty" if not statuses else "no such rows")
        return
    table = Table(
        "id",
        "status",
        "due / sent (UTC)",
        "to",
        "template",
        "subject",
        "tries",
        "reason",
    )
    for record in records:
        moment = record["sent_at"] or record["due_at"] or ""
        status = record["status"]
        if record["id"] in doubtful and status != IN_DOUBT:
            status += " (in doubt)"
        table.add_row(
            str(record["id"]),
            status,
            moment[:16].replace("T", " "),
            record["to"]["address"],
            record["template"],
            record["subject"][:40],
            str(record["attempts"]),
            (record["reason"] or "")[:80],
        )
    Console().print(table)
    if counts.in_doubt:
        click.echo(
            f"{counts.in_doubt} in doubt: the server may have delivered them. "
            "`inbox-crm outbox flush` looks for them in the Sent folder; "
            "otherwise decide with `outbox retry --in-doubt ID` or `outbox cancel ID`.",
            err=True,
        )


@outbox_group.command("show")
@click.argument("row_id", metavar="ID", type=int)
@FORMAT_OPTION
@pass_app
def show_command(app: AppContext, row_id: int, output_format: str) -> None:
    """Everything about outbox row ID, the text of the mail included."""
    with app.database.reading() as session:
        row = session.get(OutboxRow, row_id)
        if row is None:
            raise NotFoundError(
                f"no outreach {row_id} in the outbox (see `inbox-crm outbox list`)"
            )
        record = outbox_record(row, full=True)
    if output_format == "json":
        print_json_lines([record])
        return
    for key in (
        "id",
        "status",
        "template",
        "rule",
        "subject",
        "message_id",
        "in_reply_to",
        "thread_id",
        "due_at",
        "sent_at",
        "attempts",
        "smtp_reply",
        "reason",
    ):
        click.echo(f"{key}: {record[key] if record[key] is not None else ''}")
    click.echo(f"to: {record['to']['name']} <{record['to']['address']}>")
    click.echo(f"from: {record['from']['name']} <{record['from']['address']}>")
    click.echo("")
    click.echo(record["text"])


@outbox_group.command("retry")
@click.argument("row_ids", metavar="ID...", type=int, nargs=-1, required=True)
@click.option(
    "--in-doubt",
    is_flag=True,
    help="Also send rows in doubt again (they may have been delivered already).",
)
@click.option(
    "--queue-only",
    is_flag=True,
    help="Only queue them again; the agent or `outbox flush` sends them.",
)
@pass_app
def retry_command(
    app: AppContext, row_ids: tuple[int, ...], in_doubt: bool, queue_only: bool
) -> None:
    """Queue failed rows (and, with --in-doubt, rows in doubt) again and send them.

    Each is sent at once from its mailbox, as `outreach send` does; with
    --queue-only it waits for the agent or `outbox flush`. Exits 1 if a row
    could not be queued again or sent.
    """

    def again(session: Session, row_id: int) -> OutboxRow:
        return manage.retry(session, row_id, in_doubt=in_doubt)

    queued, problems = _each(app, row_ids, again, "queued again")
    if not queue_only:
        problems += sum(1 for row_id in queued if not _send_again(app, row_id))
    if problems:
        raise SystemExit(1)


def _send_again(app: AppContext, row_id: int) -> bool:
    """Send one row queued again now; False if it could not be sent."""
    with app.database.reading() as session:
        row = session.get_one(OutboxRow, row_id)
        name = session.get_one(Mailbox, row.mailbox_id).name
        to = row.to_address
    mailbox = app.config.mailboxes.get(name)
    if mailbox is None or mailbox.smtp is None:
        click.echo(
            f"outreach {row_id} not sent: mailbox {name!r} cannot send with "
            f"{app.config.path} (no [mailboxes.{name}.smtp] table)",
            err=True,
        )
        return False
    sent = send_row(app, mailbox, row_id)
    if sent.status == "sent":
        click.echo(f"outreach {row_id} sent to {to}")
        return True
    detail = sent.detail
    if sent.status == "queued" and sent.report.deferred:
        detail = "; held back by the rate limits, `inbox-crm outbox flush` sends it"
    click.echo(f"outreach {row_id} to {to} is {sent.status}{detail}")
    return not sent.failed


@outbox_group.command("cancel")
@click.argument("row_ids", metavar="ID...", type=int, nargs=-1, required=True)
@pass_app
def cancel_command(app: AppContext, row_ids: tuple[int, ...]) -> None:
    """Cancel rows that were not sent (queued, failed or in doubt)."""
    _, problems = _each(app, row_ids, manage.cancel, "cancelled")
    if problems:
        raise SystemExit(1)


@outbox_group.command("flush")
@click.option(
    "--mailbox",
    "names",
    multiple=True,
    metavar="NAME",
    help="Only this mailbox (repeatable). Default: every mailbox that can send.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), help="Send at most this many per mailbox."
)
@pass_app
def flush_command(app: AppContext, names: tuple[str, ...], limit: int | None) -> None:
    """Send what is due now, once; settle earlier sends left in doubt.

    Rows that get a temporary failure wait for a later flush (with backoff);
    rate limits hold the rest back. Exits 1 when a mailbox could not send.
    """
    config = app.config
    mailboxes = [config.mailbox(name) for name in names] or [
        box for box in config.mailboxes.values() if box.smtp is not None
    ]
    if not mailboxes:
        raise click.UsageError(
            f"{config.path}: no mailbox has an [mailboxes.NAME.smtp] table"
        )
    failed = False
    steps = configured_steps(config)
    for mailbox in mailboxes:
        flusher = Flusher(app.database, config, mailbox, limit=limit, steps=steps)
        report = asyncio.run(flusher.run())
        click.echo(report.summary())
        failed = failed or report.error is not None
    if failed:
        raise SystemExit(1)


def _each(
    app: AppContext, row_ids: tuple[int, ...], act: Action, done: str
) -> tuple[list[int], int]:
    """Act on each row in a transaction of its own: the rows done, the problems."""
    succeeded: list[int] = []
    problems = 0
    for row_id in row_ids:
        try:
            with app.database.session() as session, session.begin():
                act(session, row_id)
        except OutreachError as exc:
            click.echo(f"error: {exc}", err=True)
            problems += 1
            continue
        click.echo(f"outreach {row_id} {done}")
        succeeded.append(row_id)
    return succeeded, problems
