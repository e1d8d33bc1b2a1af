"""PostgreSQL: one schema per environment in one database; COPY for bulk inserts.

Writers of one environment are serialised by a row lock on the change counter, taken at the
start of every write transaction and held until commit. That makes commit order equal to
change-position order, which is what lets "changes since T" never miss a committed change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    Numeric,
    Table,
    Text,
    Uuid,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.types import TypeEngine

from commonground.errors import (
    AlreadyExistsError,
    NotFoundError,
    StoreError,
    StoreUnavailableError,
)
from commonground.model.types import Storage
from commonground.store.dialects.base import ParamConverter

SCHEMA_PREFIX = "cg_"
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class PostgreSQLDialect:
    """Store dialect for PostgreSQL (psycopg 3)."""

    name = "postgresql"
    # READ COMMITTED would give each statement of a read (a query and its includes, a change
    # page's counter and rows, a backup's sequences and tables) its own snapshot.
    read_isolation: str | None = "REPEATABLE READ"
    driver_reads = False  # psycopg's own row handling is as quick as the store's would be

    def column_type(self, storage: Storage, scale: int) -> TypeEngine[Any]:
        """Native types: exact NUMERIC(32, scale), timestamptz, uuid."""
        types: dict[Storage, TypeEngine[Any]] = {
            Storage.STRING: Text(),
            Storage.DECIMAL: Numeric(32, scale),
            Storage.INTEGER: Integer(),
            Storage.BIG_INTEGER: BigInteger(),
            Storage.BOOLEAN: Boolean(),
            Storage.DATE: Date(),
            Storage.DATETIME: DateTime(timezone=True),
            Storage.GUID: Uuid(),
            Storage.PICKLIST: Integer(),
            Storage.LOOKUP: BigInteger(),
        }
        return types[storage]

    def param_converter(self, storage: Storage) -> ParamConverter | None:
        """psycopg adapts every canonical value itself."""
        return None

    def text_position(self, haystack: Any, needle: Any) -> Any:
        """1-based position of `needle` in `haystack` (0 when absent)."""
        return func.strpos(haystack, needle)

    def lock_writers(self, conn: Connection, sequences: Table) -> None:
        """Lock the change counter row until commit."""
        conn.execute(
            select(sequences.c.value).where(sequences.c.name == "change").with_for_update()
        )

    def insert_many(
        self, conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """COPY FROM STDIN into the table, inside the current transaction."""
        if not rows:
            return
        target = (
            sql.Identifier(table.schema, table.name) if table.schema else sql.Identifier(table.name)
        )
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        raw = conn.connection.driver_connection
        assert raw is not None
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.OperationalError as exc:  # COPY bypasses SQLAlchemy's translation
            raise StoreUnavailableError(f"the database is unavailable: {exc}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"the database refused the operation: {exc}") from exc


class PostgreSQLLocator:
    """Environments as schemas `cg_<name>` of one database."""

    def __init__(self, url: str) -> None:
        self.dialect = PostgreSQLDialect()
        self.engine = create_engine(_psycopg_url(url), pool_pre_ping=True)
        event.listen(self.engine, "connect", _utc_session)

    def names(self) -> list[str]:
        """Environment names, from each schema's environment table."""
        with self.engine.connect() as conn:
            schemas = conn.execute(
                text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = '_environment' AND table_schema LIKE 'cg\\_%'"
                )
            ).scalars()
            names: list[str] = []
            for schema in list(schemas):
                quoted = conn.dialect.identifier_preparer.quote_schema(schema)
                try:
                    with conn.begin_nested():
                        found = conn.execute(text(f"SELECT name FROM {quoted}._environment"))
                        names.extend(found.scalars())
                except ProgrammingError:
                    continue  # dropped (by another session) since it was listed
        return sorted(names, key=str.lower)

    def exists(self, name: str) -> bool:
        """Whether the environment's schema exists."""
        with self.engine.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"),
                {"s": schema_name(name)},
            ).first()
        return found is not None

    def open(self, name: str) -> tuple[Engine, str | None]:
        """The shared engine and the environment's schema."""
        if not self.exists(name):
            raise NotFoundError("Environment", name)
        return self.engine, schema_name(name)

    def create(self, name: str) -> tuple[Engine, str | None]:
        """A new, empty schema."""
        if self.exists(name):
            raise AlreadyExistsError("Environment", name)
        schema = schema_name(name)
        with self.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        return self.engine, schema

    def drop(self, name: str) -> None:
        """Drop the environment's schema with everything in it."""
        if not self.exists(name):
            raise NotFoundError("Environment", name)
        with self.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema_name(name)}" CASCADE'))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _utc_session(dbapi_connection: Any, _record: Any) -> None:
    """Run every session in UTC, whatever the server's or the client's (PGTZ) zone.

    As on SQLite, hour(), date() and the like then mean the same on both databases.
    """
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def schema_name(name: str) -> str:
    """The schema of an environment: names are case-insensitive, schemas lower case."""
    if not NAME_PATTERN.match(name):
        raise ValueError(f"invalid environment name '{name}'")
    return SCHEMA_PREFIX + name.lower()


def _psycopg_url(url: str) -> str:
    """Accept postgresql:// and postgres:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
