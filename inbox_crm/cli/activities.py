"""`inbox-crm activities` and `notifications`: what to do, and what rules said."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.activities.records import DUE_WINDOWS, activities_query, activity_record
from inbox_crm.activities.service import KINDS, add_activity, finish, reopen, snooze
from inbox_crm.businesstime.durations import Duration, DurationError, parse_duration
from inbox_crm.cli.context import (
    FORMAT_OPTION,
    AppContext,
    check_user,
    pass_app,
    print_json_lines,
)
from inbox_crm.contacts.find import find_contact
from inbox_crm.errors import NotFoundError
from inbox_crm.export import iso_utc
from inbox_crm.rules.calendars import Calendars
from inbox_crm.storage.tracking import Activity, Notification
from inbox_crm.wording import counted

USER_OPTION = click.option(
    "--user",
    metavar="USER",
    help="Whose timezone the due windows use [default: the [business] timezone].",
)


@click.group("activities")
def activities_group() -> None:
    """Follow-ups, tasks, calls and notes, most of them made by rules."""


@activities_group.command("list")
@click.option("--due", type=click.Choice(DUE_WINDOWS), help="Only due in this window.")
@click.option(
    "--status",
    type=click.Choice(["open", "done", "all"]),
    default="open",
    show_default=True,
)
@click.option("--assignee", metavar="USER", help="Only activities of this user.")
@USER_OPTION
@FORMAT_OPTION
@pass_app
def list_command(
    app: AppContext,
    due: str | None,
    status: str,
    assignee: str | None,
    user: str | None,
    output_format: str,
) -> None:
    """Activities by due time: today (overdue included), overdue, or week.

    The week is today and the six days after it, in the user's timezone.
    """
    check_user(app.config, "--assignee", assignee)
    check_user(app.config, "--user", user)
    calendar = Calendars(app.config).for_user(user or assignee)
    query = activities_query(
        status=status,
        due=due,
        assignee=assignee,
        now=datetime.now(UTC),
        calendar=calendar,
    )
    prefix = app.config.tickets.prefix
    with app.database.reading() as session:
        records = [activity_record(session, a, prefix) for a in session.scalars(query)]
    if output_format == "json":
        print_json_lines(records)
        return
    due_label = f"due ({calendar.zone.key})"
    table = Table("id", due_label, "kind", "title", "assignee", "status", "rule")
    for record in records:
        due_at = record["due_at"]
        shown = (
            f"{calendar.local(datetime.fromisoformat(due_at)):%Y-%m-%d %H:%M}"
            if due_at
            else ""
        )
        table.add_row(
            str(record["id"]),
            shown,
            record["kind"],
            record["title"][:60],
            record["assignee"] or "",
            record["status"],
            record["rule"]["id"] if record["rule"] else "",
        )
    Console().print(table)


@activities_group.command("add")
@click.option("--title", required=True, help="What to do.")
@click.option("--kind", type=click.Choice(KINDS), default="task", show_default=True)
@click.option(
    "--due", "due_in", metavar="DURATION", help='From now, e.g. "2 business days".'
)
@click.option("--assignee", metavar="USER", help="Who does it.")
@click.option(
    "--contact",
    "contact_ref",
    metavar="CONTACT",
    help="The contact it is about (id or address); its company is noted too.",
)
@pass_app
def add_command(
    app: AppContext,
    title: str,
    kind: str,
    due_in: str | None,
    assignee: str | None,
    contact_ref: str | None,
) -> None:
    """Add an activity by hand (a call to make, a note)."""
    check_user(app.config, "--assignee", assignee)
    calendar = Calendars(app.config).for_user(assignee)
    due_at = calendar.add(datetime.now(UTC), _duration(due_in)) if due_in else None
    with app.database.session() as session, session.begin():
        contact = find_contact(session, contact_ref) if contact_ref else None
        activity = add_activity(
            session,
            kind=kind,
            title=title,
            due_at=due_at,
            assignee=assignee,
            contact=contact,
        )
        click.echo(f"activity {activity.id} added")


@activities_group.command("done")
@click.argument("activity_ids", metavar="ID...", type=int, nargs=-1, required=True)
@click.option("--undo", is_flag=True, help="Open the activities again.")
@pass_app
def done_command(app: AppContext, activity_ids: tuple[int, ...], undo: bool) -> None:
    """Mark activities done (or open again with --undo)."""
    with app.database.session() as session, session.begin():
        for activity_id in activity_ids:
            activity = _activity(session, activity_id)
            if undo:
                reopen(activity)
            else:
                finish(activity, "done by hand")
            click.echo(f"activity {activity_id} is {activity.status}")


@activities_group.command("snooze")
@click.argument("activity_id", metavar="ID", type=int)
@click.option(
    "--for", "for_", metavar="DURATION", help='e.g. "2 days", "3 business days".'
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%d %H:%M"]),
    help="A day (09:00 then) or a day and time, in the user's timezone.",
)
@USER_OPTION
@pass_app
def snooze_command(
    app: AppContext,
    activity_id: int,
    for_: str | None,
    until: datetime | None,
    user: str | None,
) -> None:
    """Move an open activity's due time later."""
    if (for_ is None) == (until is None):
        raise click.UsageError("give exactly one of --for DURATION or --until DAY")
    check_user(app.config, "--user", user)
    now = datetime.now(UTC)
    with app.database.session() as session, session.begin():
        activity = _activity(session, activity_id)
        calendar = Calendars(app.config).for_user(user or activity.assignee)
        if until is not None:
            clock = until.time() if (until.hour or until.minute) else calendar.start
            moment = calendar.at(until.date(), clock)
        else:
            start = max(activity.due_at or now, now)
            moment = calendar.add(start, _duration(for_ or ""))
        # Local time, so that a refusal names the time as the user gave it.
        local = calendar.local(moment)
        snooze(activity, local, now)
        click.echo(f"activity {activity_id} is due {local:%Y-%m-%d %H:%M %Z}")


def _activity(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFoundError(
            f"no activity {activity_id} (see `inbox-crm activities list`)"
        )
    return activity


def _duration(text: str) -> Duration:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group("notifications")
def notifications_group() -> None:
    """Notes that rules left for users."""


@notifications_group.command("list")
@click.option("--user", metavar="USER", help="Only this user's.")
@click.option("--all", "show_all", is_flag=True, help="Read ones too.")
@click.option("--mark-read", is_flag=True, help="Mark the listed ones read.")
@FORMAT_OPTION
@pass_app
def notifications_list(
    app: AppContext,
    user: str | None,
    show_all: bool,
    mark_read: bool,
    output_format: str,
) -> None:
    """Unread notifications, oldest first."""
    check_user(app.config, "--user", user)
    query = select(Notification).order_by(Notification.id)
    if user:
        query = query.where(Notification.user == user)
    if not show_all:
        query = query.where(Notification.read_at.is_(None))
    with app.database.session() as session, session.begin():
        rows = list(session.scalars(query))
        records = [
            {
                "id": row.id,
                "user": row.user,
                "text": row.text,
                "rule": row.rule_id,
                "message_id": row.message_id,
                "ticket_id": row.ticket_id,
                "created_at": iso_utc(row.created_at),
                "read": row.read_at is not None,
            }
            for row in rows
        ]
        if mark_read:
            for row in rows:
                row.read_at = row.read_at or datetime.now(UTC)
    if output_format == "json":
        print_json_lines(records)
        return
    for record in records:
        click.echo(f"{record['created_at']} {record['user']}: {record['text']}")


@click.command("activities")
@pass_app
def export_activities(app: AppContext) -> None:
    """Every activity as JSON Lines, with the rule that made it.

    Keys: id, kind, title, notes, status, due_at, assignee, contact_id,
    company_id, message_id, thread_id, ticket, closes_on_reply, snoozes,
    created_at, done_at, done_reason, rule {id, firing_id, trigger, fired_at}.
    """
    prefix = app.config.tickets.prefix
    with app.database.reading() as session:
        query = select(Activity).order_by(Activity.id)
        count = print_json_lines(
            activity_record(session, activity, prefix)
            for activity in session.scalars(query)
        )
    click.echo(f"{counted(count, 'activity')} exported", err=True)
