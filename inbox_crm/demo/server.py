"""An embedded IMAP server for the demo: pymap's in-memory backend on loopback.

The server runs on the caller's asyncio loop, speaks plain IMAP on
127.0.0.1 and serves one user. Mail is loaded straight into the backend's
folders, with the arrival time (INTERNALDATE) the caller gives.
"""

from __future__ import annotations

import asyncio
import logging
from argparse import Namespace
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from proxyprotocol.reader import ProxyProtocolReader
from proxyprotocol.version import ProxyProtocolVersion
from pymap.backend.dict import Config as DictConfig
from pymap.backend.dict import Login
from pymap.backend.dict.filter import FilterSet
from pymap.backend.dict.mailbox import MailboxSet
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pymap.parsing.message import AppendMessage
from pymap.parsing.specials.flag import Seen
from pymap.user import Passwords, UserMetadata

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
SENT_FOLDER = "Sent"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class _DemoConfig(DictConfig):
    """pymap's dict configuration with a fixed greeting.

    The stock greeting looks up the host's fully qualified name, which can
    stall for seconds on a machine without working DNS.
    """

    @property
    def greeting(self) -> bytes:
        return b"inbox-crm demo mailbox ready"


class DemoServer:
    """A one-user IMAP server in memory; use it with `async with`."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.config = _demo_config(username, password)
        self.server: asyncio.Server | None = None
        self.handler: Handler | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.mailboxes = MailboxSet()

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        if self.server is None:
            raise RuntimeError("the demo server is not running")
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Listen on a free loopback port with the user's folders empty."""
        login = Login(self.config)
        hashed = await Passwords(self.config).hash_password(self.password)
        user = UserMetadata(self.config, self.username, password=hashed)
        await login.demo_user_identity.set(user)
        # The backend keeps a user's folders in this cache; filling it before
        # the first login lets mail be loaded without going through IMAP.
        self.config.set_cache[self.username] = (self.mailboxes, FilterSet())
        await self.mailboxes.add_mailbox(SENT_FOLDER)

        imap = IMAPServer(login, self.config)
        proxy = ProxyProtocolReader(ProxyProtocolVersion.get(None))
        self.handler = proxy.get_callback(imap)
        self.server = await asyncio.start_server(self._serve, host=HOST, port=0)
        log.info("demo IMAP server listening on %s:%s", HOST, self.port)

    async def append(
        self, folder: str, raw: bytes, when: datetime, *, seen: bool = True
    ) -> int:
        """Put one message into `folder`; return its UID."""
        mailbox = await self.mailboxes.get_mailbox(folder)
        flags = frozenset({Seen}) if seen else frozenset()
        message = await mailbox.append(AppendMessage(raw, when, flags))
        return message.uid

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self.handler is not None
        self.writers.add(writer)
        try:
            await self.handler(reader, writer)
        finally:
            self.writers.discard(writer)

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        if self.server is None:
            return
        self.server.close()
        # Connections outlive the listener unless closed here, and newer
        # Pythons wait for them in wait_closed().
        for writer in list(self.writers):
            writer.close()
        await self.server.wait_closed()
        self.server = None
        log.info("demo IMAP server stopped")

    async def __aenter__(self) -> DemoServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()


def _demo_config(username: str, password: str) -> _DemoConfig:
    # pymap reads these from its command line; the embedded server has none.
    args = Namespace(
        host=HOST,
        port=0,
        debug=False,
        cert=None,
        key=None,
        tls=False,
        passlib_cfg=None,
        proxy_protocol=None,
        inherited_sockets=None,
        demo_data=False,
        demo_user=username,
        demo_password=password,
    )
    options: dict[str, Any] = {
        # Hash the one password on the loop instead of in a thread pool that
        # would outlive the server.
        "cpu_subsystem": Subsystem.for_asyncio(),
        "invalid_user_sleep": 0.0,
        "reject_dnsbl": False,
    }
    return _DemoConfig.from_args(args, **options)
