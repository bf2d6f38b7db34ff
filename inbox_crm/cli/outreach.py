"""`inbox-crm outreach`: preview and send templated mail to a contact."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta

import click

from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.cli.sending import send_row
from inbox_crm.outreach.compose import compose, envelope, row_links, row_parts
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.outreach.queue import draft_outreach, queue_outreach, sending_mailbox
from inbox_crm.outreach.templates import template_library

RELATIVE = re.compile(r"^\+(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

TO_OPTION = click.option(
    "--to",
    "recipient",
    required=True,
    metavar="CONTACT",
    help="A contact id, an address, or 'Name <address>'.",
)
THREAD_OPTION = click.option(
    "--in-thread",
    "thread_id",
    type=int,
    metavar="ID",
    help="Send as a follow-up in this thread (In-Reply-To and References set).",
)
MAILBOX_OPTION = click.option(
    "--mailbox",
    metavar="NAME",
    help="Send from this mailbox [default: outreach.mailbox].",
)


class SendTime(click.ParamType[datetime]):
    """A moment: +30m, +2h, +3d, +1w, or an ISO date and time (local if no zone)."""

    name = "TIME"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        relative = RELATIVE.match(text)
        if relative:
            amount = timedelta(**{UNITS[relative[2]]: int(relative[1])})
            return datetime.now(UTC) + amount
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{text!r} is not a time; use +30m, +2h, +3d, +1w or "
                "2026-12-07 09:00 (local time) or 2026-12-07T09:00+01:00",
                param,
                ctx,
            )
        if moment.tzinfo is None:
            moment = moment.astimezone()
        return moment.astimezone(UTC)


@click.group("outreach")
def outreach_group() -> None:
    """Templated mail to contacts: preview it, send it now or later."""


@outreach_group.command("templates")
@FORMAT_OPTION
@pass_app
def templates_command(app: AppContext, output_format: str) -> None:
    """The templates in the templates folder (outreach.templates)."""
    library = template_library(app.config.outreach.templates)
    names = library.names()
    if output_format == "json":
        print_json_lines({"name": name} for name in names)
        return
    if not names:
        click.echo(f"no templates in {library.directory}")
    for name in names:
        click.echo(name)


@outreach_group.command("preview")
@click.argument("template")
@TO_OPTION
@THREAD_OPTION
@MAILBOX_OPTION
@click.option("--raw", is_flag=True, help="Print the whole mail as it would be sent.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts (one object).",
)
@pass_app
def preview_command(
    app: AppContext,
    template: str,
    recipient: str,
    thread_id: int | None,
    mailbox: str | None,
    raw: bool,
    output_format: str,
) -> None:
    """Render TEMPLATE for one recipient and print it; nothing is queued or sent.

    A value the template uses but the recipient lacks is an error here, as it
    would be when sending.
    """
    config = app.config
    with app.database.reading() as session:
        draft = draft_outreach(
            session, config, template, recipient, thread_id=thread_id, mailbox=mailbox
        )
        session.rollback()
    row = draft.row
    if raw:
        sys.stdout.buffer.write(_raw(row, app))
        return
    if output_format == "json":
        print_json_lines([_preview_record(row, draft.refusal)])
        return
    click.echo(f"From: {_named(row.from_name, row.from_address)}")
    click.echo(f"To: {_named(row.to_name, row.to_address)}")
    click.echo(f"Subject: {row.subject}")
    if row.in_reply_to:
        click.echo(f"In-Reply-To: <{row.in_reply_to}>")
    click.echo("")
    click.echo(row.text, nl=not row.text.endswith("\n"))
    if row.html is not None:
        click.echo("\n--- HTML part ---")
        click.echo(row.html, nl=not row.html.endswith("\n"))
    if draft.refusal:
        click.echo(f"\nwarning: this mail would not be sent: {draft.refusal}", err=True)


@outreach_group.command("send")
@click.argument("template")
@TO_OPTION
@click.option(
    "--at",
    "send_at",
    type=SendTime(),
    help="When to send: +30m, +2h, +3d, +1w or a date and time [default: now].",
)
@THREAD_OPTION
@MAILBOX_OPTION
@click.option(
    "--queue-only", is_flag=True, help="Queue it; the next `outbox flush` sends it."
)
@pass_app
def send_command(
    app: AppContext,
    template: str,
    recipient: str,
    send_at: datetime | None,
    thread_id: int | None,
    mailbox: str | None,
    queue_only: bool,
) -> None:
    """Queue TEMPLATE for one recipient and, unless --at says later, send it now.

    The mail is rendered and checked (suppression list, template values) when
    queued; it is sent through the outbox like any other, so it is retried,
    rate-limited and logged. Exits 1 if it could not be sent.
    """
    config = app.config
    with app.database.session() as session, session.begin():
        row = queue_outreach(
            session,
            config,
            template,
            recipient,
            thread_id=thread_id,
            send_at=send_at,
            mailbox=mailbox,
        )
        row_id, due, to = row.id, row.due_at, row.to_address
    if queue_only or (send_at is not None and due > datetime.now(UTC)):
        click.echo(f"outreach {row_id} to {to} queued for {due:%Y-%m-%d %H:%M} UTC")
        return

    sent = send_row(app, sending_mailbox(config, mailbox), row_id)
    if sent.status == "sent":
        click.echo(f"outreach {row_id} sent to {to}")
        return
    detail = sent.detail
    if sent.status == "queued" and sent.report.deferred:
        detail = "; held back by the rate limits, `inbox-crm outbox flush` sends it"
    click.echo(f"outreach {row_id} to {to} is {sent.status}{detail}")
    if sent.failed:
        raise SystemExit(1)


def _preview_record(row: OutboxRow, refusal: str | None) -> dict[str, object]:
    return {
        "template": row.template,
        "from": {"address": row.from_address, "name": row.from_name},
        "to": {"address": row.to_address, "name": row.to_name},
        "contact_id": row.contact_id,
        "subject": row.subject,
        "text": row.text,
        "html": row.html,
        "in_reply_to": row.in_reply_to,
        "references": row.references.split(),
        "thread_id": row.thread_id,
        "refusal": refusal,
    }


def _raw(row: OutboxRow, app: AppContext) -> bytes:
    links = row_links(row, app.config.outreach)
    address = envelope(row.from_address, row.to_address, server_utf8=True)
    return compose(row_parts(row), address, links, datetime.now(UTC))


def _named(name: str, address: str) -> str:
    return f"{name} <{address}>" if name else address
