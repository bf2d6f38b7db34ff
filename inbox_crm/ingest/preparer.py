"""Preparing fetched batches ahead, in the worker process while it works.

The poller submits each batch when it is fetched and takes its preparations
when it stores it. Without a worker, or once it has failed, `take` answers
None and the batch is parsed in-process as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from inbox_crm.ingest.prepared import Preparation
from inbox_crm.ingest.results import Incoming
from inbox_crm.ingest.worker import PrepareWorker, WorkerError

log = logging.getLogger(__name__)


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
