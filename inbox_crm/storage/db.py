"""Opening the database: engine, schema migrations and sessions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inbox_crm.errors import StorageError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Execution options that mark the connections of reading and writing sessions.
READING = "inbox_crm_reading"
WRITING = "inbox_crm_writing"


class Database:
    """An engine on one database URL, migrated to the newest schema."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        readers = self.engine.execution_options(**{READING: True})
        self.readers = sessionmaker(readers, expire_on_commit=False)
        writers = self.engine.execution_options(**{WRITING: True})
        self.writers = sessionmaker(writers, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self.sessions()

    def reading(self) -> Session:
        """A session that only reads (an export, a listing)."""
        return self.readers()

    def writing(self) -> Session:
        """A session whose transaction writes: it waits its turn to begin.

        On SQLite a transaction that reads and then writes fails at once with
        "database is locked" if another process wrote in between; this one
        takes the write lock as it begins, waiting for it if need be. Use it
        for work that shares the database with other processes (syncs,
        imports), one transaction at a time.
        """
        return self.writers()

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (creating it when empty)."""
        try:
            with self.engine.begin() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StorageError(
                f"cannot migrate the database at {redact_url(self.url)}: {exc}"
            ) from exc

    def is_current(self) -> bool:
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return current == head

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, upgrade: bool = True) -> Database:
    """Open the database at `url`, migrating it unless told not to."""
    database = Database(url)
    try:
        with database.engine.connect():
            pass
    except OperationalError as exc:
        raise StorageError(
            f"cannot open the database at {redact_url(url)}: {exc.orig}"
        ) from exc
    if upgrade:
        database.upgrade()
    return database


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {url!r}") from exc
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        require_folder(parsed.database)
        options["connect_args"] = {"timeout": 30}
    else:
        options["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, ImportError) as exc:
        message = f"cannot use the database URL {redact_url(url)}: {exc}"
        raise StorageError(message) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def require_folder(database: str | None) -> None:
    """Refuse a SQLite file whose folder is missing: a typo must not look empty.

    The file itself is created on first use; its folder never is, so a
    mistyped path stops here instead of opening a new, empty database.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    folder = Path(database).parent
    if not folder.is_dir():
        raise StorageError(
            f"no such folder {folder} for the database; "
            "create it or fix [database] url in the configuration"
        )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module's own transaction handling breaks SAVEPOINT; take
    # over BEGIN ourselves (see _sqlite_begin). WAL lets the CLI read while
    # the poller writes.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at the start, waiting for it under
    # busy_timeout (see Database.writing).
    if connection.get_execution_options().get(WRITING):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"
