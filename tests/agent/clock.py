"""Run `inbox-crm` with its clock set to a given moment: the tests' clock.

    python -m tests.agent.clock 2026-03-29T05:59:55+00:00 --config ... run

The process starts at that moment and its clock runs on from there
(time-machine with tick=True): datetime.now, time.time and everything built
on them, the scheduler included, see the travelled time, while asyncio's
timers, which run on the monotonic clock, keep real durations. inbox-crm has
no clock setting of its own: only tests start it this way. Use it with
SQLite; PostgreSQL reads its own clock for leases and job records.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine

from inbox_crm.cli.main import main


def run(argv: list[str]) -> None:
    moment = datetime.fromisoformat(argv[0])
    sys.argv = ["inbox-crm", *argv[1:]]
    with time_machine.travel(moment, tick=True):
        main()


if __name__ == "__main__":
    run(sys.argv[1:])
