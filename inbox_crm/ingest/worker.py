"""A child process that prepares batches (parse, classify, rows) beside the poller.

The poller hands over each batch as soon as it is fetched and takes the
prepared batch back when it stores it, so parsing one batch overlaps storing
the one before and fetching the one after. The child imports only what
preparing needs. Batches go and come back in order, as length-prefixed
pickles over the child's stdin and stdout; the child ends when its stdin
closes, so it never outlives the poller.

Run as `python -m inbox_crm.ingest.worker` by PrepareWorker only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any

from inbox_crm.ingest.prepare import Preparation, prepare_many
from inbox_crm.ingest.results import Incoming

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!Q")
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
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
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


class Preparer:
    """Prepares fetched batches in a PrepareWorker while it works, else not at all.

    `submit` hands a batch over and names the worker that holds it; `take`
    returns its preparations, or None when the caller must prepare it itself
    (no worker, or the worker failed: it is then stopped for good).
    """

    def __init__(self, own_addresses: Sequence[str], timeout: float) -> None:
        self.own_addresses = tuple(own_addresses)
        self.timeout = timeout
        self.worker: PrepareWorker | None = None

    def start(self) -> None:
        if self.worker is not None:
            return
        try:
            self.worker = PrepareWorker(self.own_addresses)
        except (OSError, WorkerError) as exc:
            log.warning("cannot start the prepare worker (%s); parsing in-process", exc)

    def submit(self, items: Sequence[Incoming]) -> PrepareWorker | None:
        worker = self.worker
        if worker is None:
            return None
        try:
            worker.submit([(item.raw, item.received_at) for item in items])
        except WorkerError as exc:
            self._fail(exc)
            return None
        return worker

    async def take(self, holder: PrepareWorker | None) -> list[Preparation] | None:
        if holder is None or holder is not self.worker:
            return None
        try:
            return await asyncio.wait_for(asyncio.to_thread(holder.take), self.timeout)
        except (WorkerError, TimeoutError) as exc:
            self._fail(exc)
            return None

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.close()

    def _fail(self, exc: Exception) -> None:
        log.warning("the prepare worker failed (%s); parsing in-process", exc)
        self.stop()


def main() -> None:
    """The child's side: read batches on a thread, prepare them in order."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    # Stray prints must not land in the parent's pipe.
    sys.stdout = sys.stderr
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
    except (EOFError, OSError):
        batches.put(None)


def _write(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError("the other side closed the pipe")
    (length,) = _LENGTH.unpack(header)
    data = stream.read(length)
    if len(data) < length:
        raise EOFError("the other side closed the pipe mid-batch")
    return pickle.loads(data)


if __name__ == "__main__":
    main()
