"""`inbox-crm rules`: check rule files, dry-run them, sweep, apply, firings."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.export import iso_utc
from inbox_crm.logs import report_error
from inbox_crm.rules.check import template_problems
from inbox_crm.rules.dryrun import Verdict, dry_run, facts_from_file
from inbox_crm.rules.history import message_event_facts
from inbox_crm.rules.hook import configured_engine
from inbox_crm.rules.loader import load_rules
from inbox_crm.rules.problems import RuleSetError
from inbox_crm.rules.sweep import sweep
from inbox_crm.storage.models import Mailbox, Message
from inbox_crm.storage.tracking import RuleFiring
from inbox_crm.wording import counted

DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group("rules")
def rules_group() -> None:
    """Check, try and run the rule files in the rules folder."""


@rules_group.command("check")
@FORMAT_OPTION
@pass_app
def check_command(app: AppContext, output_format: str) -> None:
    """Validate every rule file; list the rules, or each problem with its line.

    Exits 2 when a rule is invalid (the agent does not start on such a set)
    or names an outreach template that is not in the templates folder.
    """
    config = app.config
    try:
        rules = load_rules(config.rules.folder, config.users)
        problems = template_problems(rules, config.outreach.templates)
        if problems:
            raise RuleSetError(problems)
    except RuleSetError as exc:
        if output_format == "json":
            print_json_lines(
                {
                    "file": str(p.path),
                    "line": p.line,
                    "rule": p.rule,
                    "problem": p.message,
                }
                for p in exc.problems
            )
        else:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
        raise SystemExit(2) from None
    records: list[dict[str, Any]] = [
        {
            "rule": rule.id,
            "file": str(rule.path),
            "line": rule.line,
            "trigger": str(rule.trigger),
            "description": rule.description,
        }
        for rule in rules.rules
    ]
    if output_format == "json":
        print_json_lines(records)
        return
    table = Table("rule", "trigger", "where", "description")
    for record in records:
        where = f"{Path(record['file']).name}:{record['line']}"
        table.add_row(record["rule"], record["trigger"], where, record["description"])
    Console().print(table)
    disabled = f", {len(rules.disabled)} disabled" if rules.disabled else ""
    click.echo(
        f"{counted(len(rules.rules), 'rule')} in "
        f"{counted(len(rules.files), 'file')} valid{disabled}"
    )


@rules_group.command("test")
@click.argument("rule", required=False)
@click.option(
    "--message",
    "message_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An .eml file to try the rules on (it is not stored).",
)
@click.option(
    "--message-id",
    metavar="ID",
    help="A stored message: its number in `messages list`, or its Message-ID.",
)
@click.option(
    "--mailbox",
    metavar="NAME",
    help="For --message: the mailbox it arrived in [default: the only one].",
)
@FORMAT_OPTION
@pass_app
def test_command(
    app: AppContext,
    rule: str | None,
    message_file: Path | None,
    message_id: str | None,
    mailbox: str | None,
    output_format: str,
) -> None:
    """Dry run: each rule's hit or miss on one message, and what it would do.

    Nothing is written. Give RULE to see only that rule.
    """
    if (message_file is None) == (message_id is None):
        raise click.UsageError("give exactly one of --message FILE or --message-id ID")
    engine = configured_engine(app.config)
    if rule is not None and engine.rules.get(rule) is None:
        known = ", ".join(r.id for r in engine.rules.rules) or "none"
        raise click.UsageError(f"no rule {rule!r} (rules: {known})")
    with app.database.reading() as session:
        fired: frozenset[str] = frozenset()
        if message_file is not None:
            name = mailbox or _default_mailbox(app)
            facts = facts_from_file(session, engine, message_file.read_bytes(), name)
        else:
            stored = _stored_message(session, str(message_id))
            name = session.get_one(Mailbox, stored.mailbox_id).name
            trigger = (
                "message_sent" if stored.direction == "outbound" else "message_received"
            )
            facts = message_event_facts(
                session,
                stored,
                name,
                trigger,
                stored.date,
                engine.calendars.for_rule(None, name),
            )
            key = f"message:{stored.mailbox_id}:{stored.fingerprint}"
            fired = frozenset(
                session.scalars(
                    select(RuleFiring.rule_id).where(RuleFiring.trigger_key == key)
                )
            )
        verdicts = dry_run(engine, facts, fired, rule)
        session.rollback()
    if output_format == "json":
        print_json_lines(verdict.record() for verdict in verdicts)
    else:
        _print_verdicts(verdicts)
    failed = [verdict.rule.id for verdict in verdicts if verdict.status == "error"]
    if failed:
        report_error(f"rules that could not be tried: {', '.join(failed)}")
        raise SystemExit(1)


def _print_verdicts(verdicts: list[Verdict]) -> None:
    if not verdicts:
        click.echo("no rules to try")
    for verdict in verdicts:
        click.echo(f"{verdict.rule.id}: {verdict.status.upper().replace('_', ' ')}")
        click.echo(f"  {verdict.reason}")
        for action in verdict.actions:
            click.echo(f"  would {action}")
        for note in verdict.notes:
            click.echo(f"  note: {note}")
    click.echo("dry run: nothing was written")


def _default_mailbox(app: AppContext) -> str:
    names = list(app.config.mailboxes)
    if len(names) != 1:
        raise click.UsageError(
            f"name the mailbox with --mailbox ({', '.join(names) or 'none configured'})"
        )
    return names[0]


def _stored_message(session: Session, value: str) -> Message:
    if value.isdigit():
        found = session.get(Message, int(value))
    else:
        header = value.strip().strip("<>")
        found = session.scalars(
            select(Message).where(Message.message_id == header)
        ).first()
    if found is None:
        raise click.UsageError(f"no stored message {value!r}")
    return found


@rules_group.command("sweep")
@pass_app
def sweep_command(app: AppContext) -> None:
    """Run the periodic job once: due no-reply rules, schedules, ticket events."""
    engine = configured_engine(app.config)
    report = sweep(app.database, engine)
    click.echo(
        f"{counted(report.fired, 'no-reply rule')} fired, "
        f"{report.answered} answered in time, "
        f"{report.answered_late} answered late (after the deadline; no follow-up), "
        f"{report.bounced} bounced, "
        f"{report.missed} without a hit, "
        f"{counted(report.slots, 'schedule slot')}, "
        f"{counted(report.ticket_events, 'ticket event')}, {report.failed} failed"
    )
    if report.failed:
        raise SystemExit(1)


@rules_group.command("run")
@click.option(
    "--since", type=DAY, required=True, help="From this day (YYYY-MM-DD, UTC)."
)
@click.option("--mailbox", metavar="NAME", help="Only this mailbox.")
@pass_app
def run_command(app: AppContext, since: datetime, mailbox: str | None) -> None:
    """Apply the rules to stored messages from a day on, as if they just arrived.

    For mail the rules skipped because it is older than when they were enabled
    (an import, the first sync). Rules that fired already for a message do not
    fire again.
    """
    engine = configured_engine(app.config)
    query = select(Message.id).where(
        Message.date >= since.replace(tzinfo=UTC), Message.quarantined.is_(False)
    )
    if mailbox:
        query = query.join(Mailbox, Mailbox.id == Message.mailbox_id).where(
            Mailbox.name == mailbox
        )
    with app.database.session() as session:
        ids = list(session.scalars(query.order_by(Message.date, Message.id)))
        before = session.scalar(select(func.max(RuleFiring.id))) or 0
    for message_id in ids:
        with app.database.session() as session, session.begin():
            engine.on_message(session, session.get_one(Message, message_id), force=True)
    with app.database.session() as session:
        made = Counter(
            session.scalars(
                select(RuleFiring.rule_id)
                .where(RuleFiring.id > before)
                .order_by(RuleFiring.rule_id)
            )
        )
    report = sweep(app.database, engine)
    by_rule = "".join(f"\n  {rule}: {count}" for rule, count in made.items())
    click.echo(
        f"{counted(len(ids), 'message')} evaluated; "
        f"{counted(made.total(), 'firing')} on them{':' if made else ''}{by_rule}"
    )
    click.echo(f"then {counted(report.fired, 'no-reply rule')} fired in the sweep")


@rules_group.command("firings")
@click.option("--rule", "rule_id", metavar="RULE", help="Only this rule.")
@click.option("--contact", "contact_id", type=int, help="Only about this contact id.")
@click.option("--company", "company_id", type=int, help="Only about this company id.")
@click.option("--failed", is_flag=True, help="Only firings that failed.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@FORMAT_OPTION
@pass_app
def firings_command(
    app: AppContext,
    rule_id: str | None,
    contact_id: int | None,
    company_id: int | None,
    failed: bool,
    limit: int,
    output_format: str,
) -> None:
    """Recorded firings, newest first: rule, trigger, actions, time."""
    query = select(RuleFiring)
    if rule_id:
        query = query.where(RuleFiring.rule_id == rule_id)
    if contact_id is not None:
        query = query.where(RuleFiring.contact_id == contact_id)
    if company_id is not None:
        query = query.where(RuleFiring.company_id == company_id)
    if failed:
        query = query.where(RuleFiring.status == "failed")
    query = query.order_by(RuleFiring.fired_at.desc(), RuleFiring.id.desc()).limit(
        limit
    )
    with app.database.reading() as session:
        records = [firing_record(firing) for firing in session.scalars(query)]
    if output_format == "json":
        print_json_lines(records)
        return
    table = Table("id", "fired (UTC)", "rule", "trigger", "status", "actions")
    for record in records:
        actions = ", ".join(
            a["action"] for a in record["actions"] if a["action"] != "note"
        )
        table.add_row(
            str(record["id"]),
            record["fired_at"][:16].replace("T", " "),
            record["rule"],
            record["trigger"],
            record["status"] + (f": {record['error']}" if record["error"] else ""),
            actions,
        )
    Console().print(table)


def firing_record(firing: RuleFiring) -> dict[str, Any]:
    return {
        "id": firing.id,
        "rule": firing.rule_id,
        "trigger": firing.trigger,
        "trigger_key": firing.trigger_key,
        "fired_at": iso_utc(firing.fired_at),
        "event_at": iso_utc(firing.event_at),
        "status": firing.status,
        "error": firing.error,
        "actions": json.loads(firing.actions),
        "message_id": firing.message_id,
        "ticket_id": firing.ticket_id,
        "contact_id": firing.contact_id,
        "company_id": firing.company_id,
    }
