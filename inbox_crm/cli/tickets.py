"""`inbox-crm tickets`: list, show, close and reopen tickets."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.cli.work import find_ticket, run_ticket_rules
from inbox_crm.storage.models import Message
from inbox_crm.tickets.records import ticket_events, ticket_record, tickets_query
from inbox_crm.tickets.service import Tickets
from inbox_crm.tickets.tokens import STATUSES
from inbox_crm.wording import counted


@click.group("tickets")
def tickets_group() -> None:
    """Tracked requests opened by rules from incoming mail."""


@tickets_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([*STATUSES, "all"]),
    help="Only these statuses (repeatable) [default: open and pending].",
)
@click.option("--assignee", metavar="USER", help="Only tickets of this user.")
@click.option("--queue", metavar="NAME", help="Only this queue.")
@FORMAT_OPTION
@pass_app
def list_command(
    app: AppContext,
    statuses: tuple[str, ...],
    assignee: str | None,
    queue: str | None,
    output_format: str,
) -> None:
    """Tickets by number, with status, priority, assignee and subject."""
    wanted = statuses or ("open", "pending")
    if "all" in wanted:
        wanted = ()
    prefix = app.config.tickets.prefix
    with app.database.reading() as session:
        records = [
            ticket_record(session, ticket, prefix)
            for ticket in session.scalars(tickets_query(wanted, assignee, queue))
        ]
    if output_format == "json":
        print_json_lines(records)
        return
    table = Table("ticket", "status", "priority", "queue", "assignee", "subject")
    for record in records:
        table.add_row(
            record["number"],
            record["status"],
            record["priority"],
            record["queue"],
            record["assignee"] or "",
            record["subject"][:60],
        )
    Console().print(table)


@tickets_group.command("show")
@click.argument("ticket")
@FORMAT_OPTION
@pass_app
def show_command(app: AppContext, ticket: str, output_format: str) -> None:
    """One ticket (T-12, or 12): details, its messages and its history."""
    with app.database.reading() as session:
        row = find_ticket(app, session, ticket)
        record = ticket_record(session, row, app.config.tickets.prefix)
        record["events"] = ticket_events(session, row)
        subjects = {
            message.id: (message.date, message.direction, message.subject)
            for message in (session.get(Message, i) for i in record["messages"])
            if message is not None
        }
    if output_format == "json":
        print_json_lines([record])
        return
    click.echo(f"{record['number']}  {record['subject']}")
    for key in ("status", "priority", "queue", "assignee", "requester", "mailbox"):
        click.echo(f"  {key}: {record[key] or '-'}")
    click.echo(f"  opened: {record['opened_at']}  updated: {record['updated_at']}")
    if record["rule"]:
        click.echo(f"  opened by rule {record['rule']['id']}")
    click.echo("messages:")
    for message_id, (date, direction, subject) in subjects.items():
        arrow = "->" if direction == "outbound" else "<-"
        click.echo(f"  {message_id:>6} {date:%Y-%m-%d %H:%M} {arrow} {subject}")
    click.echo("history:")
    for event in record["events"]:
        click.echo(
            f"  {event['at']} {event['change']}: {event['old'] or '-'} -> "
            f"{event['new'] or '-'} ({event['by']})"
        )


@tickets_group.command("close")
@click.argument("ticket")
@click.option("--solved", is_flag=True, help="Mark solved (a reply reopens it).")
@pass_app
def close_command(app: AppContext, ticket: str, solved: bool) -> None:
    """Close a ticket; a reply to a closed ticket opens a new one."""
    _set_status(app, ticket, "solved" if solved else "closed")


@tickets_group.command("reopen")
@click.argument("ticket")
@pass_app
def reopen_command(app: AppContext, ticket: str) -> None:
    """Open a solved or closed ticket again."""
    _set_status(app, ticket, "open")


def _set_status(app: AppContext, label: str, status: str) -> None:
    prefix = app.config.tickets.prefix
    with app.database.session() as session, session.begin():
        ticket = find_ticket(app, session, label)
        tickets = Tickets(session, prefix)
        if tickets.change(ticket, "status", status, "cli") is None:
            click.echo(f"{tickets.label(ticket)} is {status} already")
            return
        run_ticket_rules(app, session)
        click.echo(f"{tickets.label(ticket)} is now {status}")


@click.command("tickets")
@pass_app
def export_tickets(app: AppContext) -> None:
    """Every ticket as JSON Lines, with the rule that opened it.

    Keys: id, number, status, priority, queue, assignee, subject, requester,
    mailbox, thread_id, contact_id, company_id, messages, opened_at,
    updated_at, closed_at, rule {id, firing_id, trigger, fired_at}.
    """
    prefix = app.config.tickets.prefix
    with app.database.reading() as session:
        count = print_json_lines(
            ticket_record(session, ticket, prefix)
            for ticket in session.scalars(tickets_query())
        )
    click.echo(f"{counted(count, 'ticket')} exported", err=True)
