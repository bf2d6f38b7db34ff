"""Throw-away PostgreSQL databases are created empty, usable, and dropped."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.servers import postgres


def _exists(name: str) -> bool:
    engine = sa.create_engine(postgres.database_url(postgres.ADMIN_DATABASE))
    with engine.connect() as connection:
        query = sa.text("SELECT count(*) FROM pg_database WHERE datname = :name")
        found = connection.execute(query, {"name": name}).scalar_one()
    engine.dispose()
    return bool(found)


@pytest.mark.usefixtures("postgres_server")
def test_create_connect_and_drop() -> None:
    name = postgres.create_database()
    assert _exists(name)

    engine = sa.create_engine(postgres.database_url(name))
    with engine.connect() as connection:
        current = connection.execute(sa.text("SELECT current_database()")).scalar()
    assert current == name

    # Sessions a test forgets to close must not keep the database alive.
    lingering = engine.connect()
    postgres.drop_database(name)
    assert not _exists(name)
    lingering.invalidate()
    engine.dispose()


@pytest.mark.usefixtures("postgres_server")
def test_throwaway_database_is_fresh_each_time() -> None:
    with (
        postgres.throwaway_database() as first,
        postgres.throwaway_database() as second,
    ):
        assert first != second
        assert first.startswith("postgresql+psycopg://postgres@127.0.0.1:5432/")
    assert not _exists(first.rsplit("/", 1)[1])


def test_db_url_gives_an_empty_working_database(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    table = sa.Table("probe", sa.MetaData(), sa.Column("id", sa.Integer))
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"id": 1}, {"id": 2}])
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            == 2
        )
    assert sa.inspect(engine).get_table_names() == ["probe"]
    engine.dispose()
