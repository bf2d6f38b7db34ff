"""One sync pass from a config file, as `inbox-crm sync` runs it, with its figures.

Run by bench/ingest.py as a process of its own, so that the peak memory it
reports (VmHWM, read from /proc/self/status) is that of the sync alone; the
peaks of its child processes (the prepare worker) are sampled while they run
and added. It prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import threading
import time
from pathlib import Path

from inbox_crm.config import load_config
from inbox_crm.imap.poller import Poller
from inbox_crm.ingest.steps import configured_steps
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
    # Linking and the rules, as `inbox-crm sync` runs them on what it stores.
    steps = configured_steps(config)
    poller = Poller(
        database,
        mailbox,
        config.sync,
        linker=steps.linker,
        observers=steps.observers,
    )
    children = ChildPeaks()
    children.start()
    pass_started = time.perf_counter()
    report = asyncio.run(poller.run_once())
    finished = time.perf_counter()
    children.stop()
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
                "peak_rss_kb": peak_rss_kb("self") + sum(children.peaks.values()),
                "children_peak_rss_kb": sum(children.peaks.values()),
                "cpu_seconds": cpu_seconds(),
            }
        )
    )


def peak_rss_kb(pid: str) -> int:
    """A process's peak resident memory (VmHWM), which exec does not inherit."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line")


class ChildPeaks(threading.Thread):
    """Samples the peak memory of this process's children while they live."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peaks: dict[str, int] = {}
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(0.1):
            for pid in _children():
                try:
                    peak = peak_rss_kb(pid)
                except (OSError, RuntimeError):
                    continue  # ended between the listing and the read
                self.peaks[pid] = max(self.peaks.get(pid, 0), peak)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def _children() -> list[str]:
    """Process ids whose parent is this process, from /proc/*/stat."""
    me = os.getpid()
    pids: list[str] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (name) state ppid ...": the name may hold spaces and brackets.
        if int(stat.rpartition(")")[2].split()[1]) == me:
            pids.append(entry.name)
    return pids


def cpu_seconds() -> float:
    """User and system CPU time of this process and its ended children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", type=Path, help="the inbox-crm.toml to sync")
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    return parser.parse_args()


if __name__ == "__main__":
    main()
