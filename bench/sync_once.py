"""One sync pass from a config file, as `inbox-crm sync` runs it, with its figures.

Run by bench/ingest.py as a process of its own, so that the peak memory it
reports (VmHWM, read from /proc/self/status) is that of the sync alone. It
prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import time
from pathlib import Path

from inbox_crm.config import load_config
from inbox_crm.imap.poller import Poller
from inbox_crm.logs import configure_logging
from inbox_crm.storage.db import open_database


def main() -> None:
    options = _arguments()
    started = time.perf_counter()
    level = logging.WARNING if options.quiet else logging.INFO
    configure_logging(level, "text", imap_traffic=False)

    config = load_config(options.config)
    database = open_database(config.database_url)
    mailbox = next(iter(config.mailboxes.values()))
    poller = Poller(database, mailbox, config.sync)
    pass_started = time.perf_counter()
    report = asyncio.run(poller.run_once())
    finished = time.perf_counter()
    database.dispose()

    print(
        json.dumps(
            {
                "process_seconds": finished - started,
                "pass_seconds": finished - pass_started,
                "fetched": sum(folder.fetched for folder in report.folders),
                "stored": sum(folder.result.stored for folder in report.folders),
                "quarantined": sum(
                    folder.result.quarantined for folder in report.folders
                ),
                "commands": report.commands,
                "folders": len(report.folders),
                "errors": report.errors,
                "peak_rss_kb": peak_rss_kb(),
                "cpu_seconds": cpu_seconds(),
            }
        )
    )


def peak_rss_kb() -> int:
    """This process's peak resident memory (VmHWM), which exec does not inherit."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/self/status has no VmHWM line")


def cpu_seconds() -> float:
    """User and system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", type=Path, help="the inbox-crm.toml to sync")
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    return parser.parse_args()


if __name__ == "__main__":
    main()
