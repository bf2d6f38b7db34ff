"""Fixtures of the linking tests: a migrated database, a mailbox, helpers to look."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_crm.config import LinkingConfig
from inbox_crm.contacts.csvfile import read_csv
from inbox_crm.contacts.importer import ImportResult, import_records
from inbox_crm.contacts.linker import Linker
from inbox_crm.contacts.models import Company, Contact, ParticipantLink
from inbox_crm.ingest.pipeline import BatchResult, Incoming, Ingestor
from inbox_crm.storage.db import Database, open_database
from inbox_crm.storage.models import Participant
from tests.ingest.store import OWN, Store
from tests.mailfactory import make_message

EML = Path(__file__).parent.parent / "mail" / "eml"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_numbers = count(1)


@dataclass(frozen=True)
class Seen:
    """How one stored participant ended up linked."""

    method: str | None
    score: float | None
    contact: str | None
    company: str | None


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


class Mail(Store):
    """A mailbox that ingests through the real pipeline and reports links."""

    def __init__(
        self, database: Database, linking: LinkingConfig, own: tuple[str, ...] = OWN
    ) -> None:
        super().__init__(database)
        self.own = own
        self.linker = Linker(linking, own)
        self.ingestor = Ingestor(self.mailbox_id, own, timedelta(days=30), self.linker)

    def receive(
        self, sender: str, to: str = f"Maya <{OWN[0]}>", **extra: object
    ) -> int:
        """Store one inbound message; returns its id."""
        return self._one(sender, to, self.inbox, **extra)

    def send(self, to: str, sender: str = f"Maya <{OWN[0]}>", **extra: object) -> int:
        """Store one message from the user; returns its id."""
        return self._one(sender, to, self.sent, **extra)

    def receive_together(self, *senders: str, to: str = f"Maya <{OWN[0]}>") -> None:
        """Store one inbound message per sender in one batch, dated in that order."""
        items = []
        for sender in senders:
            number = next(_numbers)
            raw = make_message(
                sender=sender,
                to=to,
                subject=f"Subject {number}",
                message_id=f"<m{number}@test.example>",
                date=START + timedelta(minutes=number),
            )
            uid, self.next_uid = self.next_uid, self.next_uid + 1
            items.append(Incoming(raw, self.inbox, uidvalidity=1, uid=uid))
        with self.database.session() as session, session.begin():
            result = self.ingestor.ingest(session, items)
        assert result.stored == len(senders)

    def _one(self, sender: str, to: str, folder: int, **extra: object) -> int:
        number = next(_numbers)
        raw = make_message(
            sender=sender,
            to=to,
            subject=str(extra.pop("subject", f"Subject {number}")),
            message_id=f"<m{number}@test.example>",
            date=START + timedelta(minutes=number),
            **extra,  # type: ignore[arg-type]
        )
        result = self.add(raw, folder=folder)
        assert result.stored == 1
        return result.new_ids[0]

    def eml(self, name: str) -> BatchResult:
        return self.add((EML / name).read_bytes())

    def link(self, message_id: int, address: str) -> Seen:
        """How the participant `address` of a message is linked."""
        with self.database.session() as session:
            query = (
                select(ParticipantLink, Participant)
                .join(Participant, Participant.id == ParticipantLink.participant_id)
                .where(
                    Participant.message_id == message_id,
                    Participant.address == address.lower(),
                )
            )
            row = session.execute(query).first()
            if row is None:
                return Seen(None, None, None, None)
            link = row[0]
            return Seen(
                link.method,
                link.score,
                link.contact.name if link.contact else None,
                link.company.name if link.company else None,
            )

    def import_csv(self, tmp_path: Path, text: str) -> ImportResult:
        path = tmp_path / f"contacts-{next(_numbers)}.csv"
        path.write_text(text, encoding="utf-8")
        records = read_csv(path, {})
        with self.database.session() as session, session.begin():
            return import_records(session, records, path, self.linker)

    def contacts(self) -> list[Contact]:
        with self.database.session() as session:
            rows = list(session.scalars(select(Contact).order_by(Contact.id)))
            for row in rows:
                _ = row.addresses, row.company
            return rows

    def companies(self) -> list[Company]:
        with self.database.session() as session:
            rows = list(session.scalars(select(Company).order_by(Company.id)))
            for row in rows:
                _ = row.domains, row.contacts
            return rows

    def incoming(self, raw: bytes) -> Incoming:
        return Incoming(raw=raw, folder_id=self.inbox, uidvalidity=1, uid=None)


@pytest.fixture
def mail(database: Database) -> Mail:
    return Mail(database, LinkingConfig())


@pytest.fixture
def make_mail(database: Database) -> object:
    def make(own: tuple[str, ...] = OWN, **settings: object) -> Mail:
        return Mail(database, LinkingConfig(**settings), own)  # type: ignore[arg-type]

    return make
