"""A mailbox with two folders that ingests through the real pipeline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from inbox_crm.ingest.pipeline import (
    BatchResult,
    Incoming,
    Ingestor,
    ensure_folder,
    ensure_mailbox,
)
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Message

OWN = ("maya@agency.example",)


class Store:
    """A mailbox with two folders, ingesting through the real pipeline."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with database.session() as session, session.begin():
            self.mailbox_id = ensure_mailbox(session, "work").id
            self.inbox = ensure_folder(session, self.mailbox_id, "INBOX").id
            self.sent = ensure_folder(session, self.mailbox_id, "Sent").id
        self.ingestor = Ingestor(self.mailbox_id, OWN, timedelta(days=30))
        self.next_uid = 1

    def add(
        self, raw: bytes, folder: int | None = None, **extra: object
    ) -> BatchResult:
        item = Incoming(
            raw=raw,
            folder_id=folder or self.inbox,
            uidvalidity=1,
            uid=self.next_uid,
            **extra,  # type: ignore[arg-type]
        )
        self.next_uid += 1
        with self.database.session() as session, session.begin():
            return self.ingestor.ingest(session, [item])

    def messages(self) -> list[Message]:
        with self.database.session() as session:
            query = select(Message).order_by(Message.id)
            rows = list(session.scalars(query))
            for row in rows:
                _ = row.participants, row.locations, row.attachments, row.bounces
                for location in row.locations:
                    _ = location.folder
            return rows

    def count(self) -> int:
        with self.database.session() as session:
            return session.scalar(select(func.count(Message.id))) or 0
