"""Deletes: restricted references, cascades through compositions, tombstones.

A delete first gathers the whole set of rows it will remove (the records asked for plus,
recursively, the lines of every composition below them), then refuses if any row outside
that set still references one of them through an association (restricted delete). Every
removed row gets a tombstone with its business key, so change tracking reports cascaded
deletions too.

The caller needs Delete on the entity, and each record must be inside the caller's delete
policies; lines that go with their header need Delete on the line entity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from commonground.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ReferentialIntegrityError,
)
from commonground.model.entity import RECORD_ID, VERSION
from commonground.model.field import RelationshipKind
from commonground.security.permissions import Operation
from commonground.service.context import WriteContext
from commonground.store import records as rows_store
from commonground.store.changes import add_tombstones
from commonground.store.database import CHANGE_SEQUENCE


def delete_records(
    ctx: WriteContext,
    entity_name: str,
    record_ids: Sequence[int],
    expected_versions: Sequence[int | None] | None = None,
) -> int:
    """Delete records (and their composed lines); returns how many rows were removed."""
    entity = ctx.model.entity(entity_name)
    condition = ctx.access.condition(entity.name, Operation.DELETE)
    table = ctx.db.table(entity.name)
    statement = select(table.c[RECORD_ID], table.c[VERSION]).where(
        table.c[RECORD_ID].in_(list(record_ids))
    )
    found = {int(rid): int(version) for rid, version in ctx.conn.execute(statement)}
    for position, rid in enumerate(record_ids):
        if rid not in found:
            raise NotFoundError(f"{entity.name} record", str(rid))
        expected = expected_versions[position] if expected_versions else None
        if expected is not None and int(found[rid]) != expected:
            raise ConflictError(entity.name, rid, expected, int(found[rid]))
    if condition is not None:
        admitted = ctx.reader.within(ctx.conn, entity.name, list(found), condition)
        outside = next((rid for rid in record_ids if rid not in admitted), None)
        if outside is not None:
            reason = f"record {outside} is outside the caller's delete policy"
            raise ForbiddenError(str(Operation.DELETE), entity.name, reason)
    doomed = _with_lines(ctx, entity.name, set(record_ids))
    for name, ids in doomed.items():
        if ids:
            ctx.access.require(name, Operation.DELETE)
    _check_restricted(ctx, doomed)
    total = sum(len(ids) for ids in doomed.values())
    position = ctx.db.allocate(ctx.conn, CHANGE_SEQUENCE, total)
    when = datetime.now(UTC).isoformat()
    for name, ids in doomed.items():
        ordered = sorted(ids)
        add_tombstones(ctx.db, ctx.conn, name, _keys(ctx, name, ordered), position, when, ctx.user)
        rows_store.delete_rows(ctx.conn, ctx.db.table(name), ordered)
        position += len(ordered)
    return total


def _with_lines(ctx: WriteContext, entity: str, ids: set[int]) -> dict[str, set[int]]:
    """The records to delete and, recursively, the lines of their compositions."""
    doomed: dict[str, set[int]] = {entity: set(ids)}
    frontier = [(entity, ids)]
    while frontier:
        parent, parent_ids = frontier.pop()
        for relation in ctx.model.children_of(parent):
            if relation.kind is not RelationshipKind.COMPOSITION:
                continue
            child_table = ctx.db.table(relation.child)
            lines = rows_store.referencing_ids(
                ctx.conn, child_table, relation.field, sorted(parent_ids)
            )
            new = {rid for rid, _ in lines} - doomed.get(relation.child, set())
            if new:
                doomed.setdefault(relation.child, set()).update(new)
                frontier.append((relation.child, new))
    return doomed


def _check_restricted(ctx: WriteContext, doomed: dict[str, set[int]]) -> None:
    """Refuse when a row that stays references a row that goes."""
    for parent, ids in doomed.items():
        for relation in ctx.model.children_of(parent):
            child_table = ctx.db.table(relation.child)
            leaving = doomed.get(relation.child, set())
            for child_id, target in rows_store.referencing_ids(
                ctx.conn, child_table, relation.field, sorted(ids)
            ):
                if child_id not in leaving:
                    raise ReferentialIntegrityError(
                        parent, target, f"{relation.child} record {child_id}", relation.field
                    )


def _keys(
    ctx: WriteContext, entity_name: str, ids: list[int]
) -> list[tuple[int, dict[str, Any] | None]]:
    """(RecordId, business key values) of rows about to be deleted, for their tombstones."""
    entity = ctx.model.entity(entity_name)
    key = entity.primary_key
    if not key:
        return [(rid, None) for rid in ids]
    table = ctx.db.table(entity.name)
    rows = rows_store.fetch_by_values(ctx.conn, table, [RECORD_ID], [(i,) for i in ids], list(key))
    by_id = {row[0]: dict(zip(key, row[1:], strict=True)) for row in rows}
    return [(rid, by_id.get(rid)) for rid in ids]
