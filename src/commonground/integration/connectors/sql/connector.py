"""`SqlConnector`: any database SQLAlchemy reaches (SQLite, PostgreSQL, MySQL/MariaDB).

Tables and views are the entities, discovered by reflection; reads stream, writes go in one
transaction per batch. This class only opens connections and hands each call to the module
that does the work; every driver error leaves through `Database.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from commonground.integration.connectors.sql.connection import Database
from commonground.integration.connectors.sql.discovery import Catalog
from commonground.integration.connectors.sql.lookups import fetch_fields, resolve_references
from commonground.integration.connectors.sql.reading import read_batches
from commonground.integration.connectors.sql.settings import SqlSettings
from commonground.integration.connectors.sql.writing import BatchWriter, delete_rows
from commonground.integration.contracts import (
    Batch,
    EntityInfo,
    ReadRequest,
    WriteMode,
    WriteOutcome,
)


class SqlConnector:
    """A connection to one SQL database (one schema of it)."""

    kind: ClassVar[str] = "sql"
    Settings: ClassVar[type[SqlSettings]] = SqlSettings

    def __init__(self, settings: SqlSettings) -> None:
        self.settings = settings
        self.database = Database(settings.url.get_secret_value())
        self.catalog = Catalog(settings, self.database.engine.dialect.name)

    def entities(self) -> list[EntityInfo]:
        """Every table and view of the schema."""
        with self.database.errors(), self.database.engine.connect() as conn:
            return [spec.info for spec in self.catalog.everything(conn)]

    def describe(self, entity: str) -> EntityInfo:
        """One table or view (SchemaError when it does not exist)."""
        with self.database.errors(), self.database.engine.connect() as conn:
            return self.catalog.describe(conn, entity).info

    def read(self, request: ReadRequest) -> Iterator[Batch]:
        """Batches of records, streamed (see `reading`)."""
        with self.database.errors(), self.database.engine.connect() as conn:
            yield from read_batches(conn, self.catalog, request)

    def write(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        key: Sequence[str],
        mode: WriteMode,
        organization: str | None = None,
        stamps: bool = True,
    ) -> WriteOutcome:
        """Write one batch in one transaction (see `writing`)."""
        with self.database.errors(), self.database.engine.begin() as conn:
            spec = self.catalog.describe(conn, entity)
            writer = BatchWriter(self.database, conn, spec, key, organization)
            return writer.write(records, mode, stamps)

    def delete(
        self,
        entity: str,
        keys: Sequence[dict[str, Any]],
        organization: str | None = None,
    ) -> WriteOutcome:
        """Delete rows by key in one transaction; missing ones are UNCHANGED."""
        with self.database.errors(), self.database.engine.begin() as conn:
            return delete_rows(conn, self.catalog.describe(conn, entity), keys, organization)

    def resolve(
        self,
        entity: str,
        key: Sequence[str],
        values: Sequence[tuple[Any, ...]],
        organization: str | None = None,
    ) -> dict[tuple[Any, ...], Any]:
        """References (primary key values) of the rows with these key values."""
        with self.database.errors(), self.database.engine.connect() as conn:
            spec = self.catalog.describe(conn, entity)
            return resolve_references(conn, spec, key, values, spec.scope(organization))

    def fetch(
        self, entity: str, references: Sequence[Any], fields: Sequence[str]
    ) -> dict[Any, dict[str, Any]]:
        """Fields of the rows with these references."""
        with self.database.errors(), self.database.engine.connect() as conn:
            return fetch_fields(conn, self.catalog.describe(conn, entity), references, fields)

    def close(self) -> None:
        """Close every pooled connection."""
        self.database.close()
