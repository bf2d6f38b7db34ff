"""Queueing one outreach: render it, check it may go, and write its outbox row.

This is the outbox's service interface: the CLI and the rules engine both call
`queue_outreach`. Everything that can be decided before sending is decided
here, so a mail that could not be rendered or must not go is never queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.config import Config, MailboxConfig
from inbox_crm.errors import OutreachError, OutreachRefused, TemplateError
from inbox_crm.ingest.pipeline import ensure_mailbox
from inbox_crm.mail.roles import is_role_address
from inbox_crm.outreach import suppression
from inbox_crm.outreach.compose import new_message_id
from inbox_crm.outreach.context import Sender, last_message, template_context
from inbox_crm.outreach.models import QUEUED, OutboxRow
from inbox_crm.outreach.recipients import Recipient, resolve_recipient
from inbox_crm.outreach.settings import SmtpConfig
from inbox_crm.outreach.templates import RESERVED, template_library
from inbox_crm.outreach.unsubscribe import new_token, unsubscribe_links
from inbox_crm.storage.models import Message, MessageReference, Thread

log = logging.getLogger(__name__)

AUTOMATIC_KINDS = ("auto_reply", "bounce")


@dataclass(frozen=True)
class Draft:
    """A rendered outreach not yet stored, and why it may not go (if it may not)."""

    row: OutboxRow
    refusal: str | None


def queue_outreach(
    session: Session,
    config: Config,
    template: str,
    recipient: str | int,
    *,
    thread_id: int | None = None,
    send_at: datetime | None = None,
    rule: str | None = None,
    mailbox: str | None = None,
    key: str | None = None,
) -> OutboxRow:
    """Queue one outreach in the session's transaction and return its row.

    `recipient` is a contact id, an address or "Name <address>". `rule` names
    the rule that asked for it (None: a person did), which also makes the
    stricter automated checks apply. `key`, when given, makes queueing
    idempotent: a second call with the same key returns the first row.
    Raises TemplateError, OutreachRefused or OutreachError; nothing is
    written then.
    """
    if key is not None:
        existing = session.scalars(select(OutboxRow).where(OutboxRow.key == key))
        if (found := existing.first()) is not None:
            return found
    draft = draft_outreach(
        session,
        config,
        template,
        recipient,
        thread_id=thread_id,
        send_at=send_at,
        rule=rule,
        mailbox=mailbox,
    )
    if draft.refusal is not None:
        raise OutreachRefused(draft.refusal)
    draft.row.key = key
    session.add(draft.row)
    session.flush()
    log.info(
        "outreach %s queued: template %s to %s, due %s%s",
        draft.row.id,
        template,
        draft.row.to_address,
        draft.row.due_at.isoformat(),
        f" (rule {rule})" if rule else "",
    )
    return draft.row


def draft_outreach(
    session: Session,
    config: Config,
    template: str,
    recipient: str | int,
    *,
    thread_id: int | None = None,
    send_at: datetime | None = None,
    rule: str | None = None,
    mailbox: str | None = None,
) -> Draft:
    """Render an outreach and check it, without storing anything (for preview)."""
    if template in RESERVED:
        raise TemplateError(
            f"{template!r} is the daily digest's template, not an outreach "
            "template (see `inbox-crm digest preview`)"
        )
    box = sending_mailbox(config, mailbox)
    assert box.smtp is not None
    target = resolve_recipient(session, recipient)
    thread = _thread(session, thread_id, box.name)
    due = _due(send_at)

    token = new_token()
    links = unsubscribe_links(
        token,
        config.outreach.unsubscribe_address or box.smtp.from_address,
        config.outreach.unsubscribe_url,
    )
    sender = Sender(box.name, box.smtp.from_address, box.smtp.from_name)
    context = template_context(session, target, sender, thread, links)
    mail = template_library(config.outreach.templates).render(template, context)

    parent = last_message(session, thread) if thread is not None else None
    row = OutboxRow(
        status=QUEUED,
        mailbox_id=ensure_mailbox(session, box.name).id,
        template=template,
        rule=rule,
        contact_id=target.contact.id if target.contact else None,
        to_address=target.address,
        to_name=target.name,
        recipient_domain=target.domain.lower(),
        from_address=box.smtp.from_address,
        from_name=box.smtp.from_name,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        message_id=new_message_id(box.smtp.from_address),
        in_reply_to=parent.message_id if parent is not None else None,
        references=" ".join(_references(session, parent)),
        thread_id=thread.id if thread is not None else None,
        unsubscribe_token=token,
        send_at=due,
        due_at=due,
        attempts=0,
    )
    return Draft(row, refusal(session, target, box.smtp, parent, rule))


def refusal(
    session: Session,
    recipient: Recipient,
    smtp: SmtpConfig,
    parent: Message | None,
    rule: str | None,
) -> str | None:
    """Why this mail must not go, or None: suppression for all, more for rules."""
    entry = suppression.check(session, recipient.address)
    if entry is not None:
        return (
            f"{recipient.address} is suppressed ({entry.reason}"
            f"{': ' + entry.detail if entry.detail else ''}); "
            f"`inbox-crm suppression remove {recipient.address}` lifts it"
        )
    if recipient.address.lower() == smtp.from_address.lower():
        return f"{recipient.address} is the sending address itself"
    if rule is None:
        return None
    if is_role_address(recipient.address):
        return f"{recipient.address} is a role address; rules never mail those"
    if parent is not None and parent.kind in AUTOMATIC_KINDS:
        return (
            f"the thread's last message ({parent.id}) is an automatic "
            f"{parent.kind.replace('_', '-')}; rules never answer those"
        )
    return None


def sending_mailbox(config: Config, name: str | None) -> MailboxConfig:
    """The mailbox to send from: the one named, else outreach.mailbox, else the
    only mailbox that has an [smtp] table."""
    name = name or config.outreach.mailbox
    if name is not None:
        box = config.mailbox(name)
        if box.smtp is None:
            raise OutreachError(
                f"{config.path}: mailbox {name!r} cannot send: add a "
                f"[mailboxes.{name}.smtp] table (see the README, Outreach)"
            )
        return box
    senders = [box for box in config.mailboxes.values() if box.smtp is not None]
    if len(senders) == 1:
        return senders[0]
    if not senders:
        raise OutreachError(
            f"{config.path}: no mailbox can send; add a [mailboxes.NAME.smtp] "
            "table with the SMTP server (see the README, Outreach)"
        )
    names = ", ".join(sorted(box.name for box in senders))
    raise OutreachError(
        f"several mailboxes can send ({names}); pass --mailbox NAME or set "
        f"outreach.mailbox in {config.path}"
    )


def _thread(session: Session, thread_id: int | None, mailbox: str) -> Thread | None:
    if thread_id is None:
        return None
    thread = session.get(Thread, thread_id)
    if thread is None:
        raise OutreachError(f"no thread with id {thread_id}")
    if thread.mailbox_id != ensure_mailbox(session, mailbox).id:
        raise OutreachError(
            f"thread {thread_id} belongs to another mailbox than {mailbox!r}"
        )
    return thread


def _due(send_at: datetime | None) -> datetime:
    if send_at is None:
        return datetime.now(UTC)
    if send_at.tzinfo is None:
        raise OutreachError("the send time needs a time zone")
    return send_at.astimezone(UTC)


def _references(session: Session, parent: Message | None) -> list[str]:
    """The parent's References then its own Message-ID (RFC 5322 3.6.4)."""
    if parent is None:
        return []
    query = (
        select(MessageReference.referenced)
        .where(MessageReference.message_id == parent.id)
        .order_by(MessageReference.id)
    )
    chain = [value for value in session.scalars(query) if value != parent.in_reply_to]
    if parent.in_reply_to:
        chain.append(parent.in_reply_to)
    if parent.message_id:
        chain.append(parent.message_id)
    return chain
