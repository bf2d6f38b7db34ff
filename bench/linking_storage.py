"""Linking speed with the database in the loop, as ingestion links each batch.

    .venv/bin/python bench/linking_storage.py [--url URL] [--messages N]

Stores the labelled set's contacts and companies and one message per
labelled participant (the participant and the user's own address) in a
fresh database (SQLite in a temporary directory by default), then links
them with the Linker in batches of 200 messages, as the pipeline does:
directory rows fetched by index per batch, links written in bulk,
contacts created by the policy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linking_set import LabelledSet, labelled_set
from sqlalchemy import func, insert, select, text

from inbox_crm.config import LinkingConfig
from inbox_crm.contacts.addresses import fold
from inbox_crm.contacts.linker import Linker
from inbox_crm.contacts.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
    ParticipantLink,
)
from inbox_crm.contacts.names import name_key
from inbox_crm.storage.db import Database, open_database
from inbox_crm.storage.models import Mailbox, Message, Participant

OWN = "me@agency.example"
BATCH = 200


def store(database: Database, data: LabelledSet) -> list[int]:
    """The labelled set as rows; returns the message ids."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with database.session() as session, session.begin():
        session.execute(insert(Mailbox), [{"id": 1, "name": "bench"}])
        session.execute(
            insert(Company), [{"id": c.id, "name": c.name} for c in data.companies]
        )
        session.execute(
            insert(CompanyDomain),
            [
                {"company_id": c.id, "domain": d}
                for c in data.companies
                for d in c.domains
            ],
        )
        session.execute(
            insert(Contact),
            [
                {
                    "id": c.id,
                    "name": c.name,
                    "name_key": name_key(c.name),
                    "company_id": c.company_id,
                    "source": "import",
                }
                for c in data.contacts
            ],
        )
        session.execute(
            insert(ContactAddress),
            [
                {"contact_id": c.id, "address": a, "folded": fold(a), "primary": i == 0}
                for c in data.contacts
                for i, a in enumerate(c.addresses)
            ],
        )
        messages = [
            {
                "id": n + 1,
                "mailbox_id": 1,
                "fingerprint": f"f{n}",
                "date": start + timedelta(minutes=n),
                "list_id": case.list_id,
                "kind": "list" if case.list_id else "normal",
            }
            for n, case in enumerate(data.cases)
        ]
        session.execute(insert(Message), messages)
        participants = []
        for n, case in enumerate(data.cases):
            participants.append(
                {
                    "message_id": n + 1,
                    "role": "from",
                    "address": case.address.lower(),
                    "name": case.name,
                    "domain": case.address.rpartition("@")[2],
                }
            )
            participants.append(
                {
                    "message_id": n + 1,
                    "role": "to",
                    "position": 0,
                    "address": OWN,
                    "name": "Me",
                    "domain": "agency.example",
                }
            )
        session.execute(insert(Participant), participants)
        if database.dialect == "postgresql":
            # The rows above came with their ids: move the sequences past them.
            for table in ("companies", "contacts", "messages", "mailboxes"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    return [message["id"] for message in messages]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--messages", type=int, default=12000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        url = args.url or f"sqlite:///{directory}/bench.db"
        database = open_database(url)
        data = labelled_set(seed=8, messages=args.messages)
        ids = store(database, data)
        linker = Linker(LinkingConfig(), [OWN])
        started, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(ids), BATCH):
            with database.session() as session, session.begin():
                linker.link_messages(session, ids[first : first + BATCH])
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        with database.session() as session:
            links = session.scalar(select(func.count(ParticipantLink.participant_id)))
            participants = session.scalar(select(func.count(Participant.id))) or 0
        database.dispose()
    print(
        f"{database.dialect}: {participants:,} participants of {len(ids):,} messages "
        f"against {len(data.contacts):,} contacts linked in batches of {BATCH}: "
        f"{participants / wall:,.0f} per second ({participants / cpu:,.0f} per CPU "
        f"second of this process), {links:,} links written"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
