"""The prepare worker: a real child process that parses batches in order."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

from inbox_crm.ingest.pipeline import Incoming
from inbox_crm.ingest.prepare import prepare
from inbox_crm.ingest.prepared import Prepared, Unreadable
from inbox_crm.ingest.preparer import Preparer
from inbox_crm.ingest.worker import PrepareWorker
from tests.mailfactory import make_message

OWN = ("maya@agency.example",)
ARRIVED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def batch(start: int, count: int) -> list[Incoming]:
    return [
        Incoming(
            make_message(message_id=f"<m{n}@client.example>", subject=f"Note {n}"),
            received_at=ARRIVED,
        )
        for n in range(start, start + count)
    ]


def test_batches_come_back_prepared_in_order_as_in_process() -> None:
    first, second = batch(0, 3), [*batch(3, 2), Incoming(b"\x00 not mail")]
    worker = PrepareWorker(OWN)
    try:
        worker.submit([(item.raw, item.received_at) for item in first])
        worker.submit([(item.raw, item.received_at) for item in second])
        results = [worker.take(), worker.take()]
    finally:
        worker.close()

    expected = [
        [prepare(item.raw, item.received_at, OWN) for item in items]
        for items in (first, second)
    ]
    assert results == expected
    assert isinstance(results[1][-1], Unreadable)
    assert all(isinstance(result, Prepared) for result in results[0])
    assert worker.process.returncode == 0


def test_a_dead_worker_leaves_the_batch_to_be_parsed_in_process() -> None:
    preparer = Preparer(OWN, timeout=10.0)
    preparer.start()
    worker = preparer.worker
    assert worker is not None
    holder = preparer.submit(batch(0, 2))
    worker.process.kill()

    prepared = asyncio.run(preparer.take(holder))

    assert prepared is None
    assert preparer.worker is None
    assert preparer.submit(batch(2, 1)) is None


def test_without_a_worker_nothing_is_prepared_ahead() -> None:
    preparer = Preparer(OWN, timeout=10.0)

    holder = preparer.submit(batch(0, 1))

    assert holder is None
    assert asyncio.run(preparer.take(holder)) is None


def test_the_syncing_process_leaves_parsing_and_holiday_libraries_to_the_worker() -> (
    None
):
    """Only the worker parses: the process that stores loads no parser.

    Nor the holiday calendars (no country is configured) nor an HTTP stack
    for the suffix list: each cost megabytes in every sync for nothing.
    """
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path

        import inbox_crm
        from inbox_crm.config import Config, RulesConfig
        from inbox_crm.contacts.domains import registrable_domain
        from inbox_crm.imap.poller import Poller  # noqa: F401
        from inbox_crm.ingest.steps import configured_steps
        from inbox_crm.storage.db import open_database

        open_database("sqlite://")

        starter = Path(inbox_crm.__file__).parent / "starter" / "rules"
        config = Config(Path("inbox-crm.toml"), "sqlite://", rules=RulesConfig(starter))
        configured_steps(config)
        registrable_domain("mail.acme.co.uk")
        # tldextract stays: linking in this process needs the suffix list.
        heavy = ("mailparser", "inscriptis", "lxml", "holidays",
                 "inbox_crm.mail.parse", "inbox_crm.ingest.prepare")
        print(" ".join(sorted(name for name in heavy if name in sys.modules)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
