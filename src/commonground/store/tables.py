"""Metadata -> SQLAlchemy tables: the entity tables and the store's own system tables.

Referential integrity, cascades and uniqueness are checked by the service layer under the
environment's writer lock (writers are serialised, so the checks cannot race). The database
holds the unique indexes as a second line of defence and indexes every lookup column so that
restricted-delete checks and related-record reads stay cheap; it declares no foreign keys,
which keeps schema evolution a matter of ADD COLUMN on both dialects.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.model.field import Field
from commonground.model.types import Storage
from commonground.store.dialects.base import StoreDialect

MAX_IDENTIFIER = 60


def identifier(*parts: str) -> str:
    """An index name from its parts, shortened with a hash when too long for PostgreSQL."""
    name = "_".join(parts)
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def system_tables(metadata: MetaData) -> dict[str, Table]:
    """The tables every environment has besides its entity tables."""
    return {
        "environment": Table(
            "_environment",
            metadata,
            Column("name", String(64), primary_key=True),
            Column("settings", Text, nullable=False),
        ),
        "entities": Table(
            "_entities",
            metadata,
            Column("name", String(64), primary_key=True),
            Column("definition", Text, nullable=False),
        ),
        "picklists": Table(
            "_picklists",
            metadata,
            Column("name", String(64), primary_key=True),
            Column("definition", Text, nullable=False),
        ),
        "sequences": Table(
            "_sequences",
            metadata,
            Column("name", String(200), primary_key=True),
            Column("value", BigInteger, nullable=False),
        ),
        "tombstones": Table(
            "_tombstones",
            metadata,
            Column("position", BigInteger, primary_key=True, autoincrement=False),
            Column("entity", String(64), nullable=False),
            Column("record_id", BigInteger, nullable=False),
            Column("record_key", Text),
            Column("deleted_on", String(32), nullable=False),
            Column("deleted_by", String(128)),
            Index("ix__tombstones_entity_position", "entity", "position"),
        ),
        "security": Table(
            "_security",
            metadata,
            Column("kind", String(32), primary_key=True),
            Column("name", String(100), primary_key=True),
            Column("definition", Text, nullable=False),
        ),
        "role_members": Table(
            "_role_members",
            metadata,
            Column("role", String(100), primary_key=True),
            Column("kind", String(16), primary_key=True),
            Column("name", String(200), primary_key=True),
        ),
    }


def field_columns(field: Field, dialect: StoreDialect) -> list[Column[object]]:
    """The columns of one field (several for a compound field)."""
    if field.is_compound:
        return [
            column
            for part in field.parts
            for column in field_columns(field.part_field(part), dialect)
        ]
    nullable = field.name != RECORD_ID
    column_type = dialect.column_type(field.storage, field.scale)
    if field.name == RECORD_ID:
        # INTEGER (not BIGINT) makes the key SQLite's rowid itself: no second index to keep.
        key_type = BigInteger().with_variant(Integer(), "sqlite")
        return [Column(field.name, key_type, primary_key=True, autoincrement=False)]
    return [Column(field.name, column_type, nullable=nullable)]


def field_indexes(entity: Entity, field: Field, table: Table) -> list[Index]:
    """Indexes one field needs: unique fields, lookups and the change position.

    Lookup indexes are partial (non-null values only): they serve restricted-delete checks and
    related-record reads, which never look for nulls, and cost nothing for the many rows
    whose lookups are empty. Every index is paid for on each insert, so there are no others.
    """
    if field.is_compound or field.name == RECORD_ID:
        return []
    column = table.c[field.name]
    if field.unique:
        return [Index(identifier("uq", entity.name, field.name), column, unique=True)]
    if field.storage is Storage.LOOKUP:
        name = identifier("ix", entity.name, field.name)
        condition = column.is_not(None)
        return [Index(name, column, sqlite_where=condition, postgresql_where=condition)]
    if field.name == VERSION:
        return [Index(identifier("ix", entity.name, field.name), column)]
    return []


def key_indexes(entity: Entity, table: Table) -> list[Index]:
    """A unique index per alternate key, unless a unique field index already covers it."""
    out = []
    for key_name, fields in entity.keys.items():
        if len(fields) == 1:
            single = entity.field_or_none(fields[0])
            if single is not None and single.unique:
                continue
        columns = [table.c[entity.field_or_none(f).name] for f in fields]  # type: ignore[union-attr]
        out.append(Index(identifier("ak", entity.name, key_name), *columns, unique=True))
    return out


def entity_table(entity: Entity, metadata: MetaData, dialect: StoreDialect) -> Table:
    """The table of one entity, with its indexes attached."""
    columns = [c for f in entity.all_fields for c in field_columns(f, dialect)]
    table = Table(entity.name, metadata, *columns)
    for field in entity.all_fields:
        field_indexes(entity, field, table)
    key_indexes(entity, table)
    return table
