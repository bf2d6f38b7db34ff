"""One demo run: a sample mailbox on an embedded server, synced by the real poller.

The demo directory gets a configuration file, a SQLite database and a
marker file. A later run replaces what an earlier run wrote, and refuses a
non-empty directory that holds no earlier demo.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from inbox_crm.config import Config, load_config
from inbox_crm.contacts.linker import Linker
from inbox_crm.demo.clients import import_address_book
from inbox_crm.demo.sample import SampleMailbox, sample_mailbox
from inbox_crm.demo.server import DemoServer
from inbox_crm.demo.summary import DemoSummary, gather
from inbox_crm.errors import InboxCrmError
from inbox_crm.imap.poller import Poller
from inbox_crm.storage.db import open_database

log = logging.getLogger(__name__)

DEFAULT_DIRECTORY = Path("demo-data")
MAILBOX = "demo"
PASSWORD_ENV = "INBOX_CRM_DEMO_PASSWORD"
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
Report = Callable[[str], None]


class DemoError(InboxCrmError):
    """The demo cannot use the directory it was given."""


async def run_demo(directory: Path, out: Report) -> DemoSummary:
    """Run the demo into `directory`; `out` receives one line per step."""
    started = time.monotonic()
    prepare_directory(directory)
    sample = sample_mailbox(datetime.now(UTC))
    password = secrets.token_urlsafe(16)

    async with DemoServer(sample.address, password) as server:
        out(f"Loading {len(sample.messages)} sample messages into the demo mailbox")
        await load(server, sample)
        config = load_config(write_config(directory, server.port, sample.address))
        summary = DemoSummary(
            directory=directory,
            config_path=config.path,
            database_path=directory / DATABASE_NAME,
            loaded=len(sample.messages),
        )
        out("Importing Maya's address book")
        database = open_database(config.database_url)
        try:
            import_address_book(database, config)
        finally:
            database.dispose()
        with _environment(PASSWORD_ENV, password):
            summary.errors = await sync(config, out)

    database = open_database(config.database_url)
    try:
        gather(database, MAILBOX, summary)
    finally:
        database.dispose()
    summary.seconds = time.monotonic() - started
    return summary


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


def write_config(directory: Path, port: int, address: str) -> Path:
    """Write the demo's configuration file and return its path."""
    path = directory / CONFIG_NAME
    path.write_text(CONFIG_TEMPLATE.format(port=port, address=address), "utf-8")
    return path


async def sync(config: Config, out: Report) -> list[str]:
    """One pass of the poller over the demo mailbox; return the folder errors."""
    database = open_database(config.database_url)
    try:

        def progress(folder: str, done: int, total: int) -> None:
            out(f"Syncing {folder}: {done} of {total} messages")

        linker = Linker(config.linking, config.own_addresses)
        mailbox = config.mailbox(MAILBOX)
        poller = Poller(database, mailbox, config.sync, progress, linker=linker)
        report = await poller.run_once()
    finally:
        database.dispose()
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


CONFIG_TEMPLATE = f"""\
# Written by `inbox-crm demo`. The demo mailbox lived on an IMAP server
# inside that command and is gone now: commands that read the database
# (messages, contacts, companies, export, quarantine) work with this file;
# sync does not.

[database]
# No url: the data is in {DATABASE_NAME}, beside this file.

[sync]
batch_size = 100
timeout = 30

[mailboxes.{MAILBOX}]
host = "127.0.0.1"
port = {{port}}
# Plain IMAP is allowed on the loopback address only.
security = "none"
username = "{{address}}"
# A fresh random password each run, set in the demo's own environment.
password_env = "{PASSWORD_ENV}"
folders = ["INBOX", "\\\\Sent"]
addresses = ["{{address}}"]
"""
