"""One demo run: a sample mailbox on embedded servers, worked by the real agent code.

The demo directory gets a configuration file, rules and templates folders, a
SQLite database and a marker file. The run starts an IMAP and an SMTP
server on loopback, syncs the mailbox (linking and rules), runs the rules
sweep, flushes the outbox (follow-ups queued by a rule go out and are filed
in Sent) and makes and sends Maya's digest: the same functions the agent's
jobs call. A later run replaces what an earlier run wrote, and refuses a
non-empty directory that holds no earlier demo.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from inbox_crm.cli.setup import copy_missing
from inbox_crm.config import Config, load_config
from inbox_crm.demo.clients import import_address_book
from inbox_crm.demo.sample import SampleMailbox, sample_mailbox
from inbox_crm.demo.server import DemoServer
from inbox_crm.demo.settings import CONFIG_TEMPLATE, MAILBOX, PASSWORD_ENV, USER
from inbox_crm.demo.smtp import DemoSmtp
from inbox_crm.demo.summary import DemoSummary, gather
from inbox_crm.digest.jobs import DigestWorker
from inbox_crm.errors import InboxCrmError
from inbox_crm.imap.poller import Poller
from inbox_crm.ingest.steps import configured_steps
from inbox_crm.outreach.jobs import flush_outbox
from inbox_crm.rules.hook import configured_engine
from inbox_crm.rules.sweep import sweep
from inbox_crm.storage.db import Database, open_database
from inbox_crm.wording import counted

log = logging.getLogger(__name__)

DEFAULT_DIRECTORY = Path("demo-data")
CONFIG_NAME = "inbox-crm.toml"
DATABASE_NAME = "inbox-crm.db"
MARKER_NAME = ".inbox-crm-demo"
# Everything a run writes; a new run removes these and nothing else.
WRITTEN = (
    CONFIG_NAME,
    DATABASE_NAME,
    DATABASE_NAME + "-wal",
    DATABASE_NAME + "-shm",
    DATABASE_NAME + "-journal",
    MARKER_NAME,
)
WRITTEN_FOLDERS = ("rules", "templates")
Report = Callable[[str], None]


class DemoError(InboxCrmError):
    """The demo cannot use the directory it was given."""


async def run_demo(directory: Path, out: Report) -> DemoSummary:
    """Run the demo into `directory`; `out` receives one line per step."""
    started = time.monotonic()
    prepare_directory(directory)
    sample = sample_mailbox(datetime.now(UTC))
    password = secrets.token_urlsafe(16)

    with DemoSmtp() as smtp:
        async with DemoServer(sample.address, password) as server:
            loading = counted(len(sample.messages), "sample message")
            out(f"Loading {loading} into the demo mailbox")
            await load(server, sample)
            path = write_config(directory, server.port, smtp.port, sample)
            config = load_config(path)
            summary = DemoSummary(
                directory=directory,
                config_path=config.path,
                database_path=directory / DATABASE_NAME,
                loaded=len(sample.messages),
            )
            database = open_database(config.database_url)
            try:
                out("Importing Maya's address book")
                import_address_book(database, config)
                with _environment(PASSWORD_ENV, password):
                    summary.errors = await work(config, database, out)
            finally:
                database.dispose()
        summary.sent_mail = smtp.received

    database = open_database(config.database_url)
    try:
        gather(database, config, MAILBOX, summary)
    finally:
        database.dispose()
    summary.seconds = time.monotonic() - started
    return summary


async def work(config: Config, database: Database, out: Report) -> list[str]:
    """What the agent's jobs do, once each: sync, sweep, outbox, digest, outbox."""
    errors = await sync(config, database, out)

    out("Running the rules sweep: follow-ups for unanswered mail")
    sweep(database, configured_engine(config))

    mailbox = config.mailbox(MAILBOX)
    out("Sending the follow-ups the rules queued")
    report = await flush_outbox(config, database, mailbox)
    errors += [problem for problem in (report.error,) if problem]

    out("Making and sending Maya's digest")
    DigestWorker(config, database, config.user(USER)).queue(datetime.now(UTC))
    report = await flush_outbox(config, database, mailbox)
    errors += [problem for problem in (report.error,) if problem]
    return errors


def prepare_directory(directory: Path) -> None:
    """Make `directory` ready for a run, removing an earlier demo's files."""
    if directory.exists() and not directory.is_dir():
        raise DemoError(f"{directory} is a file; choose a directory with --dir")
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER_NAME).exists():
            raise DemoError(
                f"{directory} is not empty and holds no earlier demo; "
                "choose another directory with --dir"
            )
        for name in WRITTEN:
            (directory / name).unlink(missing_ok=True)
        for name in WRITTEN_FOLDERS:
            shutil.rmtree(directory / name, ignore_errors=True)
        log.info("removed the earlier demo in %s", directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER_NAME).write_text(
        "Written by `inbox-crm demo`; the next run replaces this directory's "
        "demo files.\n",
        encoding="utf-8",
    )


async def load(server: DemoServer, sample: SampleMailbox) -> None:
    """Put every sample message into its folder, oldest arrival first."""
    for message in sample.messages:
        await server.append(message.folder, message.raw, message.received)


def write_config(
    directory: Path, imap_port: int, smtp_port: int, sample: SampleMailbox
) -> Path:
    """Write the demo's configuration, rules and templates; return the config's path.

    The rules fire on the whole sample (`since` is before its first message),
    as they would on mail that arrived while the agent ran.
    """
    since = sample.messages[0].received - timedelta(days=1)
    path = directory / CONFIG_NAME
    text = CONFIG_TEMPLATE.format(
        imap_port=imap_port,
        smtp_port=smtp_port,
        address=sample.address,
        since=since.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    path.write_text(text, "utf-8")
    package = resources.files("inbox_crm")
    copy_missing(package / "starter" / "rules", directory / "rules")
    copy_missing(package / "demo" / "rules", directory / "rules")
    copy_missing(package / "starter" / "templates", directory / "templates")
    return path


async def sync(config: Config, database: Database, out: Report) -> list[str]:
    """One pass of the poller over the demo mailbox, linking and rules on."""

    def progress(folder: str, done: int, total: int) -> None:
        out(f"Syncing {folder}: {done} of {counted(total, 'message')}")

    steps = configured_steps(config)
    poller = Poller(
        database,
        config.mailbox(MAILBOX),
        config.sync,
        progress,
        linker=steps.linker,
        observers=steps.observers,
    )
    report = await poller.run_once()
    return report.errors


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the duration of the block."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
