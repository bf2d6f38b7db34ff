"""Ingestion benchmark: inbox-crm's first sync beside mbsync, peak memory, idle poll.

For each size, a deterministic mailbox (bench/mailbox.py) is loaded into a
real Dovecot on loopback. mbsync (isync) fetches it into a Maildir on tmpfs,
then `bench/sync_once.py` runs inbox-crm's sync (IMAP fetch, parse, classify,
store, thread) into a fresh SQLite database, in a process of its own whose
peak memory is read from VmHWM. A second sync with nothing new is the idle
poll. The table at the end compares each figure with its target; a missed
target is reported, not an error.

Run from the repository root: `.venv/bin/python -m bench.ingest [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.mailbox import OWN_ADDRESS, SEED, mailbox
from tests.servers.dovecot import DovecotServer, ImapAccount, fast_parent_directory

MBSYNC = "/usr/bin/mbsync"
PASSWORD_ENV = "INBOX_CRM_BENCH_PASSWORD"
FOLDERS = ("INBOX", "Sent")
DEFAULT_SIZES = (10_000, 100_000)
QUICK_SIZES = (500, 2_000)
RATIO_TARGET = 0.3
RSS_TARGET_MB = 150.0
# Peak memory counts as flat when the largest run needs at most this much more.
FLAT_TOLERANCE = 0.10


@dataclass
class Figures:
    """What one mailbox size measured."""

    messages: int
    megabytes: float
    mbsync_seconds: float
    mbsync_cpu_seconds: float
    mbsync_messages: int
    sync_seconds: float
    sync_pass_seconds: float
    sync_cpu_seconds: float
    stored: int
    quarantined: int
    peak_rss_mb: float
    worker_rss_mb: float
    idle_seconds: float
    idle_pass_seconds: float
    idle_commands: int
    idle_fetched: int
    folders: int
    errors: list[str]

    @property
    def sync_rate(self) -> float:
        return self.messages / self.sync_seconds

    @property
    def mbsync_rate(self) -> float:
        return self.messages / self.mbsync_seconds

    @property
    def ratio(self) -> float:
        return self.sync_rate / self.mbsync_rate

    @property
    def cpu_ratio(self) -> float:
        """The same ratio by CPU time, which other load on the machine moves less."""
        return self.mbsync_cpu_seconds / self.sync_cpu_seconds


def main() -> None:
    options = _arguments()
    sizes = QUICK_SIZES if options.quick else options.sizes
    parent = options.work_dir or fast_parent_directory()
    results = []
    with DovecotServer(parent) as server:
        for size in sizes:
            results.append(measure(server, size, options, parent))
    print_table(results)
    if options.output:
        _write_json(options.output, results)


def measure(
    server: DovecotServer, size: int, options: argparse.Namespace, parent: str | None
) -> Figures:
    """Load `size` messages, then time mbsync, the first sync and an idle poll."""
    account = server.add_user(f"bench{size}", "bench-secret")
    work = Path(tempfile.mkdtemp(prefix="inbox-crm-bench-", dir=parent))
    try:
        _say(f"{size:,} messages: writing the mailbox into Dovecot")
        megabytes = load(account, size, options.seed)

        _say(f"{size:,} messages: mbsync (a first run warms Dovecot's caches)")
        run_mbsync(account, work / "warm-up")
        mbsync_seconds, mbsync_cpu, mbsync_messages = run_mbsync(
            account, work / "mbsync"
        )

        _say(f"{size:,} messages: inbox-crm sync")
        config = write_config(work, account, options.batch_size)
        first = run_sync(config, work / "first-sync.log")
        _say(f"{size:,} messages: idle poll")
        idle = run_sync(config, work / "idle-poll.log")
    finally:
        server.remove_user(account.user)
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            _say(f"kept {work}")

    return Figures(
        messages=size,
        megabytes=megabytes,
        mbsync_seconds=mbsync_seconds,
        mbsync_cpu_seconds=mbsync_cpu,
        mbsync_messages=mbsync_messages,
        sync_seconds=first["wall_seconds"],
        sync_pass_seconds=first["pass_seconds"],
        sync_cpu_seconds=first["cpu_seconds"],
        stored=first["stored"],
        quarantined=first["quarantined"],
        peak_rss_mb=first["peak_rss_kb"] / 1024,
        worker_rss_mb=first["children_peak_rss_kb"] / 1024,
        idle_seconds=idle["wall_seconds"],
        idle_pass_seconds=idle["pass_seconds"],
        idle_commands=idle["commands"],
        idle_fetched=idle["fetched"],
        folders=idle["folders"],
        errors=first["errors"] + idle["errors"],
    )


def load(account: ImapAccount, size: int, seed: int) -> float:
    """Write the mailbox into INBOX and Sent; return its size in MB."""
    sent: list[tuple[bytes, datetime]] = []
    total = 0

    def inbox() -> Iterator[tuple[bytes, datetime]]:
        nonlocal total
        for folder, raw, when in mailbox(size, seed):
            total += len(raw)
            if folder == "Sent":
                sent.append((raw, when))
            else:
                yield raw, when

    account.bulk_load(inbox(), "INBOX")
    account.bulk_load(sent, "Sent")
    return total / 1e6


def run_mbsync(account: ImapAccount, maildir: Path) -> tuple[float, float, int]:
    """Pull both folders into a fresh Maildir; return seconds, CPU and messages."""
    maildir.mkdir()
    config = maildir.with_suffix(".mbsyncrc")
    config.write_text(_mbsync_config(account, maildir), encoding="utf-8")
    cpu_before = _children_cpu()
    started = time.perf_counter()
    subprocess.run([MBSYNC, "-c", str(config), "-q", "bench"], check=True)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    count = sum(
        len(os.listdir(maildir / folder / kind))
        for folder in FOLDERS
        for kind in ("cur", "new")
    )
    return seconds, cpu, count


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _mbsync_config(account: ImapAccount, maildir: Path) -> str:
    return f"""\
IMAPAccount bench
Host {account.host}
Port {account.port}
User {account.user}
Pass {account.password}
SSLType None
AuthMechs LOGIN

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:
Near :bench-near:
Patterns {" ".join(FOLDERS)}
Create Near
Sync Pull
SyncState *
"""


def write_config(work: Path, account: ImapAccount, batch_size: int | None) -> Path:
    """An inbox-crm.toml for the account, with its SQLite database in `work`."""
    sync = f"[sync]\nbatch_size = {batch_size}\n" if batch_size else ""
    path = work / "inbox-crm.toml"
    path.write_text(
        f"""\
[database]
url = "sqlite:///{work / "inbox-crm.db"}"

{sync}
[mailboxes.bench]
host = "{account.host}"
port = {account.port}
security = "none"
username = "{account.user}"
password_env = "{PASSWORD_ENV}"
folders = ["INBOX", "\\\\Sent"]
addresses = ["{OWN_ADDRESS}"]
""",
        encoding="utf-8",
    )
    return path


def run_sync(config: Path, log_path: Path) -> dict[str, Any]:
    """Run one sync pass in a process of its own and return its figures."""
    environment = dict(os.environ, **{PASSWORD_ENV: "bench-secret"})
    command = [sys.executable, "-m", "bench.sync_once", str(config)]
    started = time.perf_counter()
    with log_path.open("wb") as log:
        done = subprocess.run(
            command, env=environment, stdout=subprocess.PIPE, stderr=log, check=False
        )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the sync exited {done.returncode}:\n{tail}")
    figures: dict[str, Any] = json.loads(done.stdout)
    figures["wall_seconds"] = wall
    return figures


def print_table(results: list[Figures]) -> None:
    """Figure, value, target and result for every size, then the memory trend."""
    rows = [("figure", "value", "target", "result")]
    for figures in results:
        rows.extend(_rows(figures))
    if len(results) > 1:
        rows.append(_flatness(results))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    print()
    for number, row in enumerate(rows):
        print(
            "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            )
        )
        if number == 0:
            print("  ".join("-" * width for width in widths))


def _rows(figures: Figures) -> list[tuple[str, str, str, str]]:
    size = _short(figures.messages)
    all_stored = figures.stored + figures.quarantined == figures.messages
    # One LIST-STATUS after login answers for every folder.
    idle_allowed = 1
    return [
        (
            f"{size}: mailbox",
            f"{figures.messages:,} messages, {figures.megabytes:.1f} MB",
            "",
            "",
        ),
        (
            f"{size}: mbsync (baseline)",
            f"{figures.mbsync_rate:,.0f} msg/s "
            f"({figures.mbsync_seconds:.1f} s, {figures.mbsync_cpu_seconds:.2f} s CPU)",
            f"{figures.messages:,} fetched",
            _verdict(figures.mbsync_messages == figures.messages),
        ),
        (
            f"{size}: inbox-crm first sync",
            f"{figures.sync_rate:,.0f} msg/s "
            f"({figures.sync_seconds:.1f} s, {figures.sync_cpu_seconds:.1f} s CPU)",
            "",
            "",
        ),
        (
            f"{size}: stored",
            f"{figures.stored:,} + {figures.quarantined} quarantined",
            f"{figures.messages:,}, no errors",
            _verdict(all_stored and not figures.errors),
        ),
        (
            f"{size}: ratio inbox-crm / mbsync",
            f"{figures.ratio:.2f}",
            f">= {RATIO_TARGET}",
            _verdict(figures.ratio >= RATIO_TARGET),
        ),
        (
            f"{size}: the same by CPU time",
            f"{figures.cpu_ratio:.2f}",
            "",
            "",
        ),
        (
            f"{size}: peak RSS of the sync",
            f"{figures.peak_rss_mb:.1f} MB "
            f"({figures.worker_rss_mb:.1f} MB of it the prepare worker)",
            f"<= {RSS_TARGET_MB:.0f} MB",
            _verdict(figures.peak_rss_mb <= RSS_TARGET_MB),
        ),
        (
            f"{size}: idle poll",
            f"{figures.idle_pass_seconds * 1000:.0f} ms, "
            f"{_count(figures.idle_commands, 'command')}, "
            f"{figures.idle_fetched} fetched",
            "1 command after login",
            _verdict(
                figures.idle_commands <= idle_allowed and not figures.idle_fetched
            ),
        ),
    ]


def _flatness(results: list[Figures]) -> tuple[str, str, str, str]:
    smallest, largest = results[0], results[-1]
    growth = largest.peak_rss_mb / smallest.peak_rss_mb - 1
    return (
        f"peak RSS {_short(smallest.messages)} -> {_short(largest.messages)}",
        f"{smallest.peak_rss_mb:.1f} -> {largest.peak_rss_mb:.1f} MB ({growth:+.0%})",
        f"flat (<= {FLAT_TOLERANCE:+.0%})",
        _verdict(growth <= FLAT_TOLERANCE),
    )


def _verdict(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _short(count: int) -> str:
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


def _write_json(path: Path, results: list[Figures]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {
            **asdict(figures),
            "sync_rate": figures.sync_rate,
            "mbsync_rate": figures.mbsync_rate,
            "ratio": figures.ratio,
            "cpu_ratio": figures.cpu_ratio,
        }
        for figures in results
    ]
    path.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    _say(f"figures written to {path}")


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive numbers")
    return sizes


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time inbox-crm's first sync beside mbsync on a real Dovecot."
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=DEFAULT_SIZES,
        help="mailbox sizes, comma-separated (default: 10000,100000)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run with 500 and 2,000 messages"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="mailbox generator seed")
    parser.add_argument(
        "--batch-size",
        type=int,
        help="inbox-crm's [sync] batch_size (default: its own)",
    )
    parser.add_argument(
        "--work-dir",
        help="parent folder for Dovecot, Maildirs and the database (default: /dev/shm)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folders and logs"
    )
    parser.add_argument(
        "--output", type=Path, help="also write the figures as JSON here"
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
