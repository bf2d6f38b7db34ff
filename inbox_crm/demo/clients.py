"""The demo's address book: Maya's clients and leads, imported before the sync.

Prospects and everyone else are left out on purpose: the sync shows them
being created (or not) by the auto-create policy.
"""

from __future__ import annotations

from pathlib import Path

from inbox_crm.config import Config
from inbox_crm.contacts.importer import ImportResult, import_records
from inbox_crm.contacts.linker import Linker
from inbox_crm.contacts.records import ContactRecord
from inbox_crm.demo.people import PEOPLE
from inbox_crm.storage.db import Database

# Key, company name as Maya's address book has it, tags.
ADDRESS_BOOK = (
    ("priya", "Northwind Traders", ["client"]),
    ("dan", "Northwind Traders", ["client"]),
    ("weiss", "Weiß & Partner", ["client", "de"]),
    ("hofer", "Weiß & Partner", ["client", "de"]),
    ("lena", "Harbor Health", ["client"]),
    ("erik", "Fjord Outdoor", ["client"]),
    ("olivia", "Greenleaf", ["lead"]),
    ("marcus", "Atlas Logistics", ["lead"]),
    ("anna", "Kranich Design", ["lead", "de"]),
    ("sam", "Ortega Words", ["vendor"]),
    ("helen", "Marsh Accounting", ["adviser"]),
)


def address_book() -> list[ContactRecord]:
    """The demo's contacts as an import would read them."""
    records = []
    for line, (key, company, tags) in enumerate(ADDRESS_BOOK, start=2):
        person = PEOPLE[key]
        records.append(
            ContactRecord(
                line=line,
                name=person.name,
                addresses=[person.address],
                company=company,
                domains=[person.domain],
                tags=list(tags),
            )
        )
    return records


def import_address_book(database: Database, config: Config) -> ImportResult:
    """Import the address book into the demo database."""
    linker = Linker(config.linking, config.own_addresses)
    with database.session() as session, session.begin():
        return import_records(session, address_book(), Path("address book"), linker)
