"""What the store needs from a database dialect: the one place dialects differ.

Everything else in the store is one code path over SQLAlchemy Core; a dialect supplies column
types, driver parameter conversions, the writer lock, bulk insert and the way environments are
laid out (a file each on SQLite, a schema each on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.types import TypeEngine

from commonground.model.types import Storage

ParamConverter = Callable[[Any], Any]


class StoreDialect(Protocol):
    """The dialect-specific operations of the store."""

    name: str
    # The isolation level that makes a read transaction one snapshot (None: it already is).
    read_isolation: str | None
    # Whether compiled SELECTs may run on the driver's own cursor (positional parameters,
    # the column types' processors applied by the store), skipping SQLAlchemy's result rows.
    driver_reads: bool

    def column_type(self, storage: Storage, scale: int) -> TypeEngine[Any]:
        """The column type for values of a storage family."""

    def param_converter(self, storage: Storage) -> ParamConverter | None:
        """A function turning a canonical value into a driver parameter (None: none needed)."""

    def text_position(self, haystack: Any, needle: Any) -> Any:
        """A SQL expression: the 1-based position of `needle` in `haystack`, 0 when absent."""

    def lock_writers(self, conn: Connection, sequences: Table) -> None:
        """Serialise writers of one environment for the rest of the transaction."""

    def insert_many(
        self, conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows in the fastest way the database offers."""


class EnvironmentLocator(Protocol):
    """Where environments live: one engine and optional schema per environment."""

    @property
    def dialect(self) -> StoreDialect:
        """The store dialect of these environments' database."""

    def names(self) -> list[str]:
        """The names of the environments that exist."""

    def exists(self, name: str) -> bool:
        """Whether an environment of this name exists (case-insensitive)."""

    def open(self, name: str) -> tuple[Engine, str | None]:
        """The engine and schema of an existing environment."""

    def create(self, name: str) -> tuple[Engine, str | None]:
        """Make room for a new, empty environment and return its engine and schema."""

    def drop(self, name: str) -> None:
        """Delete an environment and all its data."""

    def dispose(self) -> None:
        """Release every connection this locator holds."""
