"""What a template sees: plain values about the contact, company, thread and sender.

Templates get dictionaries and lists, never database objects, so the sandbox
has nothing to reach through. The keys are documented in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.contacts.models import Company
from inbox_crm.outreach.recipients import Recipient
from inbox_crm.outreach.unsubscribe import UnsubscribeLinks
from inbox_crm.storage.models import Message, Thread

LAST_TEXT = 2000


@dataclass(frozen=True)
class Sender:
    """The sending user: the mailbox a mail leaves from, with its name."""

    mailbox: str
    address: str
    name: str = ""


def template_context(
    session: Session,
    recipient: Recipient,
    sender: Sender,
    thread: Thread | None,
    links: UnsubscribeLinks,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The variables of one mail: contact, company, thread, last_message, user, ..."""
    contact = recipient.contact
    company = contact.company if contact is not None else None
    last = last_message(session, thread) if thread is not None else None
    return {
        "contact": contact_values(recipient),
        "company": company_values(company) if company is not None else None,
        "thread": thread_values(thread) if thread is not None else None,
        "last_message": message_values(last) if last is not None else None,
        "user": {"address": sender.address, "mailbox": sender.mailbox}
        | known(name=sender.name),
        "unsubscribe": {"url": links.url, "mailto": links.mailto},
        "now": now or datetime.now(UTC),
    }


def contact_values(recipient: Recipient) -> dict[str, Any]:
    contact = recipient.contact
    fields: dict[str, Any] = dict(contact.custom_fields or {}) if contact else {}
    name = recipient.name or (contact.name if contact else "")
    first, last = split_name(name)
    values = {
        "id": contact.id if contact else None,
        "address": recipient.address,
        "addresses": [a.address for a in contact.addresses] if contact else [],
        "owner": contact.owner if contact else None,
        "tags": list(contact.tags or []) if contact else [],
        "fields": fields,
    }
    return values | known(
        name=name,
        first_name=str(fields.get("first_name") or first),
        last_name=str(fields.get("last_name") or last),
    )


def known(**values: str) -> dict[str, str]:
    """Only the values that are not empty: an unknown name stays undefined, so a
    template that prints it without a default fails instead of leaving a gap."""
    return {key: value for key, value in values.items() if value.strip()}


def company_values(company: Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "domains": [domain.domain for domain in company.domains],
        "tags": list(company.tags or []),
    }


def thread_values(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.id,
        "subject": thread.subject,
        "message_count": thread.message_count,
        "first_date": thread.first_date,
        "last_date": thread.last_date,
    }


def message_values(message: Message) -> dict[str, Any]:
    sender = next((p for p in message.participants if p.role == "from"), None)
    return {
        "id": message.id,
        "subject": message.subject,
        "date": message.date,
        "direction": message.direction,
        "from": {
            "name": sender.name if sender else "",
            "address": sender.address if sender else "",
        },
        "text": message.text[:LAST_TEXT],
    }


def last_message(session: Session, thread: Thread) -> Message | None:
    """The newest stored message of `thread`, the one a follow-up answers."""
    query = (
        select(Message)
        .where(Message.thread_id == thread.id, Message.quarantined.is_(False))
        .order_by(Message.date.desc(), Message.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def split_name(name: str) -> tuple[str, str]:
    """First and last name of a display name ("Lee, Ann" and "Ann Lee" alike)."""
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip().split(" ")[0] if first.strip() else "", last.strip()
    words = name.split()
    if not words:
        return "", ""
    return words[0], words[-1] if len(words) > 1 else ""
