"""`inbox-crm digest`: preview a user's daily digest, or queue and send it by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import click

from inbox_crm.cli.context import AppContext, pass_app
from inbox_crm.cli.sending import send_row
from inbox_crm.config import UserConfig
from inbox_crm.digest.models import SKIPPED, DigestRecord
from inbox_crm.digest.period import DigestError, digest_moment, due_day, zone_of
from inbox_crm.digest.queue import (
    digest_mailbox,
    find_user,
    make_digest,
    queue_again,
    queue_digest,
)
from inbox_crm.outreach.models import FAILED, QUEUED, SENT, OutboxRow

USER_OPTION = click.option(
    "--user",
    "user_ref",
    required=True,
    metavar="NAME|ADDRESS",
    help="A [users.NAME] of the configuration, by name or email address.",
)
EMPTY_PERIOD = (
    "the digests of the days around it cover all of its time already, "
    "so it has nothing of its own to tell"
)
DATE_OPTION = click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The local day of the digest [default: the latest one due].",
)


def _no_time(context: click.Context, _: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    raise click.UsageError(
        f"a digest is for a local day, not a time ({value!r}): choose the day with "
        "--date DAY (a past day's digest covers that day); the agent sends each "
        "day's digest at the user's digest_time",
        context,
    )


# `outreach send` takes --at; a digest takes a day, and says so to whoever tries.
NO_TIME_OPTION = click.option(
    "--at", hidden=True, expose_value=False, callback=_no_time, is_eager=True
)


@click.group("digest")
def digest_group() -> None:
    """The daily digest of each user: preview it, or send it by hand."""


@digest_group.command("preview")
@USER_OPTION
@DATE_OPTION
@NO_TIME_OPTION
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
        digest = make_digest(session, config, user, chosen_day(user, day, now), now)
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
    if _empty(digest.period.start, digest.period.end):
        click.echo(f"note: {EMPTY_PERIOD}", err=True)
    if digest.empty and user.digest.skip_empty:
        click.echo("note: nothing to tell; this digest would be skipped", err=True)


@digest_group.command("send")
@USER_OPTION
@DATE_OPTION
@NO_TIME_OPTION
@click.option(
    "--queue-only", is_flag=True, help="Queue it; the next `outbox flush` sends it."
)
@click.option(
    "--again",
    is_flag=True,
    help="Send a day's digest made already once more, for the same period.",
)
@pass_app
def send_command(
    app: AppContext,
    user_ref: str,
    day: datetime | None,
    queue_only: bool,
    again: bool,
) -> None:
    """Queue the digest of a user for a day and send it now.

    A day's digest is queued once: if the agent (or an earlier send) made it
    already, this says when, to whom and what became of it, and sends
    nothing new; --again sends a fresh copy for the same period. Exits 1 if
    it could not be sent.
    """
    config = app.config
    user = find_user(config, user_ref)
    if user.email is None:
        raise DigestError(f"users.{user.name} has no email address to send it to")
    now = datetime.now(UTC)
    when = chosen_day(user, day, now)
    label = f"digest of {user.name} for {when.isoformat()}"
    outbox_id: int | None
    with app.database.session() as session, session.begin():
        if again:
            outbox_id = queue_again(session, config, user, when, now).id
            label = f"another copy of the {label}"
        else:
            queued = queue_digest(session, config, user, when, now)
            record, outbox_id = queued.record, queued.record.outbox_id
            row = session.get(OutboxRow, outbox_id) if outbox_id else None
            if _empty(record.period_start, record.period_end):
                click.echo(f"note: {EMPTY_PERIOD}", err=True)
            if not queued.created and not _made_already(user, label, record, row):
                return
            if queued.created and record.status == SKIPPED:
                click.echo(f"{label}: skipped, nothing to tell (digest_skip_empty)")
                return
    assert outbox_id is not None
    if queue_only:
        click.echo(f"{label} queued (outbox {outbox_id})")
        return
    _send(app, user, outbox_id, label)


def _made_already(
    user: UserConfig, label: str, record: DigestRecord, row: OutboxRow | None
) -> bool:
    """Say what became of a digest made before; True if it still waits to go."""
    made = _local(user, record.created_at)
    again = (
        f"`inbox-crm digest send --user {user.name} "
        f"--date {record.day.isoformat()} --again` sends it once more"
    )
    if record.status == SKIPPED:
        click.echo(f"{label} was skipped on {made}: nothing to tell; {again}")
        return False
    if row is None:
        click.echo(f"{label} was made on {made}; its outbox row is gone; {again}")
        return False
    if row.status == SENT and row.sent_at is not None:
        click.echo(
            f"{label} was already sent on {_local(user, row.sent_at)} to "
            f"{row.to_address} (outbox {row.id}); {again}"
        )
        return False
    if row.status == QUEUED:
        click.echo(f"{label} was queued on {made} and not sent yet (outbox {row.id})")
        return True
    if row.status == FAILED:
        click.echo(
            f"{label} could not be sent (outbox {row.id}): {row.reason or ''}; "
            f"`inbox-crm outbox retry {row.id}` tries again"
        )
        raise SystemExit(1)
    reason = f": {row.reason}" if row.reason else ""
    click.echo(
        f"{label} was made on {made} and is {row.status} (outbox {row.id}){reason}; "
        f"see `inbox-crm outbox show {row.id}`"
    )
    return False


def _local(user: UserConfig, moment: datetime) -> str:
    """A moment in the user's time zone, like 2026-12-03 08:00 (Europe/Berlin)."""
    local = moment.astimezone(zone_of(user))
    return f"{local:%Y-%m-%d %H:%M} ({user.business.timezone})"


def _empty(start: datetime, end: datetime) -> bool:
    return start >= end


def _send(app: AppContext, user: UserConfig, outbox_id: int, label: str) -> None:
    mailbox = app.config.mailbox(digest_mailbox(app.config, user))
    sent = send_row(app, mailbox, outbox_id)
    if sent.status == "sent":
        click.echo(f"{label} sent to {user.email} (outbox {outbox_id})")
        return
    click.echo(f"{label} is {sent.status} (outbox {outbox_id}){sent.detail}")
    if sent.failed:
        raise SystemExit(1)


def chosen_day(user: UserConfig, day: datetime | None, now: datetime) -> date:
    """The local day --date names, or the latest one due; never today too early."""
    if day is None:
        return due_day(user, now)
    chosen = day.date()
    today = now.astimezone(zone_of(user)).date()
    if chosen == today and now < digest_moment(user, today):
        # Today's digest has no period before its time: say so, not "choose".
        raise DigestError(
            f"today's digest of {user.name} ({today.isoformat()}) is not due yet: "
            f"it is made at {user.digest.at:%H:%M} ({user.business.timezone}); "
            f"until then leave out --date for the latest one due, "
            f"{due_day(user, now).isoformat()}"
        )
    return chosen
