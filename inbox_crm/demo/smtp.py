"""An embedded SMTP server for the demo: aiosmtpd's Controller on loopback.

It accepts every mail and keeps it, so the demo can show what went out. It
runs in a thread of its own, as aiosmtpd's Controller does.
"""

from __future__ import annotations

import email
import socket
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMail:
    """One mail the demo server took: envelope and bytes."""

    sender: str
    recipients: tuple[str, ...]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Keeper:
    """aiosmtpd's DATA hook: keep the mail and accept it."""

    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = ReceivedMail(
            envelope.mail_from,
            tuple(envelope.rcpt_tos),
            bytes(envelope.original_content or envelope.content),
        )
        with self.lock:
            self.received.append(mail)
            number = len(self.received)
        return f"250 2.0.0 accepted by the demo server as D{number}"


class DemoSmtp:
    """A plain SMTP server on a free loopback port; use it with `with`."""

    def __init__(self) -> None:
        self.keeper = _Keeper()
        self.port = _free_port()
        self.controller = Controller(
            self.keeper,
            hostname=HOST,
            port=self.port,
            # The stock greeting looks up this host's name, which can stall.
            server_hostname="localhost",
            ready_timeout=10.0,
        )

    @property
    def host(self) -> str:
        return HOST

    @property
    def received(self) -> list[ReceivedMail]:
        with self.keeper.lock:
            return list(self.keeper.received)

    def __enter__(self) -> DemoSmtp:
        self.controller.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
