"""Batch reads and writes of entity rows in driver form: the store's hot paths.

Rows here are tuples of driver parameters in a known column order, never dicts of Python
objects: comparing a batch with what is stored is then one tuple comparison per row, and
writing it is one executemany (or COPY) per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, select, tuple_, update
from sqlalchemy import column as sql_column
from sqlalchemy.sql.expression import ColumnClause

from commonground.model.entity import RECORD_ID
from commonground.store.database import Database

# Parameters per statement stay well under SQLite's 32,766 and PostgreSQL's 65,535.
MAX_PARAMS = 30_000


def column_order(table: Table, columns: Iterable[str]) -> list[str]:
    """The given columns in table order: the order compiled INSERTs bind their parameters."""
    wanted = set(columns)
    return [c.name for c in table.columns if c.name in wanted]


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def fetch_by_values(
    conn: Connection,
    table: Table,
    match: Sequence[str],
    values: Sequence[tuple[Any, ...]],
    fetch: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Raw rows (driver values) whose `match` columns equal one of `values`.

    Returns tuples of the `match` columns followed by the `fetch` columns. The columns are
    selected untyped, so rows come back exactly as the driver gives them (comparable with the
    driver parameters a batch was encoded into); the IN list is one expanding parameter, so
    the statement compiles once and is cached. Chunks keep within parameter limits.
    """
    if not values:
        return []
    raw: list[ColumnClause[Any]] = [sql_column(name) for name in (*match, *fetch)]
    keys: list[ColumnClause[Any]] = [sql_column(name) for name in match]
    target = tuple_(*keys) if len(match) > 1 else keys[0]
    statement = (
        select(*raw).select_from(table).where(target.in_(bindparam("values", expanding=True)))
    )
    out: list[tuple[Any, ...]] = []
    size = max(1, MAX_PARAMS // len(match))
    for chunk in _chunks(values, size):
        params = list(chunk) if len(match) > 1 else [v[0] for v in chunk]
        out.extend(tuple(row) for row in conn.execute(statement, {"values": params}))
    return out


def insert_rows(
    db: Database,
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert rows given in `columns` order (which must be table order, see column_order)."""
    db.dialect.insert_many(conn, table, columns, rows)


def update_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Update rows: each row holds the `columns` values followed by the RecordId."""
    if not rows:
        return
    statement = (
        update(table)
        .where(table.c[RECORD_ID] == bindparam("_rid"))
        .values({c: bindparam(f"_p{i}") for i, c in enumerate(columns)})
    )
    compiled = statement.compile(dialect=conn.dialect)
    names = [f"_p{i}" for i in range(len(columns))] + ["_rid"]
    if compiled.positional:
        order = [names.index(n) for n in compiled.positiontup or []]
        params: list[Any] = [tuple(row[i] for i in order) for row in rows]
    else:
        params = [dict(zip(names, row, strict=True)) for row in rows]
    conn.exec_driver_sql(str(compiled), params)


def delete_rows(conn: Connection, table: Table, record_ids: Sequence[int]) -> None:
    """Delete rows by RecordId."""
    for chunk in _chunks(record_ids, MAX_PARAMS):
        conn.execute(delete(table).where(table.c[RECORD_ID].in_(list(chunk))))


def referencing_ids(
    conn: Connection, table: Table, column: str, targets: Sequence[int]
) -> list[tuple[int, int]]:
    """(RecordId, referenced id) of rows whose lookup `column` points at one of `targets`."""
    out: list[tuple[int, int]] = []
    for chunk in _chunks(targets, MAX_PARAMS):
        result = conn.execute(
            select(table.c[RECORD_ID], table.c[column]).where(table.c[column].in_(list(chunk)))
        )
        out.extend((int(r[0]), int(r[1])) for r in result)
    return out


def existing_ids(conn: Connection, table: Table, record_ids: Sequence[int]) -> set[int]:
    """The subset of `record_ids` that exist in the table."""
    found: set[int] = set()
    for chunk in _chunks(record_ids, MAX_PARAMS):
        result = conn.execute(select(table.c[RECORD_ID]).where(table.c[RECORD_ID].in_(list(chunk))))
        found.update(int(r[0]) for r in result)
    return found
