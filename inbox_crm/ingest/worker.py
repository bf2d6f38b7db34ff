"""A child process that prepares batches (parse, classify, rows) beside the poller.

The poller hands over each batch as soon as it is fetched and takes the
prepared batch back when it stores it, so parsing one batch overlaps storing
the one before and fetching the one after. The child imports only what
preparing needs (not even asyncio, which brings OpenSSL along). Batches go
and come back in order, pickled straight onto the child's stdin and stdout;
the child ends when its stdin closes, so it never outlives the poller.

Run as `python -m inbox_crm.ingest.worker` by PrepareWorker only.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any

from inbox_crm.ingest.prepared import Preparation

log = logging.getLogger(__name__)

Batch = list[tuple[bytes, datetime | None]]


class WorkerError(Exception):
    """The worker process died or answered something unreadable."""


class PrepareWorker:
    """The parent's side: submit batches, then take their preparations in order."""

    def __init__(self, own_addresses: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "inbox_crm.ingest.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.pending = 0
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to_child: IO[bytes] = self.process.stdin
        self._from_child: IO[bytes] = self.process.stdout
        self._send(list(own_addresses))

    @property
    def pid(self) -> int:
        return self.process.pid

    def submit(self, batch: Batch) -> None:
        """Hand over a batch; the child reads it at once, even while busy."""
        self._send(batch)
        self.pending += 1

    def take(self) -> list[Preparation]:
        """The preparations of the oldest submitted batch (waits for them)."""
        if not self.pending:
            raise WorkerError("no batch was submitted")
        try:
            result: list[Preparation] = _read(self._from_child)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
            raise WorkerError(f"the prepare worker failed: {exc}") from exc
        self.pending -= 1
        return result

    def close(self) -> None:
        """End the child: closing its input stops it; one with work left is killed."""
        with contextlib.suppress(OSError):
            self._to_child.close()
        if self.pending:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # Only now: a reader still waiting on this pipe has seen its end.
        with contextlib.suppress(OSError):
            self._from_child.close()

    def _send(self, value: Any) -> None:
        try:
            _write(self._to_child, value)
        except OSError as exc:
            raise WorkerError(f"the prepare worker failed: {exc}") from exc


def main() -> None:
    """The child's side: read batches on a thread, prepare them in order."""
    # Imported here, in the child only: the parent never parses.
    from inbox_crm.ingest.prepare import prepare_many

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    # Stray prints must not land in the parent's pipe.
    sys.stdout = sys.stderr
    # Ctrl-C reaches the whole process group: the parent handles it and
    # closes the pipe, which ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    own_addresses: list[str] = _read(source)
    # Reading ahead lets the parent hand over a batch while one is prepared.
    batches: queue.Queue[Batch | None] = queue.Queue()
    threading.Thread(target=_read_all, args=(source, batches), daemon=True).start()
    try:
        while (batch := batches.get()) is not None:
            _write(sink, prepare_many(batch, own_addresses))
    except BrokenPipeError:
        pass  # the parent is gone: nothing to answer to


def _read_all(source: IO[bytes], batches: queue.Queue[Batch | None]) -> None:
    try:
        while True:
            batches.put(_read(source))
    except Exception:  # closed, or cut off mid-batch: either way, the end
        batches.put(None)


def _write(stream: IO[bytes], value: Any) -> None:
    # Pickled onto the pipe as it goes: no second copy of the batch in memory.
    pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    """The next pickled value; EOFError when the other side has closed."""
    return pickle.load(stream)


if __name__ == "__main__":
    main()
