"""Creating activities, closing follow-ups when the reply comes, done and snooze."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from inbox_crm.contacts.models import Contact
from inbox_crm.errors import ActivityError
from inbox_crm.storage.models import Message
from inbox_crm.storage.tracking import Activity

log = logging.getLogger(__name__)

# The message a wait or a follow-up is about; made once, as an alias is costly.
ANCHOR = aliased(Message, name="anchor")

KINDS = ("follow_up", "task", "call", "note")
TITLE_LIMIT = 2000


def add_activity(
    session: Session,
    *,
    kind: str,
    title: str,
    due_at: datetime | None = None,
    assignee: str | None = None,
    contact: Contact | None = None,
) -> Activity:
    """A hand-made activity; one about a contact is about its company too."""
    title = title.strip()
    if not title:
        raise ActivityError("an activity needs a title that says what to do")
    if kind not in KINDS:
        raise ActivityError(f"no activity kind {kind!r} (known: {', '.join(KINDS)})")

    activity = Activity(
        kind=kind,
        title=title[:TITLE_LIMIT],
        due_at=due_at,
        assignee=assignee,
        contact_id=contact.id if contact else None,
        company_id=contact.company_id if contact else None,
    )
    session.add(activity)
    session.flush()
    log.info("activity %s added by hand", activity.id)
    return activity


def is_reply_mail(message: Message) -> bool:
    """Whether a message counts as a person's answer (no auto-reply, bounce, list)."""
    return message.kind == "normal" and not message.bulk


def close_answered(session: Session, message: Message) -> list[Activity]:
    """Close the follow-ups of the thread that waited for this message's reply."""
    if message.thread_id is None or not is_reply_mail(message):
        return []
    anchor = ANCHOR
    query = (
        select(Activity)
        .join(anchor, anchor.id == Activity.message_id)
        .where(
            Activity.status == "open",
            Activity.closes_on_reply.is_(True),
            Activity.thread_id == message.thread_id,
            anchor.direction != message.direction,
            anchor.date <= message.date,
        )
    )
    closed = list(session.scalars(query))
    for activity in closed:
        finish(activity, f"reply received (message {message.id})")
        log.info("activity %s closed: reply %s arrived", activity.id, message.id)
    return closed


def finish(activity: Activity, reason: str) -> None:
    activity.status = "done"
    activity.done_at = datetime.now(UTC)
    activity.done_reason = reason


def snooze(activity: Activity, until: datetime, now: datetime) -> None:
    """Move an open activity's due time to `until`, which must be after `now`."""
    if activity.status != "open":
        raise ActivityError(
            f"activity {activity.id} is {activity.status}, so there is nothing to "
            f"snooze (open it again first: `inbox-crm activities done --undo "
            f"{activity.id}`)"
        )
    if until <= now:
        raise ActivityError(
            f"activity {activity.id} cannot be snoozed to "
            f"{until:%Y-%m-%d %H:%M %Z}: that time has passed; give a later one"
        )

    activity.due_at = until
    activity.snoozes += 1


def reopen(activity: Activity) -> None:
    activity.status = "open"
    activity.done_at = None
    activity.done_reason = None
