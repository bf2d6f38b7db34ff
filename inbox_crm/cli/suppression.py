"""`inbox-crm suppression`: the addresses outreach never mails."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.errors import OutreachError
from inbox_crm.outreach import suppression
from inbox_crm.outreach.models import MANUAL, UNSUBSCRIBED, OutboxRow
from inbox_crm.outreach.recipients import normalize_address
from inbox_crm.outreach.records import suppression_record


@click.group("suppression")
def suppression_group() -> None:
    """Addresses that unsubscribed, bounced or were added by hand."""


@suppression_group.command("list")
@click.option("--removed", is_flag=True, help="Also entries that were lifted.")
@FORMAT_OPTION
@pass_app
def list_command(app: AppContext, removed: bool, output_format: str) -> None:
    """Every suppressed address with the reason, newest first.

    Hard bounces and unsubscribe requests that arrived since the last look are
    taken in first.
    """
    with app.database.session() as session, session.begin():
        suppression.sweep(session)
        records = [
            suppression_record(entry)
            for entry in suppression.entries(session, removed=removed)
        ]
    if output_format == "json":
        print_json_lines(records)
        return
    if not records:
        click.echo("no suppressed addresses")
        return
    table = Table("address", "reason", "since (UTC)", "detail", "removed")
    for record in records:
        table.add_row(
            record["address"],
            record["reason"],
            str(record["created_at"])[:16].replace("T", " "),
            record["detail"][:60],
            str(record["removed_at"] or "")[:16].replace("T", " "),
        )
    Console().print(table)


@suppression_group.command("add")
@click.argument("addresses", metavar="ADDRESS...", nargs=-1)
@click.option("--note", default="", help="Why, for the record.")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN",
    help="Unsubscribe the recipient of the mail with this unsubscribe token "
    "(what a one-click unsubscribe page receives). Repeatable.",
)
@pass_app
def add_command(
    app: AppContext, addresses: tuple[str, ...], note: str, tokens: tuple[str, ...]
) -> None:
    """Suppress ADDRESS... (and the recipients of --token): no outreach goes there."""
    if not addresses and not tokens:
        raise click.UsageError("name at least one ADDRESS or --token")
    with app.database.session() as session, session.begin():
        for address in addresses:
            normalized = normalize_address(address)
            suppression.suppress(session, normalized, MANUAL, note)
            click.echo(f"suppressed {normalized.lower()}")
        for token in tokens:
            row = session.scalars(
                select(OutboxRow).where(OutboxRow.unsubscribe_token == token)
            ).first()
            if row is None:
                raise OutreachError(f"no outreach has the unsubscribe token {token!r}")
            detail = note or "unsubscribed by link"
            suppression.suppress(
                session, row.to_address, UNSUBSCRIBED, detail, outbox_id=row.id
            )
            click.echo(f"suppressed {row.to_address.lower()} (unsubscribed)")


@suppression_group.command("remove")
@click.argument("addresses", metavar="ADDRESS...", nargs=-1, required=True)
@pass_app
def remove_command(app: AppContext, addresses: tuple[str, ...]) -> None:
    """Lift the suppression of ADDRESS...; the entry stays in the history."""
    missing = 0
    with app.database.session() as session, session.begin():
        for address in addresses:
            if suppression.unsuppress(session, address) is None:
                click.echo(f"{address} is not suppressed", err=True)
                missing += 1
            else:
                click.echo(f"{address.lower()} may be mailed again")
    if missing:
        raise SystemExit(1)
