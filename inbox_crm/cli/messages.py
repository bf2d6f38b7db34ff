"""`inbox-crm messages` and `inbox-crm export`: reading stored mail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.contacts.export import links_of
from inbox_crm.errors import NotFoundError
from inbox_crm.export import message_details, message_record
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.storage.models import Message
from inbox_crm.storage.queries import iter_messages, mailbox_names, messages_query
from inbox_crm.wording import counted


@click.group("messages")
def messages_group() -> None:
    """List stored messages."""


@messages_group.command("list")
@click.option("--mailbox", metavar="NAME", help="Only this mailbox.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only messages on or after this day (YYYY-MM-DD, UTC).",
)
@click.option("--quarantined", is_flag=True, help="Only quarantined messages.")
@FORMAT_OPTION
@pass_app
def list_command(
    app: AppContext,
    mailbox: str | None,
    limit: int,
    since: datetime | None,
    quarantined: bool,
    output_format: str,
) -> None:
    """The newest messages first, with direction, kind and thread."""
    query = messages_query(
        mailbox=mailbox,
        since=_utc(since),
        quarantined=True if quarantined else None,
        newest_first=True,
    ).limit(limit)
    with app.database.reading() as session:
        names = _known_mailboxes(session, mailbox)
        records = list(_linked_records(session, query, names))
    if output_format == "json":
        print_json_lines(records)
        return
    console = Console()
    console.print(_message_table(records, console.width))


def _message_table(records: list[dict[str, Any]], width: int) -> Table:
    """A table of messages that fits `width`, shortening sender and subject."""
    rows = [_message_row(record) for record in records]
    headers = ("id", "date (UTC)", "dir", "kind", "from", "subject", "thread")
    widths = [
        max([len(header), *(len(row[index]) for row in rows)])
        for index, header in enumerate(headers)
    ]
    # Each column costs three characters of border and padding, plus one.
    spare = width - 1 - 3 * len(headers) - sum(widths[:4]) - widths[6]
    sender = min(widths[4], max(8, spare * 2 // 5))
    widths[4], widths[5] = sender, max(8, min(widths[5], spare - sender))

    table = Table()
    for header, column_width in zip(headers, widths, strict=True):
        table.add_column(header, width=column_width, no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*row)
    return table


def _message_row(record: dict[str, Any]) -> tuple[str, ...]:
    sender = record["from"] or {}
    return (
        str(record["id"]),
        record["date"][:16].replace("T", " "),
        "out" if record["direction"] == "outbound" else "in",
        "quarantined" if record["quarantined"] else record["kind"],
        sender.get("address", ""),
        record["subject"],
        str(record["thread_id"] or ""),
    )


@click.group("export")
def export_group() -> None:
    """Write stored records as JSON Lines to standard output."""


@export_group.command("messages")
@click.option("--mailbox", metavar="NAME", help="Only this mailbox.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only messages on or after this day (YYYY-MM-DD, UTC).",
)
@pass_app
def export_messages(
    app: AppContext, mailbox: str | None, since: datetime | None
) -> None:
    """Every stored message, oldest first, one JSON object a line.

    Keys: id, message_id, mailbox, folders, date (ISO 8601 UTC), date_source,
    from {address, name, contact, company, match}, to and cc [the same],
    subject, thread_id, in_reply_to, direction, kind, list_id, size,
    attachments [{filename, content_type, size}], bounces [{recipient,
    status, action}], quarantined, quarantine_reason. contact is {id, name,
    address}, company {id, name}, match {method, score}; each null when
    unlinked.
    """
    query = messages_query(mailbox=mailbox, since=_utc(since))
    with app.database.reading() as session:
        names = _known_mailboxes(session, mailbox)
        count = print_json_lines(_linked_records(session, query, names))
    click.echo(f"{counted(count, 'message')} exported", err=True)


def _linked_records(
    session: Session, query: Select[Message], names: dict[int, str]
) -> Iterator[dict[str, Any]]:
    messages = iter_messages(session, query)
    while chunk := list(islice(messages, 500)):
        links = links_of(session, chunk)
        for message in chunk:
            yield message_record(message, names[message.mailbox_id], links)


def _known_mailboxes(session: Session, wanted: str | None) -> dict[int, str]:
    """The stored mailboxes' names by id; a `wanted` one must be among them."""
    names = mailbox_names(session)
    if wanted is not None and wanted not in names.values():
        known = ", ".join(sorted(names.values())) or "none yet"
        raise click.BadParameter(
            f"no mailbox {wanted!r} has stored mail (stored: {known})",
            param_hint="--mailbox",
        )
    return names


def _utc(day: datetime | None) -> datetime | None:
    return day.replace(tzinfo=UTC) if day else None


@messages_group.command("show")
@click.argument("message_id", metavar="ID", type=int)
@FORMAT_OPTION
@pass_app
def show_command(app: AppContext, message_id: int, output_format: str) -> None:
    """One stored message in full: who, what it is, links, attachments, text.

    ID is the id that `messages list` prints. `inbox-crm quarantine show ID`
    prints its raw source.
    """
    with app.database.reading() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise NotFoundError(
                f"no message {message_id} (see `inbox-crm messages list`)"
            )
        names = mailbox_names(session)
        links = links_of(session, [message])
        record = message_details(message, names[message.mailbox_id], links)
        record["outbox_id"] = session.scalar(
            select(OutboxRow.id).where(OutboxRow.stored_message_id == message.id)
        )
    if output_format == "json":
        print_json_lines([record])
        return
    _print_details(record)


def _print_details(record: dict[str, Any]) -> None:
    console = Console(highlight=False)
    console.print(f"[bold]{record['subject'] or '(no subject)'}[/bold]")
    places = list(record["folders"])
    if record["outbox_id"] is not None:
        places.append(f"sent by inbox-crm, outbox {record['outbox_id']}")
    console.print(
        f"  message {record['id']} in {record['mailbox']} "
        f"({'; '.join(places) or 'imported'}), thread "
        f"{record['thread_id']}, {record['direction']}, {record['kind']}"
    )
    console.print(f"  date       {record['date']} ({record['date_source']})")
    for role in ("from", "to", "cc", "bcc", "reply_to"):
        value = record[role]
        for entry in value if isinstance(value, list) else [value] if value else []:
            console.print(f"  {role:<11}{_who(entry)}")
    for reason in record["classification"]:
        console.print(f"  why        {reason}")
    for bounce in record["bounces"]:
        console.print(
            f"  bounce     {bounce['recipient']} {bounce['action']} "
            f"{bounce['status']} {bounce['diagnostic'][:80]}"
        )
    for attachment in record["attachments"]:
        console.print(
            f"  attached   {attachment['filename'] or '(no name)'} "
            f"({attachment['content_type']}, {attachment['size']} bytes)"
        )
    if record["quarantined"]:
        console.print(f"  QUARANTINED: {record['quarantine_reason']}")
    console.print()
    console.print(record["text"] or "(no text)", markup=False)


def _who(entry: dict[str, Any]) -> str:
    name = (
        f"{entry['name']} <{entry['address']}>" if entry["name"] else entry["address"]
    )
    contact, match = entry.get("contact"), entry.get("match")
    if contact and match:
        return (
            f"{name}  → {contact['name']} (contact {contact['id']}, {match['method']})"
        )
    company = entry.get("company")
    if company and match:
        return (
            f"{name}  → {company['name']} (company {company['id']}, {match['method']})"
        )
    return name
