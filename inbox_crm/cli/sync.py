"""`inbox-crm sync`: one pass over the configured mailboxes."""

from __future__ import annotations

import asyncio

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
)

from inbox_crm.agent.holder import LeaseHolder, MailboxBusy
from inbox_crm.cli.context import AppContext, pass_app
from inbox_crm.config import MailboxConfig
from inbox_crm.imap.poller import Poller, SyncReport
from inbox_crm.ingest.steps import Steps, configured_steps


@click.command("sync")
@click.option(
    "--mailbox",
    "names",
    multiple=True,
    metavar="NAME",
    help="Only this mailbox (repeatable). Default: every configured mailbox.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@pass_app
def sync_command(app: AppContext, names: tuple[str, ...], no_progress: bool) -> None:
    """Fetch new mail from each mailbox's folders and store it.

    Incremental: only messages not yet stored are fetched. Flags on the server
    are never changed. A mailbox that an agent (`inbox-crm run`) or another
    sync is working is skipped with a message. Exits 1 when a mailbox or
    folder could not be synced. With -q only failed folders are reported.
    """
    config = app.config
    mailboxes = [config.mailbox(name) for name in names] or list(
        config.mailboxes.values()
    )
    if not mailboxes:
        raise click.UsageError(f"{config.path} configures no [mailboxes.NAME] yet")

    # Invalid rules stop the sync before it touches any mail.
    steps = configured_steps(config)
    console = Console(stderr=True)
    failed = False
    lease = float(config.agent.lease_duration)
    for mailbox in mailboxes:
        try:
            with LeaseHolder(app.database, mailbox.name, lease) as holder:
                result = _sync_one(app, mailbox, console, no_progress, steps, holder)
        except MailboxBusy as exc:
            click.echo(f"{mailbox.name}: skipped: {exc}", err=app.quiet)
            failed = True
            continue
        _summary(result, quiet=app.quiet)
        failed = failed or bool(result.errors)
    if failed:
        raise SystemExit(1)


def _sync_one(
    app: AppContext,
    mailbox: MailboxConfig,
    console: Console,
    no_progress: bool,
    steps: Steps,
    holder: LeaseHolder,
) -> SyncReport:
    with _progress(console, disabled=no_progress or app.quiet) as progress:
        tasks: dict[str, TaskID] = {}

        def report(folder: str, done: int, total: int) -> None:
            if folder not in tasks:
                label = f"{mailbox.name}/{folder}"
                tasks[folder] = progress.add_task(label, total=total)
            progress.update(tasks[folder], completed=done, total=total)

        poller = Poller(
            app.database,
            mailbox,
            app.config.sync,
            progress=report,
            # Between batches: the lease is renewed; a sync is never stopped.
            stop=holder.keep,
            linker=steps.linker,
            observers=steps.observers,
        )
        return asyncio.run(poller.run_once())


def _progress(console: Console, disabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=disabled or not console.is_terminal,
        transient=True,
    )


def _summary(report: SyncReport, *, quiet: bool) -> None:
    """A line per folder; quiet, only the failed folders' lines, on stderr."""
    for folder in report.folders:
        if quiet and not folder.error:
            continue
        counts = folder.result
        line = (
            f"{report.mailbox}/{folder.folder}: {folder.fetched} fetched, "
            f"{counts.stored} new, {counts.duplicates} already stored, "
            f"{counts.quarantined} quarantined"
        )
        if folder.resynced:
            line += " (UIDVALIDITY changed: folder resynchronised)"
        if folder.error:
            line += f" - FAILED: {folder.error}"
        click.echo(line, err=quiet)
