"""`inbox-crm import`: mbox, Maildir and .eml files through the same pipeline."""

from __future__ import annotations

from datetime import timedelta
from itertools import islice
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from inbox_crm.cli.context import AppContext, pass_app
from inbox_crm.importing.sources import count_source, iter_source
from inbox_crm.ingest.pipeline import (
    BatchResult,
    Incoming,
    Ingestor,
    ensure_folder,
    ensure_mailbox,
)
from inbox_crm.ingest.steps import configured_steps

BATCH = 200


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--mailbox",
    metavar="NAME",
    help="Mailbox to file the messages under [default: the only configured "
    "mailbox, else 'import'].",
)
@click.option(
    "--address",
    "addresses",
    multiple=True,
    metavar="ADDR",
    help="An address of yours, so mail from it counts as sent (repeatable); "
    "added to the mailbox's configured addresses.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@pass_app
def import_command(
    app: AppContext,
    path: Path,
    mailbox: str | None,
    addresses: tuple[str, ...],
    no_progress: bool,
) -> None:
    """Import mail from PATH: an mbox file, a Maildir, an .eml file or a folder.

    Messages already stored are recognised and not stored twice, so an import
    can be repeated or resumed after an interruption.
    """
    config = app.config
    name = mailbox or (
        next(iter(config.mailboxes)) if len(config.mailboxes) == 1 else "import"
    )
    own = list(config.mailboxes[name].addresses) if name in config.mailboxes else []
    own += [address.lower() for address in addresses]

    database = app.database
    with database.session() as session, session.begin():
        mailbox_id = ensure_mailbox(session, name).id
    # Rules see imported mail too, but mail dated before they were enabled
    # fires none: `inbox-crm rules run --since DAY` applies them on request.
    steps = configured_steps(config, own)
    window = timedelta(days=config.sync.thread_window_days)
    ingestor = Ingestor(
        mailbox_id, own, window, linker=steps.linker, observers=steps.observers
    )

    total = BatchResult()
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=no_progress or not console.is_terminal,
        transient=True,
    )
    with progress:
        task = progress.add_task("import", total=count_source(path))
        sources = iter_source(path)
        while batch := list(islice(sources, BATCH)):
            with database.writing() as session, session.begin():
                items = [
                    Incoming(
                        raw=source.raw,
                        folder_id=ensure_folder(session, mailbox_id, source.folder).id,
                        received_at=source.received_at,
                    )
                    for source in batch
                ]
                total.add(ingestor.ingest(session, items))
            progress.advance(task, len(batch))
    click.echo(
        f"{path}: {total.stored} new, {total.duplicates} already stored, "
        f"{total.quarantined} quarantined (mailbox {name})"
    )
