"""`inbox-crm link`, `unlink`, `review` and `ignore`: linking by hand."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.contacts import ignore, review
from inbox_crm.contacts.find import find_company, find_contact
from inbox_crm.contacts.manual import (
    link_address,
    message_participants,
    set_manual,
    unlink_address,
)
from inbox_crm.export import iso_utc
from inbox_crm.wording import counted

TARGET_HELP = "TARGET is an address, or a message id (see `inbox-crm messages list`)."


@click.command("link")
@click.argument("target")
@click.option("--contact", metavar="REF", help="The contact (id or address).")
@click.option("--company", metavar="REF", help="The company (id, domain or name).")
@click.option(
    "--participant",
    metavar="ADDRESS",
    help="With a message id: which of its addresses (default: the sender of "
    "an inbound message, the recipients of an outbound one).",
)
@pass_app
def link_command(
    app: AppContext,
    target: str,
    contact: str | None,
    company: str | None,
    participant: str | None,
) -> None:
    """Link an address or a message to a contact and/or company, by hand.

    An address joins the contact's addresses, and every stored message from
    or to it is linked. A manual link is never changed by automation.
    """
    if contact is None and company is None:
        raise click.UsageError("name --contact or --company (or both)")
    with app.database.session() as session, session.begin():
        person = find_contact(session, contact) if contact else None
        organisation = find_company(session, company) if company else None
        if "@" in target:
            count = link_address(session, target, person, organisation)
        else:
            ids = _participants(app, session, target, participant)
            count = set_manual(session, ids, person, organisation)
    click.echo(f"{counted(count, 'participant')} linked by hand")


@click.command("unlink")
@click.argument("target")
@click.option(
    "--participant", metavar="ADDRESS", help="With a message id: which address."
)
@pass_app
def unlink_command(app: AppContext, target: str, participant: str | None) -> None:
    """Keep an address or a message unlinked, by hand.

    An address also leaves the contact it belonged to. Automation does not
    link these participants again (mail that arrives later is linked as
    usual; `inbox-crm ignore` stops that too).
    """
    with app.database.session() as session, session.begin():
        if "@" in target:
            count = unlink_address(session, target)
        else:
            ids = _participants(app, session, target, participant)
            count = set_manual(session, ids, None, None)
    click.echo(f"{counted(count, 'participant')} unlinked by hand")


link_command.help = (link_command.help or "") + "\n\n" + TARGET_HELP
unlink_command.help = (unlink_command.help or "") + "\n\n" + TARGET_HELP


def _participants(
    app: AppContext, session: Session, target: str, participant: str | None
) -> list[int]:
    if not target.isdigit():
        raise click.BadParameter(f"{target!r}: give an address or a message id")
    own = app.config.own_addresses
    return message_participants(session, int(target), participant, own)


@click.group("review")
def review_group() -> None:
    """Fuzzy matches waiting for a person's decision."""


@review_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@FORMAT_OPTION
@pass_app
def review_list(app: AppContext, limit: int, output_format: str) -> None:
    """Open candidates, best score first: this address may be this contact."""
    with app.database.reading() as session:
        items = review.pending(session, limit)
        counts = review.message_counts(session, [item.address for item in items])
        records: list[dict[str, Any]] = [
            {
                "id": item.id,
                "address": item.address,
                "name": item.name,
                "contact": {
                    "id": item.contact.id,
                    "name": item.contact.name,
                    "address": item.contact.primary_address,
                },
                "score": item.score,
                "participants": counts.get(item.address, 0),
                "created_at": iso_utc(item.created_at),
            }
            for item in items
        ]
    if output_format == "json":
        print_json_lines(records)
        return
    table = Table("id", "address", "name", "may be contact", "score", "seen")
    for record in records:
        contact = record["contact"]
        table.add_row(
            str(record["id"]),
            record["address"],
            record["name"],
            f"{contact['id']} {contact['name']} <{contact['address']}>",
            f"{round(record['score'] * 100)}%",
            str(record["participants"]),
        )
    Console().print(table)


@review_group.command("accept")
@click.argument("item_id", type=int)
@pass_app
def review_accept(app: AppContext, item_id: int) -> None:
    """Accept a candidate: the address joins the contact; its mail is linked."""
    with app.database.session() as session, session.begin():
        item, linked = review.accept(session, item_id)
        message = f"{item.address} is now contact {item.contact_id}"
    click.echo(f"{message}: {counted(linked, 'participant')} linked")


@review_group.command("reject")
@click.argument("item_id", type=int)
@pass_app
def review_reject(app: AppContext, item_id: int) -> None:
    """Reject a candidate: it is never proposed again."""
    with app.database.session() as session, session.begin():
        item = review.reject(session, item_id)
        message = f"{item.address} is not contact {item.contact_id}"
    click.echo(message)


@click.group("ignore")
def ignore_group() -> None:
    """Addresses and domains that never become or link to a contact or company."""


@ignore_group.command("add")
@click.argument("value")
@click.option(
    "--purge",
    is_flag=True,
    help="Also delete what is stored from it: the messages it sent, contacts "
    "and companies it entirely covers, and links to it.",
)
@pass_app
def ignore_add(app: AppContext, value: str, purge: bool) -> None:
    """Ignore an address (noreply@shop.example) or a whole domain (shop.example)."""
    with app.database.session() as session, session.begin():
        entry = ignore.add(session, value)
        line = f"ignoring {entry.kind} {entry.value}"
        if purge:
            purged = ignore.purge(session, value)
            line += (
                f"; purged {counted(purged.messages, 'message')}, "
                f"{counted(purged.contacts, 'contact')}, "
                f"{counted(purged.companies, 'company')}, "
                f"{counted(purged.links, 'link')}"
            )
    click.echo(line)


@ignore_group.command("list")
@FORMAT_OPTION
@pass_app
def ignore_list(app: AppContext, output_format: str) -> None:
    """Every ignored address and domain."""
    with app.database.reading() as session:
        records = [
            {"kind": e.kind, "value": e.value, "created_at": iso_utc(e.created_at)}
            for e in ignore.entries(session)
        ]
    if output_format == "json":
        print_json_lines(records)
        return
    table = Table("kind", "value", "since")
    for record in records:
        table.add_row(record["kind"], record["value"], record["created_at"][:10])
    Console().print(table)


@ignore_group.command("remove")
@click.argument("value")
@pass_app
def ignore_remove(app: AppContext, value: str) -> None:
    """Stop ignoring an address or domain (run `contacts relink` to link its mail)."""
    with app.database.session() as session, session.begin():
        removed = ignore.remove(session, value)
    if not removed:
        raise click.ClickException(f"{value} is not on the ignore list")
    click.echo(f"no longer ignoring {value}")
