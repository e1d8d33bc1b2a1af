"""Schema: install an environment, add entities and fields, change field types, drop.

Each change has a `*_sql()` twin that returns the DDL it would run, so previews and dry runs
show exactly what will happen. Changes run inside the caller's write transaction (both
SQLite and PostgreSQL have transactional DDL), so a failed change leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as table_clause
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex, DropTable
from sqlalchemy.sql import ddl as sql_ddl
from sqlalchemy.sql.ddl import ExecutableDDLElement

from commonground.errors import SchemaChangeError
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.picklist import Picklist
from commonground.model.types import FieldType
from commonground.store.database import (
    CHANGE_SEQUENCE,
    Database,
    autonumber_sequence,
    record_sequence,
)
from commonground.store.tables import field_columns, identifier


def _ddl(statement: str) -> ExecutableDDLElement:
    """A literal DDL statement (SQLAlchemy's DDL() carries no type annotations)."""
    element: ExecutableDDLElement = sql_ddl.DDL(statement)  # type: ignore[no-untyped-call]
    return element


def _render(db: Database, conn: Connection, elements: list[ExecutableDDLElement]) -> list[str]:
    return [str(e.compile(dialect=conn.dialect)).strip() for e in elements]


def _create_table_ddl(table: Table) -> list[ExecutableDDLElement]:
    return [
        CreateTable(table),
        *(CreateIndex(i) for i in sorted(table.indexes, key=lambda i: str(i.name))),
    ]


def install(db: Database, conn: Connection, name: str, settings: str, model: DataModel) -> None:
    """Create the system tables and every entity table of a new environment."""
    for table in db.system.values():
        for element in _create_table_ddl(table):
            conn.execute(element)
    conn.execute(insert(db.system["environment"]).values(name=name, settings=settings))
    conn.execute(insert(db.system["sequences"]).values(name=CHANGE_SEQUENCE, value=0))
    for picklist in model.picklists:
        save_picklist(db, conn, picklist)
    for entity in model.entities:
        add_entity(db, conn, entity)


def save_picklist(db: Database, conn: Connection, picklist: Picklist) -> None:
    """Store a picklist definition (insert or replace)."""
    table = db.system["picklists"]
    conn.execute(delete(table).where(table.c.name == picklist.name))
    conn.execute(insert(table).values(name=picklist.name, definition=picklist.model_dump_json()))


def save_entity(db: Database, conn: Connection, entity: Entity) -> None:
    """Store an entity definition (insert or replace)."""
    table = db.system["entities"]
    conn.execute(delete(table).where(table.c.name == entity.name))
    conn.execute(insert(table).values(name=entity.name, definition=entity.model_dump_json()))


def add_entity_sql(db: Database, conn: Connection, entity: Entity) -> list[str]:
    """The DDL that `add_entity` runs."""
    return _render(db, conn, _create_table_ddl(db.bind_entity(entity)))


def add_entity(db: Database, conn: Connection, entity: Entity) -> None:
    """Create an entity's table and its sequences, and store its definition."""
    for element in _create_table_ddl(db.bind_entity(entity)):
        conn.execute(element)
    sequences = db.system["sequences"]
    names = [record_sequence(entity.name)]
    names += [
        autonumber_sequence(entity.name, f.name)
        for f in entity.fields
        if f.type is FieldType.AUTONUMBER
    ]
    for name in names:
        conn.execute(insert(sequences).values(name=name, value=0))
    save_entity(db, conn, entity)


def add_field_sql(db: Database, conn: Connection, entity: Entity, field: Field) -> list[str]:
    """The DDL that `add_field` runs."""
    return _render(db, conn, _add_field_ddl(db, conn, entity, field))


def _add_field_ddl(
    db: Database, conn: Connection, entity: Entity, field: Field
) -> list[ExecutableDDLElement]:
    table = db.table(entity.name)
    preparer = conn.dialect.identifier_preparer
    elements: list[ExecutableDDLElement] = []
    for column in field_columns(field, db.dialect):
        column_type = column.type.compile(dialect=conn.dialect)
        elements.append(
            _ddl(
                f"ALTER TABLE {preparer.format_table(table)} "
                f"ADD COLUMN {preparer.quote(column.name)} {column_type}"
            )
        )
    return elements


def add_field(db: Database, conn: Connection, old: Entity, new: Entity, field: Field) -> None:
    """Add a field's columns, then rebuild the table object and create the new indexes."""
    for element in _add_field_ddl(db, conn, old, field):
        conn.execute(element)
    existing = {i.name for i in db.table(old.name).indexes}
    table = db.bind_entity(new)
    for index in table.indexes:  # the field's own indexes and any new key's
        if index.name not in existing:
            conn.execute(CreateIndex(index))
    if field.type is FieldType.AUTONUMBER:
        conn.execute(
            insert(db.system["sequences"]).values(
                name=autonumber_sequence(new.name, field.name), value=0
            )
        )
    save_entity(db, conn, new)


def drop_entity(db: Database, conn: Connection, entity: Entity) -> None:
    """Drop an entity's table, definition, sequences and tombstones."""
    conn.execute(DropTable(db.table(entity.name)))
    conn.execute(delete(db.system["entities"]).where(db.system["entities"].c.name == entity.name))
    sequences = db.system["sequences"]
    conn.execute(
        delete(sequences).where(
            sequences.c.name.in_(
                [record_sequence(entity.name)]
                + [autonumber_sequence(entity.name, f.name) for f in entity.fields]
            )
        )
    )
    tombstones = db.system["tombstones"]
    conn.execute(delete(tombstones).where(tombstones.c.entity == entity.name))
    db.unbind_entity(entity.name)


def set_environment_settings(db: Database, conn: Connection, settings: str) -> None:
    """Replace the environment's settings document."""
    conn.execute(update(db.system["environment"]).values(settings=settings))


def change_field_type(
    db: Database,
    conn: Connection,
    new: Entity,
    field: Field,
    convert: Callable[[Any], Any],
) -> None:
    """Give a scalar field a new type, converting every stored value with `convert`.

    One path for both dialects: a new column is filled from the old one in batches, the old
    column (and its indexes) dropped, the new one renamed into place. `convert` raises
    ValueError for a value that does not fit; the change then fails naming the record.
    """
    old_table = db.table(new.name)
    preparer = conn.dialect.identifier_preparer
    table_sql = preparer.format_table(old_table)
    temp = f"{field.name}__new"
    [column] = field_columns(field, db.dialect)
    column_type = column.type.compile(dialect=conn.dialect)
    conn.execute(_ddl(f"ALTER TABLE {table_sql} ADD COLUMN {preparer.quote(temp)} {column_type}"))
    source = old_table.c[field.name]
    record_id = old_table.c.RecordId
    rows = conn.execute(select(record_id, source).where(source.is_not(None))).all()
    updates = []
    for rid, value in rows:
        try:
            updates.append({"rid": rid, "value": convert(value)})
        except ValueError as exc:
            raise SchemaChangeError(
                f"{new.name}.{field.name}: record {rid} holds {value!r}, which does not fit "
                f"{field.type}: {exc}"
            ) from exc
    if updates:
        target = table_clause(
            # untyped: `convert` already returns driver parameters
            old_table.name,
            sql_column("RecordId"),
            sql_column(temp),
            schema=db.schema,
        )
        conn.execute(
            update(target)
            .where(target.c.RecordId == bindparam("rid"))
            .values({temp: bindparam("value")}),
            updates,
        )
    for index in list(old_table.indexes):
        if field.name in index.columns:
            conn.execute(DropIndex(index))
    conn.execute(_ddl(f"ALTER TABLE {table_sql} DROP COLUMN {preparer.quote(field.name)}"))
    renamed = f"RENAME COLUMN {preparer.quote(temp)} TO {preparer.quote(field.name)}"
    conn.execute(_ddl(f"ALTER TABLE {table_sql} {renamed}"))
    table = db.bind_entity(new)
    for index in table.indexes:
        if field.name in index.columns:
            conn.execute(CreateIndex(index))
    save_entity(db, conn, new)


def add_key(db: Database, conn: Connection, old: Entity, new: Entity) -> None:
    """Create the unique index of a new alternate key; duplicates in the data refuse it."""
    table = db.bind_entity(new)
    added = {identifier("ak", new.name, name) for name in new.keys if name not in old.keys}
    for index in [i for i in table.indexes if i.name in added]:
        columns = [c.name for c in index.columns]
        counted = select(*[table.c[c] for c in columns]).group_by(*[table.c[c] for c in columns])
        clash = conn.execute(counted.having(func.count() > 1).limit(1)).first()
        if clash is not None:
            db.bind_entity(old)
            values = ", ".join(f"{c}={v!r}" for c, v in zip(columns, clash, strict=True))
            raise SchemaChangeError(
                f"{new.name}: key {index.name} cannot be added: several records have {values}"
            )
        conn.execute(CreateIndex(index))
    save_entity(db, conn, new)
