"""The client-history schema: its migration matches the models, both ways."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from inbox_crm.contacts.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
    IgnoreEntry,
    ParticipantLink,
    ReviewItem,
)
from inbox_crm.storage.db import alembic_config, open_database
from inbox_crm.storage.models import Base

TABLES = {
    "companies",
    "company_domains",
    "contacts",
    "contact_addresses",
    "participant_links",
    "review_items",
    "ignore_entries",
}


def test_migration_creates_exactly_the_models(db_url: str) -> None:
    database = open_database(db_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True}
            )
            assert compare_metadata(context, Base.metadata) == []
            assert set(inspect(connection).get_table_names()) >= TABLES
    finally:
        database.dispose()


def test_downgrade_to_ingestion_schema_drops_only_the_client_history(
    db_url: str,
) -> None:
    database = open_database(db_url)
    try:
        with database.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        with database.engine.connect() as connection:
            names = set(inspect(connection).get_table_names())
        assert not names & TABLES
        assert {"messages", "participants"} <= names
        database.upgrade()
        assert database.is_current()
    finally:
        database.dispose()


def test_contact_with_addresses_company_and_json_fields_round_trips(
    db_url: str,
) -> None:
    database = open_database(db_url)
    try:
        with database.session() as session, session.begin():
            company = Company(name="Acme", tags=["client"])
            company.domains = [CompanyDomain(domain="acme.co.uk")]
            contact = Contact(
                name="Ada Byron",
                company=company,
                owner="maya@agency.example",
                tags=["vip", "board"],
                custom_fields={"tier": "gold", "seats": 12},
            )
            contact.addresses = [
                ContactAddress(address="ada@acme.co.uk", folded="ada@acme.co.uk"),
                ContactAddress(
                    address="ada.byron@gmail.com",
                    folded="adabyron@gmail.com",
                    primary=True,
                ),
            ]
            session.add_all([contact, IgnoreEntry(kind="domain", value="spam.test")])
        with database.session() as session:
            stored = session.scalars(select(Contact)).one()
            assert stored.primary_address == "ada.byron@gmail.com"
            assert [a.address for a in stored.addresses] == [
                "ada.byron@gmail.com",
                "ada@acme.co.uk",
            ]
            assert stored.tags == ["vip", "board"]
            assert stored.custom_fields == {"tier": "gold", "seats": 12}
            assert stored.company is not None
            assert [d.domain for d in stored.company.domains] == ["acme.co.uk"]
            assert session.scalars(select(ParticipantLink)).all() == []
            assert session.scalars(select(ReviewItem)).all() == []
    finally:
        database.dispose()
