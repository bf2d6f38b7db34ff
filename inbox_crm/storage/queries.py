"""Read queries over stored messages, shared by the CLI and the exports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from inbox_crm.storage.models import Folder, Mailbox, Message, MessageLocation


def messages_query(
    *,
    mailbox: str | None = None,
    since: datetime | None = None,
    quarantined: bool | None = None,
    newest_first: bool = False,
) -> Select[Message]:
    query = select(Message).options(
        selectinload(Message.participants),
        selectinload(Message.locations).selectinload(MessageLocation.folder),
        selectinload(Message.attachments),
        selectinload(Message.bounces),
    )
    if mailbox is not None:
        query = query.join(Mailbox, Mailbox.id == Message.mailbox_id).where(
            Mailbox.name == mailbox
        )
    if since is not None:
        query = query.where(Message.date >= since)
    if quarantined is not None:
        query = query.where(Message.quarantined == quarantined)
    order = Message.date.desc() if newest_first else Message.date
    return query.order_by(order, Message.id)


def iter_messages(
    session: Session, query: Select[Message], chunk: int = 500
) -> Iterator[Message]:
    """Stream messages in chunks so an export of any size stays small in memory."""
    yield from session.scalars(query.execution_options(yield_per=chunk))


def mailbox_names(session: Session) -> dict[int, str]:
    rows = session.execute(select(Mailbox.id, Mailbox.name))
    return {mailbox_id: name for mailbox_id, name in rows}


def message_folders(message: Message) -> list[str]:
    return sorted({location.folder.name for location in message.locations})


def count_messages(session: Session, mailbox: str | None = None) -> int:
    query = select(func.count(Message.id))
    if mailbox is not None:
        query = query.join(Mailbox, Mailbox.id == Message.mailbox_id).where(
            Mailbox.name == mailbox
        )
    return session.scalar(query) or 0


def folders(session: Session) -> list[Folder]:
    return list(
        session.scalars(select(Folder).order_by(Folder.mailbox_id, Folder.name))
    )
