"""An SMTP server for benchmarks, in a process of its own: aiosmtpd on loopback.

It accepts every mail and writes one line per mail, the Message-ID, to a file,
so the benchmark can check that each mail arrived once. Run as
`python -m bench.smtp_sink PORT FILE`; it stops on SIGTERM.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^>]+)>", re.IGNORECASE | re.MULTILINE)


class Sink:
    """Takes every mail and notes its Message-ID."""

    def __init__(self, path: str) -> None:
        self.out = open(path, "ab", buffering=0)  # noqa: SIM115

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = MESSAGE_ID.search(envelope.original_content)
        self.out.write((found[1] if found else b"-") + b"\n")
        return "250 2.0.0 OK"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
