"""Outbox benchmark: flushing queued mail to a local SMTP server, beside aiosmtplib.

A real aiosmtpd server runs on loopback in a process of its own
(bench/smtp_sink.py), so that it shares no GIL with the sender. The baseline
is a plain aiosmtplib loop over one connection that builds and sends each
mail. Then the same number of outreach mails is queued through
`queue_outreach` (rendered from a template) into a fresh database and sent by
one flush: claim, DATA marker, send, mark sent and store the mail as an
outbound message through the ingestion pipeline. Every figure is mails per
second of wall time; the ratio is inbox-crm's flush rate to the baseline's.

Run from the repository root:
`.venv/bin/python -m bench.outbox [--mails 5000] [--postgres] [--json]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib

from inbox_crm.config import load_config
from inbox_crm.outreach.flush import Flusher
from inbox_crm.outreach.queue import queue_outreach
from inbox_crm.storage.db import open_database
from tests.outreach.conftest import write_config
from tests.servers import postgres
from tests.servers.smtp import free_port

DEFAULT_MAILS = 5_000
SUBJECT = "Hello {name}"
BODY = "Dear {name},\n\nA short note about the project.\n\nMaya Lin\n"


@dataclass(frozen=True)
class Sink:
    """The benchmark's SMTP server: where it listens and the file of what it took."""

    host: str
    port: int
    log: Path

    def message_ids(self) -> list[str]:
        return self.log.read_text(encoding="ascii").split()


@contextmanager
def sink(work: Path) -> Iterator[Sink]:
    server = Sink("127.0.0.1", free_port(), work / "received.txt")
    command = [
        sys.executable,
        "-m",
        "bench.smtp_sink",
        str(server.port),
        str(server.log),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != b"ready":
            raise SystemExit("the benchmark SMTP server did not start")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Figures:
    """What one run measured."""

    database: str
    mails: int
    baseline_per_second: float
    queue_per_second: float
    flush_per_second: float
    ratio: float
    delivered: int


async def baseline(server: Sink, mails: int) -> float:
    """Seconds a plain aiosmtplib loop takes to build and send `mails` mails."""
    start = time.perf_counter()
    async with aiosmtplib.SMTP(hostname=server.host, port=server.port) as client:
        for number in range(mails):
            message = EmailMessage()
            message["From"] = "Maya Lin <maya@agency.example>"
            message["To"] = f"Client {number} <client{number}@client.example>"
            message["Subject"] = SUBJECT.format(name=f"Client {number}")
            message["Message-ID"] = make_msgid(domain="agency.example")
            message.set_content(BODY.format(name=f"Client {number}"))
            await client.send_message(message)
    return time.perf_counter() - start


def outbox_run(server: Sink, url: str, work: Path, mails: int) -> tuple[float, float]:
    """Seconds to queue `mails` outreach mails, and to flush them."""
    config = load_config(write_config(work, url, server))  # type: ignore[arg-type]
    database = open_database(url)
    try:
        start = time.perf_counter()
        with database.session() as session, session.begin():
            for number in range(mails):
                queue_outreach(
                    session,
                    config,
                    "hello",
                    f"Client {number} <client{number}@client.example>",
                )
        queued = time.perf_counter() - start

        flusher = Flusher(database, config, config.mailbox("work"))
        start = time.perf_counter()
        report = asyncio.run(flusher.run())
        flushed = time.perf_counter() - start
        if report.sent != mails:
            raise SystemExit(f"only {report.sent} of {mails} sent: {report.summary()}")
        return queued, flushed
    finally:
        database.dispose()


@contextmanager
def database_url(kind: str, work: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{work / 'bench.db'}"
        return
    with postgres.throwaway_database("inbox_crm_bench") as url:
        yield url


def measure(kind: str, mails: int) -> Figures:
    parent = "/dev/shm" if Path("/dev/shm").is_dir() else None
    work = Path(tempfile.mkdtemp(prefix="inbox-crm-bench-", dir=parent))
    try:
        with sink(work) as server:
            base = asyncio.run(baseline(server, mails))
            with database_url(kind, work) as url:
                queued, flushed = outbox_run(server, url, work, mails)
            delivered = len(set(server.message_ids()[mails:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Figures(
        database=kind,
        mails=mails,
        baseline_per_second=mails / base,
        queue_per_second=mails / queued,
        flush_per_second=mails / flushed,
        ratio=base / flushed,
        delivered=delivered,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=DEFAULT_MAILS)
    parser.add_argument(
        "--postgres", action="store_true", help="Also on PostgreSQL (127.0.0.1:5432)."
    )
    parser.add_argument("--json", action="store_true", help="One JSON object a run.")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    kinds = ["sqlite", "postgresql"] if options.postgres else ["sqlite"]
    runs = [measure(kind, options.mails) for kind in kinds]
    if options.json:
        for figures in runs:
            print(json.dumps(asdict(figures)))
        return
    print(
        f"{'database':<11} {'mails':>6} {'aiosmtplib/s':>13} {'queue/s':>9} "
        f"{'flush/s':>9} {'ratio':>6} {'delivered':>10}"
    )
    for f in runs:
        print(
            f"{f.database:<11} {f.mails:>6} {f.baseline_per_second:>13.0f} "
            f"{f.queue_per_second:>9.0f} {f.flush_per_second:>9.0f} "
            f"{f.ratio:>6.2f} {f.delivered:>10}"
        )


if __name__ == "__main__":
    main()
