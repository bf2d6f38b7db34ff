"""The digest's mail sections: new inbound mail by company and contact, and the
threads waiting for a reply, ours or theirs.

Only person-written mail counts here (no newsletters, auto-replies or
bounces; those are only counted). "New" means stored during the period: mail
synced late is not missed. Mail dated well before the period (the first sync
of an old mailbox) is left out.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from inbox_crm.contacts.models import Company, Contact, ParticipantLink
from inbox_crm.digest.scope import Scope
from inbox_crm.storage.delivery import unanswerable_among
from inbox_crm.storage.models import Message, Participant

# Mail dated this long before the period started still counts as new.
LATE_MAIL = timedelta(days=1)
# Threads whose last message is older than this no longer wait for anyone.
AWAITING_WINDOW = timedelta(days=30)
LISTED_MESSAGES = 300
LISTED_THREADS = 10
SUBJECTS_PER_CONTACT = 3


def inbound_mail(session: Session, scope: Scope) -> dict[str, Any]:
    """{count, companies: [{name, count, contacts: [...]}], other: {kind: n}}."""
    start, end = scope.period.start, scope.period.end
    new = (
        scope.in_mailboxes(Message.mailbox_id),
        Message.direction == "inbound",
        Message.quarantined.is_(False),
        Message.created_at >= start,
        Message.created_at < end,
        Message.date >= start - LATE_MAIL,
    )
    personal = (Message.kind == "normal", Message.bulk.is_(False))
    count = session.scalar(select(func.count(Message.id)).where(*new, *personal))
    other = Counter(
        "list" if bulk and kind == "normal" else kind
        for kind, bulk in session.execute(
            select(Message.kind, Message.bulk).where(
                *new, (Message.kind != "normal") | Message.bulk.is_(True)
            )
        )
    )
    return {
        "count": count or 0,
        "companies": _by_company(session, scope, (*new, *personal)),
        "other": dict(sorted(other.items())),
    }


def _by_company(
    session: Session, scope: Scope, conditions: tuple[Any, ...]
) -> list[dict[str, Any]]:
    owner = aliased(Company)
    query = (
        select(
            Message.subject,
            Participant.address,
            Participant.name,
            Contact.id,
            Contact.name,
            func.coalesce(Company.name, owner.name),
        )
        .join(Participant, Participant.message_id == Message.id)
        .outerjoin(ParticipantLink, ParticipantLink.participant_id == Participant.id)
        .outerjoin(Contact, Contact.id == ParticipantLink.contact_id)
        .outerjoin(Company, Company.id == ParticipantLink.company_id)
        .outerjoin(owner, owner.id == Contact.company_id)
        .where(*conditions, Participant.role == "from")
        .order_by(Message.date.desc(), Message.id.desc())
        .limit(LISTED_MESSAGES)
    )
    companies: dict[str | None, dict[str, dict[str, Any]]] = {}
    for subject, address, name, contact_id, contact_name, company in session.execute(
        query
    ):
        people = companies.setdefault(company, {})
        key = f"contact:{contact_id}" if contact_id else address
        person = people.setdefault(
            key,
            {
                "name": contact_name or name or address,
                "address": address,
                "contact_id": contact_id,
                "count": 0,
                "subjects": [],
            },
        )
        person["count"] += 1
        if len(person["subjects"]) < SUBJECTS_PER_CONTACT:
            person["subjects"].append(subject or "(no subject)")
    groups = [
        {
            "name": company,
            "count": sum(person["count"] for person in people.values()),
            "contacts": sorted(
                people.values(), key=lambda p: (-p["count"], p["name"].lower())
            ),
        }
        for company, people in companies.items()
    ]
    # Companies with the most mail first; senders of no company last.
    return sorted(groups, key=lambda g: (g["name"] is None, -g["count"], g["name"]))


def awaiting(session: Session, scope: Scope) -> dict[str, Any]:
    """Threads whose newest person-written message waits for an answer.

    `ours`: the newest came in (we owe the reply); `theirs`: we wrote last, to
    someone who can answer (not only bounced or no-reply addresses).
    Each lists the longest-waiting first, with the age of that message.
    """
    end = scope.period.end
    person_written = (
        scope.in_mailboxes(Message.mailbox_id),
        Message.thread_id.is_not(None),
        Message.kind == "normal",
        Message.bulk.is_(False),
        Message.quarantined.is_(False),
        Message.date <= end,
        # A thread whose newest message is in the window has one there: only
        # the window's mail needs reading.
        Message.date >= end - AWAITING_WINDOW,
    )
    newest = (
        select(Message.thread_id, func.max(Message.date).label("last"))
        .where(*person_written)
        .group_by(Message.thread_id)
        .subquery()
    )
    query = (
        select(Message)
        .join(
            newest,
            (newest.c.thread_id == Message.thread_id) & (newest.c.last == Message.date),
        )
        .where(*person_written)
        .order_by(Message.date, Message.id)
    )
    newest_messages: dict[int | None, Message] = {}
    for message in session.scalars(query):
        newest_messages.setdefault(message.thread_id, message)
    # Sent mail that bounced, or went to no-reply addresses only, awaits no one.
    unanswerable = unanswerable_among(session, list(newest_messages.values()))
    sections: dict[str, list[dict[str, Any]]] = {"ours": [], "theirs": []}
    for message in newest_messages.values():
        if message.id in unanswerable:
            continue
        side = "ours" if message.direction == "inbound" else "theirs"
        sections[side].append(_waiting(scope, message))
    return {
        side: {"count": len(threads), "threads": threads[:LISTED_THREADS]}
        for side, threads in sections.items()
    }


def _waiting(scope: Scope, message: Message) -> dict[str, Any]:
    role = "from" if message.direction == "inbound" else "to"
    other = next((p for p in message.participants if p.role == role), None)
    return {
        "thread_id": message.thread_id,
        "subject": message.subject or "(no subject)",
        "with": (other.name or other.address) if other else "",
        "address": other.address if other else "",
        "since": scope.when(message.date),
        "age": scope.age(message.date),
    }
