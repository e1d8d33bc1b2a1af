"""The Operations app's database: its data entities as tables, company by company.

Every table gets `dataAreaId` (the legal entity, part of the key, the SQL connection's
organization field) and `ModifiedDateTime` (the cursor incremental reads follow, indexed
with the key so a read resumes with an index range). Like the ERP, the database stamps
`ModifiedDateTime` itself: it defaults to the time of the insert and, on SQLite, a trigger moves
it on every update that does not set it (in milliseconds, so that the cursor grows with every
change), so writers such as the integrator need not map it. On SQLite the stamp is text in
the very form SQLAlchemy writes a datetime (six fraction digits), on insert as on update: the
cursor is compared as text, and `...:52` sorts before `...:52.000000`, so an insert stamped in
another form would be missed by a read that resumed within the same second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

from commonground.apps.definitions import Column as ColumnDef
from commonground.apps.definitions import operations_tables

COMPANY = "dataAreaId"
CURSOR = "ModifiedDateTime"


_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


class _Now(FunctionElement[datetime]):
    """The time of the insert: CURRENT_TIMESTAMP, or on SQLite the stamp the trigger writes."""

    type = DateTime(timezone=True)
    inherit_cache = True


@compiles(_Now)
def _now(element: _Now, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(_Now, "sqlite")
def _sqlite_now(element: _Now, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({_SQLITE_NOW})"


def _type(column: ColumnDef) -> TypeEngine[Any]:
    kinds: dict[str, TypeEngine[Any]] = {
        "text": String(column.length) if column.length else Text(),
        "integer": Integer(),
        "decimal": Numeric(32, column.scale if column.scale is not None else 6),
        "boolean": Boolean(),
        "date": Date(),
        "datetime": DateTime(timezone=True),
    }
    return kinds[column.type]


def operations_metadata() -> MetaData:
    """The tables of every Operations data entity."""
    metadata = MetaData()
    for table in operations_tables():
        columns: list[Column[Any]] = [Column(COMPANY, String(4), primary_key=True)]
        for name, column in table.columns.items():
            columns.append(
                Column(
                    name,
                    _type(column),
                    primary_key=name in table.key,
                    nullable=not (column.required or name in table.key),
                )
            )
        columns.append(
            Column(CURSOR, DateTime(timezone=True), nullable=False, server_default=_Now())
        )
        Table(
            table.name,
            metadata,
            *columns,
            Index(f"ix_{table.name}_cursor", CURSOR, COMPANY, *table.key),
        )
    return metadata


def create_operations_database(url: str) -> None:
    """Create the Operations tables in an empty database (SQLAlchemy URL)."""
    engine = create_engine(url)
    try:
        metadata = operations_metadata()
        metadata.create_all(engine)
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                for table in metadata.tables:
                    conn.exec_driver_sql(_sqlite_stamps(table))
    finally:
        engine.dispose()


def _sqlite_stamps(table: str) -> str:
    """A trigger that stamps a changed row with the time of the change."""
    return (
        f'CREATE TRIGGER IF NOT EXISTS "stamp_{table}" AFTER UPDATE ON "{table}" '
        f"FOR EACH ROW WHEN NEW.{CURSOR} IS OLD.{CURSOR} BEGIN "
        f'UPDATE "{table}" SET {CURSOR} = {_SQLITE_NOW} WHERE rowid = NEW.rowid; END'
    )
