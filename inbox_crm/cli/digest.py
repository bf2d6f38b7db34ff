"""`inbox-crm digest`: preview a user's daily digest, or queue and send it by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import click

from inbox_crm.cli.context import AppContext, pass_app
from inbox_crm.cli.sending import send_row
from inbox_crm.config import UserConfig
from inbox_crm.digest.models import SKIPPED
from inbox_crm.digest.period import DigestError, due_day
from inbox_crm.digest.queue import digest_mailbox, find_user, make_digest, queue_digest

USER_OPTION = click.option(
    "--user",
    "user_ref",
    required=True,
    metavar="NAME|ADDRESS",
    help="A [users.NAME] of the configuration, by name or email address.",
)
DATE_OPTION = click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The local day of the digest [default: the latest one due].",
)


@click.group("digest")
def digest_group() -> None:
    """The daily digest of each user: preview it, or send it by hand."""


@digest_group.command("preview")
@USER_OPTION
@DATE_OPTION
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: the mail; json: its subject, parts and every section's values.",
)
@pass_app
def preview_command(
    app: AppContext,
    user_ref: str,
    day: datetime | None,
    as_html: bool,
    output_format: str,
) -> None:
    """Print the digest of a user for a day, as it would be sent now.

    A day whose digest was made already shows that digest's period. Nothing
    is queued or sent.
    """
    config = app.config
    user = find_user(config, user_ref)
    now = datetime.now(UTC)
    with app.database.session() as session:
        digest = make_digest(session, config, user, _day(user, day, now), now)
    mail = digest.mail
    if output_format == "json":
        record = {
            "user": user.name,
            "day": digest.period.day.isoformat(),
            "period": {
                "start": digest.period.start.isoformat(),
                "end": digest.period.end.isoformat(),
            },
            "subject": mail.subject,
            "text": mail.text,
            "html": mail.html,
            "content": digest.content,
        }
        click.echo(json.dumps(record, ensure_ascii=False, default=str))
        return
    if as_html:
        if mail.html is None:
            raise click.UsageError("the digest template has no body.html")
        click.echo(mail.html, nl=not mail.html.endswith("\n"))
        return
    click.echo(f"To: {user.email or '(no email address)'}")
    click.echo(f"Subject: {mail.subject}")
    click.echo("")
    click.echo(mail.text, nl=not mail.text.endswith("\n"))
    if digest.empty and user.digest.skip_empty:
        click.echo("note: nothing to tell; this digest would be skipped", err=True)


@digest_group.command("send")
@USER_OPTION
@DATE_OPTION
@click.option(
    "--queue-only", is_flag=True, help="Queue it; the next `outbox flush` sends it."
)
@pass_app
def send_command(
    app: AppContext, user_ref: str, day: datetime | None, queue_only: bool
) -> None:
    """Queue the digest of a user for a day and send it now.

    A day's digest is queued once: if the agent (or an earlier send) made it
    already, this says so and sends nothing new. Exits 1 if it could not be
    sent.
    """
    config = app.config
    user = find_user(config, user_ref)
    if user.email is None:
        raise DigestError(f"users.{user.name} has no email address to send it to")
    now = datetime.now(UTC)
    when = _day(user, day, now)
    with app.database.session() as session, session.begin():
        queued = queue_digest(session, config, user, when, now)
        status, outbox_id = queued.record.status, queued.record.outbox_id
    label = f"digest of {user.name} for {when.isoformat()}"
    if status == SKIPPED:
        click.echo(f"{label}: skipped, nothing to tell (digest_skip_empty)")
        return
    assert outbox_id is not None
    if not queued.created:
        click.echo(f"{label} was queued already (outbox {outbox_id})")
    if queue_only:
        click.echo(f"{label} queued (outbox {outbox_id})")
        return
    _send(app, user, outbox_id, label)


def _send(app: AppContext, user: UserConfig, outbox_id: int, label: str) -> None:
    mailbox = app.config.mailbox(digest_mailbox(app.config, user))
    sent = send_row(app, mailbox, outbox_id)
    if sent.status == "sent":
        click.echo(f"{label} sent to {user.email} (outbox {outbox_id})")
        return
    click.echo(f"{label} is {sent.status} (outbox {outbox_id}){sent.detail}")
    if sent.failed:
        raise SystemExit(1)


def _day(user: UserConfig, day: datetime | None, now: datetime) -> date:
    return day.date() if day is not None else due_day(user, now)
