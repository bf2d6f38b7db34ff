"""Mailboxes under the agent: sync passes through the Poller, on a poll or on news.

Per mailbox there is one lease (`mailbox:NAME`), one scheduled poll (job
`sync.NAME`) and, where enabled, one IDLE watch. Passes of a mailbox never
overlap: news that comes during a pass makes it run once more afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from sqlalchemy.exc import SQLAlchemyError

from inbox_crm.agent.jobs import AgentContext, Job, Watch, every
from inbox_crm.agent.records import JobRecorder
from inbox_crm.config import MailboxConfig
from inbox_crm.errors import InboxCrmError
from inbox_crm.imap.idle import IdleWatcher
from inbox_crm.imap.poller import Poller, SyncReport

log = logging.getLogger(__name__)


def mailbox_lease(name: str) -> str:
    return f"mailbox:{name}"


def sync_job_id(name: str) -> str:
    return f"sync.{name}"


def mailbox_jobs(context: AgentContext) -> Iterator[Job | Watch]:
    """The job source of mailboxes: a poll each, and an IDLE watch each if enabled."""
    settings = context.config.agent
    for mailbox in context.mailboxes:
        worker = MailboxWorker(context, mailbox, context.recorder)
        yield Job(
            id=worker.job_id,
            run=worker.poll,
            trigger=every(settings.poll_interval),
            lease=worker.lease,
            description=f"sync {mailbox.name} every {settings.poll_interval}s",
            run_at_start=True,
            record=False,
        )
        if settings.idle:
            watcher = IdleWatcher(
                mailbox,
                context.config.sync,
                settings,
                on_news=worker.request,
                stopping=context.stopping,
            )
            yield Watch(id=f"idle.{mailbox.name}", run=watcher.run, lease=worker.lease)


class MailboxWorker:
    """Runs the sync passes of one mailbox, one at a time, and records them."""

    def __init__(
        self, context: AgentContext, mailbox: MailboxConfig, recorder: JobRecorder
    ) -> None:
        self.context = context
        self.mailbox = mailbox
        self.recorder = recorder
        self.lease = mailbox_lease(mailbox.name)
        self.job_id = sync_job_id(mailbox.name)
        self._poller: Poller | None = None
        self._lock = asyncio.Lock()
        self._again: str | None = None
        self._polled = False

    def stopping(self) -> bool:
        """Stop after the batch in hand: the agent stops, or the lease may be gone."""
        return self.context.stopping.is_set() or not self.context.holding(self.lease)

    async def poll(self) -> None:
        trigger = "poll" if self._polled else "start"
        self._polled = True
        await self.sync(trigger)

    def request(self, trigger: str) -> None:
        """Ask for a pass without waiting for it (news from IDLE)."""
        self.context.spawn(self.sync(trigger), f"{self.job_id} ({trigger})")

    async def sync(self, trigger: str) -> None:
        """A pass now, or, if one is running, one more pass right after it."""
        if self._lock.locked():
            self._again = trigger
            return
        async with self._lock:
            pending: str | None = trigger
            while pending is not None and not self.stopping():
                self._again = None
                await self._pass(pending)
                pending = self._again

    async def _pass(self, trigger: str) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        error: str | None
        try:
            self.recorder.started(self.job_id, trigger)
            report = await self._poller_for_pass().run_once()
            error = "; ".join(report.errors) or None
            self._log(report, trigger, loop.time() - started)
        except InboxCrmError as exc:
            error = str(exc)
            log.error("mailbox %s: sync failed: %s", self.mailbox.name, exc)
        except Exception as exc:  # one failed pass never stops the agent
            error = f"{type(exc).__name__}: {exc}"
            log.exception("mailbox %s: sync failed", self.mailbox.name)
        try:
            self.recorder.finished(self.job_id, error)
        except SQLAlchemyError:
            log.exception(
                "mailbox %s: the sync could not be recorded", self.mailbox.name
            )

    def _poller_for_pass(self) -> Poller:
        if self._poller is None:
            steps = self.context.steps
            self._poller = Poller(
                self.context.database,
                self.mailbox,
                self.context.config.sync,
                stop=self.stopping,
                linker=steps.linker if steps else None,
                observers=steps.observers if steps else (),
            )
        return self._poller

    def _log(self, report: SyncReport, trigger: str, seconds: float) -> None:
        stored = sum(folder.result.stored for folder in report.folders)
        known = sum(folder.result.duplicates for folder in report.folders)
        quarantined = sum(folder.result.quarantined for folder in report.folders)
        name = self.mailbox.name
        if report.interrupted:
            log.info(
                "mailbox %s: sync stopped after the batch in hand (%d new); "
                "the next pass resumes from there",
                name,
                stored,
            )
        elif report.errors:
            log.warning(
                "mailbox %s: sync done with errors (%s): %s",
                name,
                trigger,
                "; ".join(report.errors),
            )
        else:
            level = logging.INFO if stored or quarantined else logging.DEBUG
            log.log(
                level,
                "mailbox %s: sync done (%s): %d new, %d already stored, "
                "%d quarantined in %.1fs",
                name,
                trigger,
                stored,
                known,
                quarantined,
                seconds,
            )
