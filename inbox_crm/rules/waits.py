"""No-reply triggers: waiting on a message until its deadline, or its answer.

Sent mail that cannot be answered starts no wait, and a bounce that arrives
later ends the waits of the mail it reports on (state "bounced").
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from inbox_crm.activities.service import is_reply_mail
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.rules.calendars import Calendars
from inbox_crm.rules.model import Rule
from inbox_crm.storage.delivery import (
    CLOCK_SKEW,
    RECIPIENT_ROLES,
    RETRIES,
    unanswerable,
)
from inbox_crm.storage.models import BounceRow, Message, Participant
from inbox_crm.storage.tracking import RuleWait

log = logging.getLogger(__name__)

# The message a wait or a follow-up is about; made once, as an alias is costly.
ANCHOR = aliased(Message, name="anchor")


def start_waits(
    session: Session,
    rules: tuple[Rule, ...],
    message: Message,
    mailbox: str,
    calendars: Calendars,
) -> list[RuleWait]:
    """A wait for each no_reply rule this message starts; older ones superseded.

    Mail the outbox sent for a rule starts no wait of that same rule: a chase
    that queues another chase would otherwise write to the contact forever.
    Mail whose every recipient bounced or reads no replies starts none at all.
    """
    if not is_reply_mail(message):
        return []
    reason = unanswerable(session, message)
    if reason is not None:
        log.info("message %s awaits no reply (%s): no wait", message.id, reason)
        return []
    made_by = _made_by_rule(session, message)
    started = []
    for rule in rules:
        trigger = rule.trigger
        if trigger.kind != "no_reply" or trigger.after != message.direction:
            continue
        if rule.id == made_by:
            continue
        assert trigger.within is not None
        calendar = calendars.for_rule(rule.user, mailbox)
        _supersede(session, rule.id, message)
        exists = select(RuleWait.id).where(
            RuleWait.rule_id == rule.id, RuleWait.message_id == message.id
        )
        if session.scalar(exists) is not None:
            continue
        wait = RuleWait(
            rule_id=rule.id,
            message_id=message.id,
            thread_id=message.thread_id,
            due_at=calendar.add(message.date, trigger.within),
            state="waiting",
        )
        session.add(wait)
        started.append(wait)
    session.flush()
    return started


def _made_by_rule(session: Session, message: Message) -> str | None:
    """The rule whose outreach this message is, when the outbox sent it."""
    if message.direction != "outbound" or message.message_id is None:
        return None
    query = select(OutboxRow.rule).where(OutboxRow.message_id == message.message_id)
    return session.scalar(query.limit(1))


def _supersede(session: Session, rule_id: str, message: Message) -> None:
    """A newer message of the same direction in the thread restarts the clock."""
    if message.thread_id is None:
        return
    anchor = ANCHOR
    earlier = (
        select(RuleWait.id)
        .join(anchor, anchor.id == RuleWait.message_id)
        .where(
            RuleWait.rule_id == rule_id,
            RuleWait.thread_id == message.thread_id,
            RuleWait.state == "waiting",
            anchor.direction == message.direction,
            anchor.date <= message.date,
            anchor.id != message.id,
        )
    )
    session.execute(
        update(RuleWait)
        .where(RuleWait.id.in_(earlier.scalar_subquery()))
        .values(state="superseded", resolved_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )


def answer_waits(session: Session, message: Message) -> int:
    """Mark the thread's waits that this message answers; return how many."""
    if message.thread_id is None or not is_reply_mail(message):
        return 0
    anchor = ANCHOR
    query = (
        select(RuleWait)
        .join(anchor, anchor.id == RuleWait.message_id)
        .where(
            RuleWait.thread_id == message.thread_id,
            RuleWait.state == "waiting",
            anchor.direction != message.direction,
            anchor.date <= message.date,
        )
    )
    answered = list(session.scalars(query))
    for wait in answered:
        wait.state = "answered"
        wait.resolved_at = datetime.now(UTC)
        log.info("rule %s: message %s answered", wait.rule_id, wait.message_id)
    return len(answered)


def end_bounced_waits(session: Session, bounce: Message) -> int:
    """End the waits on sent mail this bounce leaves with no one to answer."""
    if bounce.kind != "bounce":
        return 0
    failed = select(BounceRow.recipient).where(
        BounceRow.message_id == bounce.id, BounceRow.action == "failed"
    )
    anchor = ANCHOR
    query = (
        select(RuleWait, anchor)
        .join(anchor, anchor.id == RuleWait.message_id)
        .where(
            RuleWait.state == "waiting",
            anchor.mailbox_id == bounce.mailbox_id,
            anchor.direction == "outbound",
            anchor.date >= bounce.date - RETRIES,
            anchor.date <= bounce.date + CLOCK_SKEW,
            anchor.id.in_(
                select(Participant.message_id).where(
                    Participant.role.in_(RECIPIENT_ROLES),
                    Participant.address.in_(failed),
                )
            ),
        )
    )
    ended = 0
    for wait, message in session.execute(query).all():
        if unanswerable(session, message) != "bounced":
            continue
        wait.state = "bounced"
        wait.resolved_at = datetime.now(UTC)
        ended += 1
        log.info("rule %s: message %s bounced", wait.rule_id, wait.message_id)
    return ended


def has_answer(session: Session, anchor: Message) -> bool:
    """Whether a reply to `anchor` is stored in its thread (a safety net)."""
    return answered_at(session, anchor) is not None


def answered_at(session: Session, anchor: Message) -> datetime | None:
    """The date of the first reply to `anchor` stored in its thread, if any."""
    if anchor.thread_id is None:
        return None
    query = (
        select(Message.date)
        .where(
            Message.thread_id == anchor.thread_id,
            Message.direction != anchor.direction,
            Message.kind == "normal",
            Message.bulk.is_(False),
            Message.date >= anchor.date,
            Message.id != anchor.id,
        )
        .order_by(Message.date)
        .limit(1)
    )
    return session.scalar(query)
