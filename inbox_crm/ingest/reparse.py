"""Parsing quarantined messages again from their kept raw source."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlalchemy import select

from inbox_crm.contacts.linker import Linker
from inbox_crm.ingest.pipeline import Incoming, Ingestor, MessageObserver
from inbox_crm.ingest.prepared import Unreadable
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Mailbox, Message

log = logging.getLogger(__name__)


def reparse_quarantined(
    database: Database,
    window: timedelta,
    own_addresses: Mapping[str, Sequence[str]],
    linker: Linker | None = None,
    observers: Sequence[MessageObserver] = (),
) -> tuple[int, int]:
    """Try each quarantined message again; return (released, still quarantined).

    `own_addresses` maps a mailbox name to its addresses, for the direction.
    A message that parses now is stored anew, under a new id, and the
    quarantined copy goes; one that still does not parse is left untouched.
    """
    with database.session() as session:
        rows = session.execute(
            select(Message.id, Message.mailbox_id, Mailbox.name)
            .join(Mailbox, Mailbox.id == Message.mailbox_id)
            .where(Message.quarantined.is_(True))
        ).all()

    released = 0
    for message_id, mailbox_id, mailbox in rows:
        own = own_addresses.get(mailbox, ())
        ingestor = Ingestor(mailbox_id, own, window, linker, observers)
        with database.session() as session, session.begin():
            old = session.get_one(Message, message_id)
            raw, date = old.source.raw, old.date
            if isinstance(
                ingestor.prepare(Incoming(raw, received_at=date)), Unreadable
            ):
                continue
            attempt = session.begin_nested()
            places = [(p.folder_id, p.uidvalidity, p.uid) for p in old.locations]
            # The quarantined copy goes first: its fingerprint is of the raw
            # bytes, and the parsed copy's differs.
            session.delete(old)
            session.flush()
            items = [
                Incoming(raw, folder, validity, uid, date)
                for folder, validity, uid in places
            ] or [Incoming(raw, received_at=date)]
            result = ingestor.ingest(session, items)
            if result.quarantined:
                attempt.rollback()
                continue
            attempt.commit()
        released += 1
        log.info(
            "message %s released from quarantine as message %s",
            message_id,
            result.new_ids[0] if result.new_ids else "(a copy already stored)",
        )
    return released, len(rows) - released
