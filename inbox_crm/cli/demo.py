"""`inbox-crm demo`: a sample mailbox, synced and summarised, without an account."""

from __future__ import annotations

import asyncio
import logging
import shlex
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from inbox_crm.cli.cards import print_card
from inbox_crm.demo.run import DEFAULT_DIRECTORY, run_demo
from inbox_crm.demo.summary import DemoSummary
from inbox_crm.wording import counted

DIRECTION_LABELS = {"inbound": "Received", "outbound": "Sent by Maya"}
KIND_LABELS = {
    "normal": "Normal mail",
    "list": "Newsletters and lists",
    "auto_reply": "Auto-replies",
    "bounce": "Bounces",
}


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DIRECTORY,
    show_default=True,
    help="Where the demo writes its configuration and database.",
)
def demo_command(directory: Path) -> None:
    """Try inbox-crm on a sample mailbox; no mail account needed.

    Starts an IMAP and an SMTP server inside this command, fills the mailbox
    with about 300 messages of a small design agency, and runs the agent's
    work on it once: sync (linking and rules), the rules sweep, the outbox
    (follow-ups go out and are filed in Sent) and the owner's daily digest.
    Then it shows what happened. Nothing leaves this machine. An earlier demo
    in the same directory is replaced.
    """
    console = Console()
    status_console = Console(stderr=True)
    with status_console.status("Starting the demo mailbox") as status, _quiet_logs():
        summary = asyncio.run(run_demo(directory, status.update))
    print_summary(console, summary, directory)


def print_summary(console: Console, summary: DemoSummary, directory: Path) -> None:
    """The closing report: counts, examples, files and what to try next."""
    copies = counted(summary.loaded - summary.stored, "was a copy", "were copies")
    console.print(
        f"\n[bold]Demo finished in {summary.seconds:.1f}s:[/] "
        f"{counted(summary.stored, 'message')} stored from {summary.loaded} in "
        f"INBOX and Sent ({copies} of a stored message)."
    )
    for error in summary.errors:
        console.print(f"[yellow]warning:[/] {error}")
    console.print(_counts(summary))
    console.print(_threads(summary))
    console.print(_recent(summary))
    console.print(_history(summary))
    console.print(_agent_work(summary))
    if summary.card is not None:
        console.print("\n[bold]A client card[/] (inbox-crm contacts show):")
        print_card(summary.card, "table")
    console.print(_sent_mail(summary))
    if summary.digest_text:
        console.print(f"\n[bold]Maya's digest[/] ({summary.digest_subject}):")
        console.print(summary.digest_text, highlight=False, markup=False)
    _files_and_next_steps(console, summary, directory)


def _agent_work(summary: DemoSummary) -> Table:
    table = Table("What the rules and the outbox did", "Count", title_justify="left")
    for rule, count in sorted(summary.firings.items()):
        table.add_row(f"Rule fired: {rule}", str(count))
    table.add_row("Open activities (follow-ups)", str(summary.activities))
    table.add_row("Open tickets", str(summary.tickets))
    for status, count in sorted(summary.outbox.items()):
        table.add_row(f"Outbox: {status}", str(count))
    return table


def _sent_mail(summary: DemoSummary) -> Table:
    table = Table(
        title="Mail that went out (received by the demo's SMTP server)",
        title_justify="left",
    )
    table.add_column("To")
    table.add_column("Subject")
    for mail in summary.sent_mail:
        message = mail.message
        table.add_row(", ".join(mail.recipients), str(message["Subject"] or ""))
    return table


def _counts(summary: DemoSummary) -> Table:
    table = Table(title="What was stored", title_justify="left")
    table.add_column("")
    table.add_column("Messages", justify="right")
    for direction, count in summary.by_direction.items():
        table.add_row(DIRECTION_LABELS.get(direction, direction), str(count))
    for kind, count in summary.by_kind.items():
        table.add_row(KIND_LABELS.get(kind, kind), str(count))
    table.add_row("Threads", str(summary.threads))
    table.add_row("Quarantined (not mail)", str(summary.quarantined))
    return table


def _threads(summary: DemoSummary) -> Table:
    table = Table(title="Largest threads", title_justify="left")
    table.add_column("Subject")
    table.add_column("Messages", justify="right")
    table.add_column("Last message")
    for thread in summary.largest_threads:
        table.add_row(thread.subject, str(thread.messages), _day(thread.last_date))
    return table


def _recent(summary: DemoSummary) -> Table:
    table = Table(title="Most recent messages", title_justify="left")
    table.add_column("Date")
    table.add_column("")
    table.add_column("From")
    table.add_column("Subject")
    for message in summary.recent:
        arrow = "→ out" if message.direction == "outbound" else "← in"
        table.add_row(_day(message.date), arrow, message.sender, message.subject)
    return table


def _history(summary: DemoSummary) -> Table:
    table = Table("Client history", "Count", title_justify="left")
    imported = summary.contacts.get("import", 0)
    created = summary.contacts.get("auto", 0)
    table.add_row("Contacts from the address book", str(imported))
    table.add_row("Contacts created from the mail", str(created))
    table.add_row("Companies", str(summary.companies))
    for method, count in sorted(summary.links.items()):
        table.add_row(f"Participants linked: {method}", str(count))
    return table


def _files_and_next_steps(
    console: Console, summary: DemoSummary, directory: Path
) -> None:
    config = shlex.quote(str(directory / summary.config_path.name))
    console.print(f"\nConfiguration: {summary.config_path}")
    console.print(f"Database:      {summary.database_path}")
    console.print("\nKeep exploring:")
    for command in (
        "messages list --limit 20",
        "messages list --format json --limit 3",
        "export messages > demo-messages.jsonl",
        "contacts list",
        f"contacts show {_card_address(summary)}",
        "companies list",
        "activities list --due overdue",
        "tickets list",
        "rules firings --limit 10",
        "outbox list",
        "digest preview --user maya",
        "digest preview --user maya --html > digest.html",
        "review list",
        "quarantine list",
    ):
        # One line each, never wrapped, so a command can be copied whole.
        line = f"  {_program()} --config {config} {command}"
        console.print(line, highlight=False, soft_wrap=True)


def _program() -> str:
    """How to run inbox-crm from here: its name if on PATH, else its path."""
    if shutil.which("inbox-crm") is not None:
        return "inbox-crm"
    script = Path(sys.argv[0])
    if script.name != "inbox-crm" or not script.exists():
        return "inbox-crm"
    try:
        return shlex.quote(str(script.resolve().relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(script.resolve()))


def _card_address(summary: DemoSummary) -> str:
    card = summary.card or {}
    return shlex.quote(str(card.get("address") or card.get("id") or 1))


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """Hold back the per-message log lines unless more detail was asked for.

    The summary reports what they would say; with -v they are shown.
    """
    # aiosmtpd logs every SMTP command of the demo's server at INFO.
    loggers = [logging.getLogger(name) for name in ("inbox_crm", "mail.log")]
    before = [logger.level for logger in loggers]
    if logging.getLogger().getEffectiveLevel() >= logging.INFO:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)
