"""The seam to the outbox: what a rule asks for when it queues a templated mail.

The rules engine decides and records; the outbox does the sending. Anything
that implements `OutreachQueue` can be handed to the engine. Without one,
an outreach action fails its firing with `OutreachNotConfigured`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from inbox_crm.errors import InboxCrmError, OutreachRefused

__all__ = ["NoOutreach", "OutreachQueue", "OutreachRefused", "OutreachRequest"]


class OutreachNotConfigured(InboxCrmError):
    """A rule wants to queue mail, but no outbox is set up to take it."""


@dataclass(frozen=True)
class OutreachRequest:
    """One templated mail a rule wants sent.

    `reply_to_message_id` is the stored Message being answered (its thread
    gives In-Reply-To and References); `send_at` is when it may go out.
    """

    template: str
    to_address: str
    mailbox: str
    send_at: datetime
    rule_id: str
    firing_id: int
    contact_id: int | None = None
    thread_id: int | None = None
    reply_to_message_id: int | None = None


class OutreachQueue(Protocol):
    """What the outbox offers the rules engine."""

    def queue(self, session: Session, request: OutreachRequest) -> int:
        """Queue `request` in the session's transaction; return the outbox row id.

        Raise OutreachRefused when the recipient must not be mailed.
        """
        ...


class NoOutreach:
    """The stand-in until an outbox is configured: every request fails clearly."""

    def queue(self, session: Session, request: OutreachRequest) -> int:
        raise OutreachNotConfigured(
            f"outreach is not configured: rule {request.rule_id} wants to queue "
            f"template {request.template!r} to {request.to_address}, but this "
            "installation has no outbox; remove the outreach action or set up "
            "outreach"
        )
