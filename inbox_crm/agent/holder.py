"""A mailbox lease held by a one-off command, so it never works beside an agent.

`inbox-crm sync` takes the mailbox's lease as the agent does: while an agent
(or another sync) holds it, the command stops with a clear error instead of
fetching the same mail at the same time; while the command runs, it renews
the lease between batches, and it gives the lease back when done.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import replace
from datetime import timedelta
from types import TracebackType

from inbox_crm.agent.leases import claim, release, take_over
from inbox_crm.agent.mailbox import mailbox_lease
from inbox_crm.errors import InboxCrmError
from inbox_crm.storage.db import Database


class MailboxBusy(InboxCrmError):
    """Another agent or command is working the mailbox right now."""


class LeaseHolder:
    """Holds one mailbox's lease for the length of a `with` block."""

    def __init__(self, database: Database, mailbox: str, duration: float) -> None:
        self.database = database
        self.mailbox = mailbox
        self.resource = mailbox_lease(mailbox)
        self.owner = f"sync:{socket.gethostname()}:{os.getpid()}"
        self.duration = timedelta(seconds=duration)
        self._renew_at = 0.0

    def __enter__(self) -> LeaseHolder:
        self._claim()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self.database.session() as session, session.begin():
            release(session, self.resource, self.owner)

    def keep(self) -> bool:
        """Renew the lease when a third of it has passed; never asks to stop.

        Handed to the Poller as its stop check, which it calls between
        batches.
        """
        if time.monotonic() >= self._renew_at:
            self._claim()
        return False

    def _claim(self) -> None:
        with self.database.session() as session, session.begin():
            result = claim(session, self.resource, self.owner, self.duration)
            if not result.held and _gone(result.owner):
                # A sync or agent of this machine that was killed: its lease
                # would hold the mailbox until it expires.
                assert result.owner is not None
                taken = take_over(
                    session, self.resource, self.owner, result.owner, self.duration
                )
                result = replace(result, held=taken, owner=self.owner)
        if not result.held:
            until = (
                result.expires_at.strftime("%H:%M:%S UTC") if result.expires_at else "?"
            )
            raise MailboxBusy(
                f"mailbox {self.mailbox!r} is being worked by {result.owner} "
                f"(its lease runs until {until}); wait for it to finish, or "
                "stop the agent that holds it"
            )
        self._renew_at = time.monotonic() + self.duration.total_seconds() / 3


def _gone(owner: str | None) -> bool:
    """Whether `owner` was a process of this machine that no longer runs.

    Owners are "sync:HOST:PID" (a sync) or "HOST:PID:TAG" (an agent).
    """
    if owner is None:
        return False
    parts = owner.split(":")
    if parts[0] == "sync":
        parts = parts[1:]
    if len(parts) < 2:
        return False
    host, pid = parts[0], parts[1]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
