"""Batch reads and writes of entity rows in driver form: the store's hot paths.

Rows here are tuples of driver parameters in a known column order, never dicts of Python
objects: comparing a batch with what is stored is then one tuple comparison per row, and
writing it is one executemany (or COPY) per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, select, tuple_
from sqlalchemy import column as sql_column
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnClause

from commonground.model.entity import RECORD_ID
from commonground.store.database import Database
from commonground.store.prepared import (
    SMALL_IN,
    fetch_on_driver,
    in_values,
    select_in,
    update_by_id,
)

# Parameters per statement stay well under SQLite's 32,766 and PostgreSQL's 65,535.
MAX_PARAMS = 30_000
# Batches at least this large may be matched by one index range scan (see _fetch_by_range).
RANGE_MIN = 256
RANGE_FACTOR = 2


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
    if len(match) == 1:
        return fetch_by_keys(conn, table, match[0], {v[0] for v in values}, fetch)
    if not values:
        return []
    if len(values) <= SMALL_IN:
        small = select_in(table, tuple(match), tuple(fetch), len(values), conn.dialect)
        return small.rows(conn, in_values(values))
    return _fetch_by_in(conn, table, match, values, fetch)


def fetch_by_keys(
    conn: Connection, table: Table, key: str, keys: set[Any], fetch: Sequence[str]
) -> list[tuple[Any, ...]]:
    """`fetch_by_values` for one match column, its values given bare: a batch's keys need no
    1-tuples built and hashed (about a quarter of a microsecond a record)."""
    if not keys:
        return []
    if len(keys) <= SMALL_IN:
        small = select_in(table, (key,), tuple(fetch), len(keys), conn.dialect)
        return small.rows(conn, in_values([(k,) for k in keys]))
    if len(keys) >= RANGE_MIN:
        ranged = _fetch_by_range(conn, table, key, keys, fetch)
        if ranged is not None:
            return ranged
    return _fetch_by_in(conn, table, [key], [(k,) for k in keys], fetch)


def _fetch_by_in(
    conn: Connection,
    table: Table,
    match: Sequence[str],
    values: Sequence[tuple[Any, ...]],
    fetch: Sequence[str],
) -> list[tuple[Any, ...]]:
    """The rows by one IN list (of tuples for several match columns), in chunks, as the
    driver returns them: building SQLAlchemy Row objects cost more than the seeks."""
    compiled = _select_in_list(table, tuple(match), tuple(fetch), conn.dialect)
    out: list[tuple[Any, ...]] = []
    size = max(1, MAX_PARAMS // len(match))
    for chunk in _chunks(values, size):
        params = list(chunk) if len(match) > 1 else [v[0] for v in chunk]
        expanded = compiled.construct_expanded_state({"values": params})
        bound: Any = expanded.parameters
        if compiled.positional:
            bound = tuple(bound[name] for name in expanded.positiontup or ())
        out.extend(_execute_driver(conn, expanded.statement, bound))
    return out


@lru_cache(maxsize=256)
def _select_in_list(
    table: Table, match: tuple[str, ...], fetch: tuple[str, ...], dialect: Dialect
) -> SQLCompiler:
    """`_fetch_by_in`'s statement, compiled once: its IN list is one expanding parameter."""
    raw: list[ColumnClause[Any]] = [sql_column(name) for name in (*match, *fetch)]
    keys: list[ColumnClause[Any]] = [sql_column(name) for name in match]
    target = tuple_(*keys) if len(match) > 1 else keys[0]
    statement = (
        select(*raw).select_from(table).where(target.in_(bindparam("values", expanding=True)))
    )
    return statement.compile(dialect=dialect)


def _fetch_by_range(
    conn: Connection, table: Table, key: str, wanted: set[Any], fetch: Sequence[str]
) -> list[tuple[Any, ...]] | None:
    """The same rows read as one index range, when the batch's keys are dense in the table.

    A bulk load usually arrives in key order: its keys then cover a narrow slice of the
    index, and one range scan (or, on a first load, one count that finds nothing) is far
    cheaper than a seek per key. Returns None when the keys are spread out (the range holds
    more than twice as many rows as asked for) or cannot be ordered like the database does.
    """
    if not _orders_like_database(conn, wanted):
        return None
    low, high = min(wanted), max(wanted)
    column: ColumnClause[Any] = sql_column(key)
    in_range = column.between(low, high)
    # Counting stops one row past the limit: a spread batch's range may hold half the table.
    limit = RANGE_FACTOR * len(wanted) + 1
    probe = select(column).select_from(table).where(in_range).limit(limit).subquery()
    found = conn.execute(select(func.count()).select_from(probe)).scalar() or 0
    if found == 0:
        return []
    if found > RANGE_FACTOR * len(wanted):
        return None
    selected: list[ColumnClause[Any]] = [sql_column(name) for name in (key, *fetch)]
    rows = driver_rows(conn, select(*selected).select_from(table).where(in_range))
    return list(compress(rows, map(wanted.__contains__, map(itemgetter(0), rows))))


def driver_rows(conn: Connection, statement: Any) -> list[tuple[Any, ...]]:
    """Rows as the driver returns them (plain tuples), skipping SQLAlchemy's Row objects:
    for wide bulk reads that compare raw values, this halves the cost per row."""
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    return _execute_driver(conn, str(compiled), params)


def _execute_driver(conn: Connection, sql: str, params: Any) -> list[tuple[Any, ...]]:
    driver = conn.connection.driver_connection
    return fetch_on_driver(driver, sql, params, conn.dialect.loaded_dbapi.Error)


def _orders_like_database(conn: Connection, keys: set[Any]) -> bool:
    """Whole numbers order alike everywhere; text only where comparison is by code point
    (SQLite's default BINARY collation; PostgreSQL's collation may order text differently)."""
    kinds = set(map(type, keys))
    if kinds == {int}:
        return True
    return kinds == {str} and conn.dialect.name == "sqlite"


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
    prepared = update_by_id(table, tuple(columns), conn.dialect)
    names = [f"_p{i}" for i in range(len(columns))] + ["_rid"]
    if prepared.order is not None:
        pick = itemgetter(*[names.index(n) for n in prepared.order])
        params: list[Any] = list(map(pick, rows))
    else:
        params = [dict(zip(names, row, strict=True)) for row in rows]
    conn.exec_driver_sql(prepared.sql, params)


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
