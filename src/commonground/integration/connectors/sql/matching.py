"""Finding rows by key values, many at a time: the IN queries writes, deletes, lookups share.

Key values come in two forms: as the column stores them (`stored_form`, bound into the
query) and as they read back (`read_form`), which is what returned rows are matched on, so a
key given as the text '42' finds the integer 42 and a naive datetime finds its UTC instant.
Large inputs are split into chunks that stay under every database's parameter limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, and_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from commonground.integration.connectors.sql.discovery import TableSpec
from commonground.integration.connectors.sql.values import ColumnValues

CHUNK = 500  # key tuples per IN list
T = TypeVar("T")


def chunked(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """The items in slices of at most CHUNK."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def stored_form(key: Sequence[ColumnValues], values: Sequence[Any]) -> tuple[Any, ...]:
    """Key values as the columns store them (ValueError when one does not fit)."""
    return tuple(column.to_column(value) for column, value in zip(key, values, strict=True))


def read_form(key: Sequence[ColumnValues], stored: Sequence[Any]) -> tuple[Any, ...]:
    """Stored key values as they read back: the form rows and given keys are matched in."""
    return tuple(column.from_column(value) for column, value in zip(key, stored, strict=True))


def key_in(
    key: Sequence[ColumnElement[Any]], stored: Sequence[tuple[Any, ...]]
) -> ColumnElement[bool]:
    """`key IN (...)`: a plain IN for one column, a tuple IN for several.

    A tuple IN comes with a plain IN on the first column: SQLite uses no index for a tuple
    IN, so without it every query would scan the table (work growing with the table, for
    every chunk); with it, the primary key's index is searched by the first column.
    """
    if len(key) == 1:
        return key[0].in_([values[0] for values in stored])
    firsts = list(dict.fromkeys(values[0] for values in stored))
    return and_(key[0].in_(firsts), tuple_(*key).in_(stored))


def full_rows(
    conn: Connection,
    spec: TableSpec,
    key: Sequence[ColumnValues],
    stored: Sequence[tuple[Any, ...]],
    scope: Sequence[ColumnElement[bool]] = (),
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every supported column of the rows with these keys, by the key's read form."""
    columns = list(spec.columns.values())
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for chunk in chunked(list(dict.fromkeys(stored))):
        condition = key_in([c.column for c in key], chunk)
        statement = select(*[c.column for c in columns]).where(condition, *scope)
        for row in conn.execute(statement):
            full = {c.name: c.from_column(row[i]) for i, c in enumerate(columns)}
            found[tuple(full[c.name] for c in key)] = full
    return found


def selected_rows(
    conn: Connection,
    key: Sequence[ColumnElement[Any]],
    stored: Sequence[tuple[Any, ...]],
    columns: Sequence[ColumnElement[Any]],
    scope: Sequence[ColumnElement[bool]] = (),
) -> Iterator[Row[Any]]:
    """The given columns of the rows whose `key` expressions hold these values."""
    for chunk in chunked(list(dict.fromkeys(stored))):
        yield from conn.execute(select(*columns).where(key_in(key, chunk), *scope))
