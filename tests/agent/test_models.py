"""The agent's tables as migration 0005 creates them match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData

from inbox_crm.agent.models import AgentRecord, JobState, Lease
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Base

TABLES = {model.__tablename__ for model in (Lease, AgentRecord, JobState)}


def agent_differences(database: Database, metadata: MetaData) -> list[object]:
    """Schema differences between the database and `metadata`, agent tables only."""

    def ours(item: object, name: str | None, kind: str, *_: object) -> bool:
        table = getattr(item, "table", item) if kind != "table" else item
        return getattr(table, "name", name) in TABLES

    options = {"compare_type": True, "include_object": ours}
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, metadata))


def test_the_migrated_agent_tables_match_the_models(database: Database) -> None:
    assert agent_differences(database, Base.metadata) == []


def test_a_column_missing_from_the_migration_would_show(database: Database) -> None:
    metadata = MetaData()
    for model in (Lease, AgentRecord, JobState):
        model.__table__.to_metadata(metadata)
    metadata.tables["leases"].append_column(Column("generation", Integer))

    differences = agent_differences(database, metadata)

    assert [d[0] for d in differences] == ["add_column"]  # type: ignore[index]
