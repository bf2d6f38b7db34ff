"""A configured installation for rules tests: config, rule files, a mailbox."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from inbox_crm.config import Config, parse_config
from inbox_crm.contacts.linker import Linker
from inbox_crm.contacts.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
)
from inbox_crm.ingest.pipeline import BatchResult, Incoming, Ingestor
from inbox_crm.rules.engine import RulesEngine
from inbox_crm.rules.hook import RulesHook, configured_rules
from inbox_crm.rules.outreach import OutreachQueue
from inbox_crm.storage.db import Database
from tests.ingest.store import OWN, Store

ME = "Maya <maya@agency.example>"
ANN = "Ann Client <ann@client.example>"


class World:
    """Config, rules folder, database and a mailbox that ingests with the rules."""

    def __init__(self, database: Database, root: Path) -> None:
        self.database = database
        self.root = root
        self.rules_dir = root / "rules"
        self.rules_dir.mkdir(exist_ok=True)
        self.settings: dict[str, Any] = {
            "database": {"url": database.url},
            "rules": {"since": datetime(2026, 1, 1, tzinfo=UTC)},
            "business": {"timezone": "Europe/Berlin", "country": "DE"},
            "users": {"maya": {"email": "maya@agency.example", "mailboxes": ["work"]}},
            # The tests make the contacts and companies they need themselves.
            "linking": {"create_contacts": "never", "create_companies": "never"},
            "mailboxes": {
                "work": {
                    "host": "localhost",
                    "security": "none",
                    "username": "maya@agency.example",
                    "password_env": "X",
                }
            },
        }
        self.outreach: OutreachQueue | None = None
        self.store = Store(database)
        self._engine: RulesEngine | None = None

    def rule_file(self, name: str, text: str) -> Path:
        path = self.rules_dir / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        self._engine = None
        return path

    @property
    def config(self) -> Config:
        return parse_config(self.settings, self.root / "inbox-crm.toml")

    @property
    def engine(self) -> RulesEngine:
        if self._engine is None:
            config = self.config
            self._engine = RulesEngine(config, configured_rules(config), self.outreach)
        return self._engine

    def add(self, raw: bytes, folder: str = "inbox") -> BatchResult:
        """Ingest one message through the pipeline, with linking and the rules."""
        self.store.ingestor = Ingestor(
            self.store.mailbox_id,
            OWN,
            timedelta(days=30),
            linker=Linker(self.config.linking, OWN),
            observers=[RulesHook(self.engine)],
        )
        target = self.store.inbox if folder == "inbox" else self.store.sent
        item = Incoming(
            raw=raw, folder_id=target, uidvalidity=1, uid=self.store.next_uid
        )
        self.store.next_uid += 1
        with self.database.session() as session, session.begin():
            return self.store.ingestor.ingest(session, [item])

    def contact(
        self,
        name: str,
        address: str,
        company: str | None = None,
        domain: str | None = None,
        **extra: Any,
    ) -> int:
        with self.database.session() as session, session.begin():
            company_row = None
            if company:
                company_row = Company(name=company, source="import")
                if domain:
                    company_row.domains = [CompanyDomain(domain=domain)]
                session.add(company_row)
                session.flush()
            contact = Contact(
                name=name,
                company_id=company_row.id if company_row else None,
                source="import",
                **extra,
            )
            contact.addresses = [
                ContactAddress(address=address, folded=address, primary=True)
            ]
            session.add(contact)
            session.flush()
            return contact.id

    def rows(self, model: type[Any], **where: Any) -> list[Any]:
        with self.database.session() as session:
            query = select(model).filter_by(**where).order_by(model.id)
            return list(session.scalars(query))

    def rows_by(self, model: type[Any]) -> list[Any]:
        """Rows of a table without an id column, in insertion order."""
        with self.database.session() as session:
            return list(session.scalars(select(model)))
