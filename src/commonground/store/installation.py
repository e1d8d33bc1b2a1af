"""Installation-wide state beside the environments: a SQLite file in the home folder, or a
schema of the PostgreSQL database the environments use, so that every API process and worker
shares it. The integrator's catalog and the security directory are two such databases.

Tables are created on open, and nullable columns added since a table was created are added
to it, so an existing home folder keeps working after an upgrade.

Times are stored as UTC ISO text so that they sort and compare the same on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError

TablesFactory = Callable[[str | None], MetaData]
"""Builds a database's tables in a schema (PostgreSQL) or the default one (SQLite)."""


def utc_now() -> datetime:
    """The current instant, timezone-aware."""
    return datetime.now(UTC)


def as_text(moment: datetime) -> str:
    """A UTC instant as sortable ISO text (the stored time format)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(value: str) -> datetime:
    """An instant back from its stored text form."""
    return datetime.fromisoformat(value)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


RACE_SIGNS = (
    "already exists",
    "duplicate column",
    "pg_type_typname_nsp_index",  # PostgreSQL: two CREATE TABLEs of one name at once
    "database is locked",  # SQLite: a new file's switch to WAL while another sets it up
)


def _raced(error: DBAPIError) -> bool:
    """Whether set-up failed because another process created the same thing meanwhile."""
    message = str(error.orig).lower()
    return any(sign in message for sign in RACE_SIGNS)


class InstallationDatabase:
    """An engine and its tables, created on first use: `file` in `home` on SQLite, or
    `schema` of the database at `database_url` on PostgreSQL."""

    def __init__(
        self,
        home: Path,
        database_url: str | None,
        *,
        file: str,
        schema: str,
        tables: TablesFactory,
    ) -> None:
        self.schema: str | None
        if database_url:
            url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
            self.engine: Engine = create_engine(url, pool_pre_ping=True)
            self.schema = schema
            with self.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        else:
            home.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(f"sqlite:///{home / file}", connect_args={"timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self.schema = None
        self.metadata = tables(self.schema)
        self._set_up()

    def _set_up(self) -> None:
        """Create what is missing. API workers start together and may race to create the
        same table; the loser finds it made and looks again (each lost race means one more
        table exists, so as many attempts as tables always end)."""
        attempts = len(self.metadata.sorted_tables) + 1
        for attempt in range(attempts):
            try:
                self.metadata.create_all(self.engine)
                self._add_missing_columns()
                return
            except DBAPIError as exc:
                if attempt == attempts - 1 or not _raced(exc):
                    raise

    def _add_missing_columns(self) -> None:
        inspector = inspect(self.engine)
        with self.engine.begin() as conn:
            for table in self.metadata.sorted_tables:
                present = {c["name"] for c in inspector.get_columns(table.name, schema=self.schema)}
                for column in table.columns:
                    if column.name not in present and column.nullable:
                        kind = column.type.compile(dialect=self.engine.dialect)
                        name = self.engine.dialect.identifier_preparer.format_table(table)
                        conn.execute(text(f'ALTER TABLE {name} ADD COLUMN "{column.name}" {kind}'))

    def table(self, name: str) -> Table:
        """A table by its short name."""
        key = f"{self.schema}.{name}" if self.schema else name
        return self.metadata.tables[key]

    def close(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()

    def drop(self) -> None:
        """Remove the database and everything in it (tests, uninstall)."""
        if self.schema is not None:
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        else:
            self.metadata.drop_all(self.engine)
        self.close()
