"""IMAP IDLE on a mailbox's INBOX: news of arriving mail, on a connection kept alive.

IDLE is re-issued every `idle_renewal` seconds (RFC 2177 asks for less than
29 minutes). Each renewal ends IDLE and re-opens the folder under the command
timeout, so a connection that went silent is noticed then; a BYE, a closed
connection or a command without answer ends the session at once. The watcher
rebuilds it with growing delays and asks for a sync, since mail may have come
in the meantime. The sync itself runs elsewhere (the Poller), on its own
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import socket
from asyncio import FIRST_COMPLETED
from collections.abc import Callable
from typing import Any

from aioimaplib import STOP_WAIT_SERVER_PUSH

from inbox_crm.config import AgentConfig, MailboxConfig, SyncConfig
from inbox_crm.errors import ImapError, InboxCrmError
from inbox_crm.imap.client import FolderStatus, ImapConnection, connect
from inbox_crm.imap.poller import resolve_folders
from inbox_crm.imap.secrets import mailbox_secret

log = logging.getLogger(__name__)

NEWS = re.compile(rb"^\d+ (?:EXISTS|RECENT)\b", re.IGNORECASE)
BYE = re.compile(rb"^BYE\b", re.IGNORECASE)
# A session that lived this long was healthy: the next failure starts the
# backoff over.
HEALTHY_SECONDS = 60.0
# TCP keepalive probes notice a dead peer even between IDLE renewals.
KEEPALIVE = (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4))

News = Callable[[str], None]


class IdleWatcher:
    """Keeps one IDLE session open on a mailbox and reports news of mail."""

    def __init__(
        self,
        mailbox: MailboxConfig,
        sync: SyncConfig,
        agent: AgentConfig,
        on_news: News,
        stopping: asyncio.Event,
        chance: random.Random | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.timeout = sync.timeout
        self.agent = agent
        self.on_news = on_news
        self.stopping = stopping
        self.chance = chance or random.Random()
        self.failures = 0
        self.sessions = 0

    async def run(self) -> None:
        """Watch until stopped, or until the server turns out to lack IDLE."""
        loop = asyncio.get_running_loop()
        while not self.stopping.is_set():
            started = loop.time()
            try:
                if not await self._session():
                    return
                continue
            except InboxCrmError as exc:
                reason = str(exc)
            except Exception as exc:  # the watcher outlives any one session
                log.exception("mailbox %s: IDLE session failed", self.mailbox.name)
                reason = f"{type(exc).__name__}: {exc}"
            if loop.time() - started >= HEALTHY_SECONDS:
                self.failures = 0
            self.failures += 1
            delay = reconnect_delay(
                self.failures, self.agent.reconnect_delay_max, self.chance
            )
            log.warning(
                "mailbox %s: IDLE connection lost (%s); reconnecting in %.1fs",
                self.mailbox.name,
                reason,
                delay,
            )
            await self._pause(delay)

    async def _session(self) -> bool:
        """One connection: IDLE rounds until stopped. False: the server has no IDLE."""
        secret = mailbox_secret(self.mailbox)
        connection = await connect(self.mailbox, secret, self.timeout)
        healthy = False
        try:
            keep_alive(connection)
            if "IDLE" not in connection.capabilities:
                log.info(
                    "mailbox %s: the server offers no IDLE; polling every %ss",
                    self.mailbox.name,
                    self.agent.poll_interval,
                )
                healthy = True
                return False
            folder = await self._folder(connection)
            status = await connection.examine(folder)
            if self.sessions:
                self.on_news("reconnect")
            self.sessions += 1
            await self._rounds(connection, folder, status)
            healthy = True
            return True
        finally:
            if healthy:
                await connection.logout()
            else:
                connection.drop()

    async def _folder(self, connection: ImapConnection) -> str:
        resolved = resolve_folders(
            self.mailbox.folders, await connection.list_folders()
        )
        names = [name for _, name in resolved if name is not None]
        if not names:
            raise ImapError("none of the configured folders exists on the server")
        return "INBOX" if "INBOX" in names else names[0]

    async def _rounds(
        self, connection: ImapConnection, folder: str, status: FolderStatus
    ) -> None:
        uidnext = status.uidnext
        first = True
        while not self.stopping.is_set():
            await self._idle(connection, folder, first)
            first = False
            if self.stopping.is_set():
                return
            # Re-opening the folder proves the connection alive, and shows mail
            # announced between DONE and the end of IDLE.
            status = await connection.examine(folder)
            if status.uidnext != uidnext:
                uidnext = status.uidnext
                self.on_news("renewal")

    async def _idle(
        self, connection: ImapConnection, folder: str, first: bool = False
    ) -> None:
        """One IDLE command, ended at the renewal time or on stop."""
        client = connection.client
        renewal = float(self.agent.idle_renewal)
        # aioimaplib's own end-of-IDLE signal is set past ours: we end it first.
        idle = await connection.guarded(client.idle_start(renewal * 2), "IDLE")
        # Said once the server has taken the IDLE: from here on, new mail is
        # pushed (mail that came since the EXAMINE is pushed at IDLE's start).
        if first:
            log.info("mailbox %s: watching %s with IDLE", self.mailbox.name, folder)
        log.debug("mailbox %s: IDLE on %s", self.mailbox.name, folder)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + renewal
        while not self.stopping.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            push = await self._push(connection, remaining)
            if push is None:
                break
            self._read(push, folder)
        client.idle_done()
        await connection.guarded(idle, "IDLE DONE")

    async def _push(self, connection: ImapConnection, wait: float) -> Any | None:
        """The next lines the server pushed, or None at the deadline or on stop."""
        queue = connection.client.protocol.idle_queue
        getter = asyncio.ensure_future(queue.get())
        stop = asyncio.ensure_future(self.stopping.wait())
        waiters: set[asyncio.Future[Any]] = {getter, stop, connection.lost}
        done, _ = await asyncio.wait(waiters, timeout=wait, return_when=FIRST_COMPLETED)
        stop.cancel()
        if getter in done:
            return getter.result()
        getter.cancel()
        if connection.lost.done():
            raise ImapError("the server closed the connection")
        return None

    def _read(self, push: Any, folder: str) -> None:
        if push == STOP_WAIT_SERVER_PUSH:
            return
        lines = [bytes(line) for line in push if isinstance(line, bytes | bytearray)]
        for line in lines:
            if BYE.match(line):
                text = line.decode("utf-8", "replace")[:200]
                raise ImapError(f"the server said {text}")
        if any(NEWS.match(line) for line in lines):
            log.info(
                "mailbox %s: new mail announced in %s (IDLE)", self.mailbox.name, folder
            )
            self.on_news("idle")
        else:
            log.debug("mailbox %s: IDLE push %r", self.mailbox.name, lines[:3])

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)


def reconnect_delay(failures: int, ceiling: float, chance: random.Random) -> float:
    """Exponential backoff from one second, capped, with jitter against herds."""
    if failures <= 0:
        return 0.0
    delay = min(ceiling, 2.0 ** (failures - 1))
    return delay * chance.uniform(0.5, 1.0)


def keep_alive(connection: ImapConnection) -> None:
    """Turn on TCP keepalive with short probes where the system allows it."""
    transport = connection.client.protocol.transport
    sock = None if transport is None else transport.get_extra_info("socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in KEEPALIVE:
            option = getattr(socket, name, None)
            if option is not None:
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
    except OSError:
        log.debug("TCP keepalive not available", exc_info=True)
