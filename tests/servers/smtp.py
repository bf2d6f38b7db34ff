"""A real SMTP server for tests: aiosmtpd's Controller on a loopback port.

It records every mail it accepts and can be told to misbehave on demand: reply
4xx or 5xx to RCPT or DATA, drop the connection during DATA (after the mail
arrived, before the reply: "drop"), or take the mail and then drop
("accept-drop"). It can offer STARTTLS or implicit TLS with a
certificate from a test CA, require AUTH, and offer SMTPUTF8 or not. A
`file_to` callback plays the server that files accepted mail in Sent itself.
"""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.servers.dovecot import _make_certificates

HOST = "127.0.0.1"
Security = Literal["plain", "starttls", "tls"]
Stage = Literal["rcpt", "data"]


@dataclass(frozen=True)
class Received:
    """One mail the server accepted: envelope and content."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    mail_options: tuple[str, ...]

    @property
    def message(self) -> email.message.EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"]).strip("<>")


class Handler:
    """aiosmtpd hooks that record mail and misbehave when told to."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.plans: dict[Stage, deque[str]] = {"rcpt": deque(), "data": deque()}
        self.lock = threading.Lock()
        self.file_to: Callable[[bytes], None] | None = None
        self.sessions = 0
        # Seconds DATA takes before the server answers: a slow server.
        self.delay = 0.0

    def plan(self, stage: Stage, *replies: str) -> None:
        """Answer the next commands at `stage` with these replies.

        "drop" hangs up instead of replying; "accept-drop" (DATA only) takes
        the mail, then hangs up.
        """
        with self.lock:
            self.plans[stage].extend(replies)

    def _next(self, stage: Stage) -> str | None:
        with self.lock:
            return self.plans[stage].popleft() if self.plans[stage] else None

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Any,
        envelope: Any,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Any,
        envelope: Any,
        address: str,
        options: list[str],
    ) -> str:
        planned = self._next("rcpt")
        if planned == "drop":
            server.transport.close()
            await asyncio.Event().wait()
        if planned is not None:
            return planned
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        planned = self._next("data")
        if planned == "drop":
            # The whole mail arrived; the client never hears whether we took it.
            server.transport.close()
            await asyncio.Event().wait()
        if planned is not None and planned != "accept-drop":
            return planned
        mail = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            content=bytes(envelope.original_content),
            mail_options=tuple(envelope.mail_options),
        )
        if self.file_to is not None:
            self.file_to(mail.content)
        with self.lock:
            self.received.append(mail)
            number = len(self.received)
        if planned == "accept-drop":
            # Taken (and filed), but the client never hears so.
            server.transport.close()
            await asyncio.Event().wait()
        return f"250 2.0.0 OK queued as Q{number}"


class CountingSMTP(SMTP):
    """aiosmtpd's SMTP, counting STARTTLS commands per connection."""

    def __init__(self, *args: Any, counts: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts = counts
        self.counts.append(0)
        self.index = len(counts) - 1

    async def smtp_STARTTLS(self, arg: str) -> None:
        self.counts[self.index] += 1
        if self.counts[self.index] > 1:
            await self.push("554 5.5.1 Error: TLS already active")
            return
        await super().smtp_STARTTLS(arg)


class _Controller(Controller):
    def __init__(self, handler: Handler, counts: list[int], **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.counts = counts

    def factory(self) -> SMTP:
        return CountingSMTP(self.handler, counts=self.counts, **self.SMTP_kwargs)


class SmtpServer:
    """One aiosmtpd server on a free loopback port."""

    def __init__(
        self,
        directory: Path,
        *,
        security: Security = "plain",
        smtputf8: bool = True,
        users: dict[str, str] | None = None,
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.security = security
        self.smtputf8 = smtputf8
        self.users = users
        self.handler = Handler()
        self._starttls: list[int] = []
        self.port = free_port()
        self.controller: _Controller | None = None

    @property
    def host(self) -> str:
        return HOST

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def starttls_counts(self) -> list[int]:
        """STARTTLS commands per client connection, in order."""
        # The first connection is the Controller's own readiness probe.
        return self._starttls[1:]

    def plan(self, stage: Stage, *replies: str) -> None:
        self.handler.plan(stage, *replies)

    def start(self) -> SmtpServer:
        options: dict[str, Any] = {
            "hostname": HOST,
            "port": self.port,
            "enable_SMTPUTF8": self.smtputf8,
            "server_hostname": "localhost",
            "ready_timeout": 10.0,
        }
        context = self._tls_context() if self.security != "plain" else None
        if self.security == "tls":
            options["ssl_context"] = context
        elif self.security == "starttls":
            options["tls_context"] = context
            options["require_starttls"] = True
        if self.users is not None:
            options["authenticator"] = self._authenticate
            options["auth_required"] = True
            # aiosmtpd counts only STARTTLS as TLS; implicit TLS is TLS too.
            options["auth_require_tls"] = self.security == "starttls"
        self.controller = _Controller(self.handler, self._starttls, **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def _tls_context(self) -> ssl.SSLContext:
        if not (self.directory / "server.crt").exists():
            _make_certificates(self.directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(
            self.directory / "server.crt", self.directory / "server.key"
        )
        return context

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert self.users is not None
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.users.get(user) == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
