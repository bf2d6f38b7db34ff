"""A TCP proxy in front of a real server, for faults the server will not make itself.

It forwards bytes both ways on a loopback port and can, on demand: send the
clients a line as if the server had said it (a BYE that leaves the connection
open), go silent on the open connections while keeping them open (a dropped
route), or remove a capability from what the server announces.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

HOST = "127.0.0.1"
T = TypeVar("T")
CAPABILITY_LINE = re.compile(rb"^(\* CAPABILITY |(\* |\S+ )OK \[CAPABILITY )")


class FaultProxy:
    """Forwards 127.0.0.1:`port` to `target`, with faults injected on request."""

    def __init__(
        self, target_host: str, target_port: int, hide: Iterable[str] = ()
    ) -> None:
        self.target = (target_host, target_port)
        self.hidden = [word.encode() for word in hide]
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._clients: list[_Pipe] = []
        self.accepted = 0

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, HOST, 0))
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for pipe in self._clients:
                pipe.close()

        self._call(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def inject(self, line: bytes) -> int:
        """Send `line` to every open client as if from the server; return how many."""

        async def send() -> int:
            pipes = [pipe for pipe in self._clients if pipe.open]
            for pipe in pipes:
                pipe.client.write(line)
            return len(pipes)

        return self._call(send())

    def blackhole(self) -> int:
        """Stop forwarding on the open connections, keeping them open; count them."""

        async def silence() -> int:
            pipes = [pipe for pipe in self._clients if pipe.open]
            for pipe in pipes:
                pipe.silent = True
            return len(pipes)

        return self._call(silence())

    def open_connections(self) -> int:
        async def count() -> int:
            return sum(1 for pipe in self._clients if pipe.open and not pipe.silent)

        return self._call(count())

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        return future.result(timeout=10)

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self.accepted += 1
        server_reader, server = await asyncio.open_connection(*self.target)
        pipe = _Pipe(client, server)
        self._clients.append(pipe)
        await asyncio.gather(
            self._forward(client_reader, server, pipe, rewrite=False),
            self._forward(server_reader, client, pipe, rewrite=True),
            return_exceptions=True,
        )
        pipe.close()

    async def _forward(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pipe: _Pipe,
        rewrite: bool,
    ) -> None:
        while True:
            line = await reader.readline()
            if not line:
                break
            if pipe.silent:
                continue
            if rewrite and self.hidden and CAPABILITY_LINE.match(line):
                for word in self.hidden:
                    line = re.sub(rb" " + re.escape(word) + rb"(?=[ \]\r])", b"", line)
            writer.write(line)
            await writer.drain()
        if not pipe.silent:
            pipe.close()


class _Pipe:
    """One client connection and its connection to the server."""

    def __init__(self, client: asyncio.StreamWriter, server: asyncio.StreamWriter):
        self.client = client
        self.server = server
        self.silent = False
        self.open = True

    def close(self) -> None:
        self.open = False
        for writer in (self.client, self.server):
            with contextlib.suppress(Exception):
                writer.close()
