"""Whether sent mail can be answered: which recipients bounced or read no replies.

A message whose every recipient bounced, or is a no-reply address, awaits no
reply. A failed delivery report counts for a recipient when it is from the
same mailbox and dated from shortly before the message (clocks differ) to a
week after it (mail servers retry for up to five days before they give up).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.mail.roles import is_no_reply_address
from inbox_crm.storage.models import BounceRow, Message, Participant

RECIPIENT_ROLES = ("to", "cc", "bcc")
CLOCK_SKEW = timedelta(minutes=10)
RETRIES = timedelta(days=7)


def unanswerable(session: Session, message: Message) -> str | None:
    """Why sent mail awaits no reply ("bounced", "no-reply"), or None if it may.

    Mail that came in, and sent mail without recipients, may always be
    answered.
    """
    return unanswerable_among(session, [message]).get(message.id)


def unanswerable_among(session: Session, messages: Sequence[Message]) -> dict[int, str]:
    """`unanswerable` for many messages at once: the reason by message id."""
    sent = [message for message in messages if message.direction == "outbound"]
    if not sent:
        return {}
    addressed = _recipients(session, [message.id for message in sent])
    people = {
        message.id: {a for a in addressed[message.id] if not is_no_reply_address(a)}
        for message in sent
    }
    failed = _failures(session, sent, set().union(*people.values()))

    reasons: dict[int, str] = {}
    for message in sent:
        if not addressed[message.id]:
            continue
        if not people[message.id]:
            reasons[message.id] = "no-reply"
        elif all(_reports(failed[address], message) for address in people[message.id]):
            reasons[message.id] = "bounced"
    return reasons


def _recipients(session: Session, ids: list[int]) -> defaultdict[int, set[str]]:
    """The addresses each message was sent to, in lower case."""
    query = select(Participant.message_id, Participant.address).where(
        Participant.message_id.in_(ids),
        Participant.role.in_(RECIPIENT_ROLES),
        Participant.address != "",
    )
    found: defaultdict[int, set[str]] = defaultdict(set)
    for message_id, address in session.execute(query):
        found[message_id].add(address)
    return found


def _failures(
    session: Session, sent: list[Message], addresses: set[str]
) -> defaultdict[str, list[Message]]:
    """The stored bounces that report a failure for each of `addresses`."""
    found: defaultdict[str, list[Message]] = defaultdict(list)
    if not addresses:
        return found
    query = (
        select(BounceRow.recipient, Message)
        .join(Message, Message.id == BounceRow.message_id)
        .where(
            BounceRow.action == "failed",
            BounceRow.recipient.in_(addresses),
            Message.mailbox_id.in_({message.mailbox_id for message in sent}),
            Message.quarantined.is_(False),
            Message.date >= min(message.date for message in sent) - CLOCK_SKEW,
            Message.date <= max(message.date for message in sent) + RETRIES,
        )
    )
    for recipient, bounce in session.execute(query):
        found[recipient].append(bounce)
    return found


def _reports(bounces: list[Message], message: Message) -> bool:
    """Whether one of `bounces` can be about `message`."""
    return any(
        bounce.mailbox_id == message.mailbox_id
        and message.date - CLOCK_SKEW <= bounce.date <= message.date + RETRIES
        for bounce in bounces
    )
