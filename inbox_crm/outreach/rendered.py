"""Queueing mail rendered elsewhere for a user of inbox-crm (the daily digest).

Such a mail goes to the user, not to a contact: it has no recipient checks
beyond a valid address, carries no unsubscribe link, and is marked as
automatic mail. It is sent, retried, settled and filed like any outbox row.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.config import Config
from inbox_crm.ingest.pipeline import ensure_mailbox
from inbox_crm.outreach.compose import new_message_id
from inbox_crm.outreach.models import QUEUED, OutboxRow
from inbox_crm.outreach.queue import sending_mailbox
from inbox_crm.outreach.templates import RenderedMail
from inbox_crm.outreach.unsubscribe import new_token

log = logging.getLogger(__name__)


def queue_rendered(
    session: Session,
    config: Config,
    mail: RenderedMail,
    *,
    kind: str,
    template: str,
    to_address: str,
    key: str,
    to_name: str = "",
    mailbox: str | None = None,
) -> OutboxRow:
    """Queue `mail` to `to_address`, due now, once per `key`; return its row.

    A second call with the same key returns the first row. The caller commits.
    """
    existing = session.scalars(select(OutboxRow).where(OutboxRow.key == key)).first()
    if existing is not None:
        return existing
    box = sending_mailbox(config, mailbox)
    assert box.smtp is not None
    now = datetime.now(UTC)
    row = OutboxRow(
        status=QUEUED,
        kind=kind,
        mailbox_id=ensure_mailbox(session, box.name).id,
        template=template,
        key=key,
        to_address=to_address,
        to_name=to_name,
        recipient_domain=to_address.rpartition("@")[2].lower(),
        from_address=box.smtp.from_address,
        from_name=box.smtp.from_name,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        message_id=new_message_id(box.smtp.from_address),
        references="",
        unsubscribe_token=new_token(),
        send_at=now,
        due_at=now,
        attempts=0,
    )
    session.add(row)
    session.flush()
    log.info("%s %s queued for %s (outbox %s)", kind, key, to_address, row.id)
    return row
