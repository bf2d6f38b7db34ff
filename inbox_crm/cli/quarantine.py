"""`inbox-crm quarantine`: messages that could not be read, kept raw."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.errors import NotFoundError
from inbox_crm.export import iso_utc
from inbox_crm.ingest.reparse import reparse_quarantined
from inbox_crm.ingest.steps import configured_steps
from inbox_crm.storage.models import Mailbox, Message


@click.group("quarantine")
def quarantine_group() -> None:
    """Messages that could not be parsed: listed, shown raw, retried."""


@quarantine_group.command("list")
@FORMAT_OPTION
@pass_app
def list_command(app: AppContext, output_format: str) -> None:
    """Each quarantined message with its reason."""
    query = (
        select(Message, Mailbox.name)
        .join(Mailbox, Mailbox.id == Message.mailbox_id)
        .where(Message.quarantined.is_(True))
        .order_by(Message.id)
    )
    with app.database.reading() as session:
        records = [
            {
                "id": message.id,
                "mailbox": mailbox,
                "date": iso_utc(message.date),
                "size": message.size,
                "reason": message.quarantine_reason,
            }
            for message, mailbox in session.execute(query)
        ]
    if output_format == "json":
        print_json_lines(records)
        return
    if not records:
        click.echo("no quarantined messages")
        return
    table = Table("id", "mailbox", "found (UTC)", "size", "reason")
    for record in records:
        table.add_row(
            str(record["id"]),
            str(record["mailbox"]),
            str(record["date"])[:16].replace("T", " "),
            str(record["size"]),
            str(record["reason"]),
        )
    Console().print(table)


@quarantine_group.command("show")
@click.argument("message_id", type=int)
@pass_app
def show_command(app: AppContext, message_id: int) -> None:
    """Write the raw source of stored message MESSAGE_ID to standard output."""
    with app.database.reading() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise NotFoundError(
                f"no message {message_id} (see `inbox-crm messages list`)"
            )
        sys.stdout.buffer.write(message.source.raw)


@quarantine_group.command("retry")
@pass_app
def retry_command(app: AppContext) -> None:
    """Parse every quarantined message again (after an upgrade, say).

    A message that now parses leaves the quarantine and is classified,
    threaded, linked and seen by the rules like any other, under a new id.
    """
    config = app.config
    window = timedelta(days=config.sync.thread_window_days)
    addresses = {name: box.addresses for name, box in config.mailboxes.items()}
    steps = configured_steps(config)
    released, remaining = reparse_quarantined(
        app.database, window, addresses, steps.linker, steps.observers
    )
    click.echo(f"{released} released from quarantine, {remaining} still quarantined")
