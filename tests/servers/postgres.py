"""Throw-away PostgreSQL databases for tests, on 127.0.0.1:5432 as postgres (trust)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

HOST = "127.0.0.1"
PORT = 5432
USER = "postgres"
# The maintenance database to connect to while creating and dropping others.
ADMIN_DATABASE = "postgres"
CONNECT_TIMEOUT = 3


def missing_requirements() -> str | None:
    """Say why throw-away databases cannot be made here, or None if they can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        with _admin_connection():
            return None
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0]
        return f"PostgreSQL does not answer on {HOST}:{PORT} as {USER}: {reason}"


def database_url(name: str) -> str:
    """The SQLAlchemy URL of a database on the test server."""
    return f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{name}"


def create_database(prefix: str = "inbox_crm_test") -> str:
    """Create an empty database with a random name and return the name."""
    from psycopg import sql

    name = f"{prefix}_{secrets.token_hex(6)}"
    with _admin_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(name: str) -> None:
    """Drop a database, ending any sessions a test left open on it."""
    from psycopg import sql

    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    with _admin_connection() as connection:
        connection.execute(statement.format(sql.Identifier(name)))


@contextmanager
def throwaway_database(prefix: str = "inbox_crm_test") -> Iterator[str]:
    """A fresh database for the duration of the block, given as a SQLAlchemy URL."""
    name = create_database(prefix)
    try:
        yield database_url(name)
    finally:
        drop_database(name)


def _admin_connection() -> psycopg.Connection[tuple[Any, ...]]:
    # psycopg is imported late so that a machine without it can still skip cleanly.
    import psycopg

    # CREATE and DROP DATABASE cannot run inside a transaction: autocommit.
    return psycopg.connect(
        host=HOST,
        port=PORT,
        user=USER,
        dbname=ADMIN_DATABASE,
        connect_timeout=CONNECT_TIMEOUT,
        autocommit=True,
    )
