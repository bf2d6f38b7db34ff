"""The outbox as the rules engine's OutreachQueue: rules queue mail through it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inbox_crm.config import Config
from inbox_crm.outreach.queue import queue_outreach
from inbox_crm.rules.outreach import OutreachRequest


class OutboxQueue:
    """Queues what a rule asks for, once per firing, with the automated checks."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def queue(self, session: Session, request: OutreachRequest) -> int:
        """Queue `request` in the session's transaction; return the row id.

        The firing is the key, so a firing retried after a crash finds its
        row instead of queueing a second mail. Raises OutreachRefused for a
        recipient that must not be mailed automatically.
        """
        row = queue_outreach(
            session,
            self.config,
            request.template,
            request.to_address,
            thread_id=request.thread_id,
            send_at=request.send_at,
            rule=request.rule_id,
            mailbox=request.mailbox,
            key=f"rule:{request.rule_id}:firing:{request.firing_id}",
        )
        return row.id
