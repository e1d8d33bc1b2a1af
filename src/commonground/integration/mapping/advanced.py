"""The advanced query: one DuckDB SELECT over a batch, exposed as the table `source`.

It stands in for the original's Power Query step (data-integrator.md section 14): derived and
conditional columns, filters, de-duplication within the batch. The query's output columns are
the mapping's sources, so validation describes them by running the query on an empty table of
the source entity's schema (`output_fields`).

Only a single SELECT (a WITH ... SELECT included) is accepted, and each query runs on its own
cursor of one in-memory database whose file and network access is switched off and locked, so
a query cannot read or write anything but its batch (a cursor sees only the batch it
registered). Any DuckDB error becomes a QueryError quoting the query.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import duckdb
import pyarrow as pa

from commonground.errors import DefinitionError
from commonground.integration.arrow_types import ARROW_OF_KIND
from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind

TABLE = "source"
_SHOWN = 200  # characters of the query quoted in an error

# GUIDs are not listed: they pass through DuckDB as text and come out as text fields.
_ARROW: dict[ValueKind, pa.DataType] = {
    kind: t for kind, t in ARROW_OF_KIND.items() if kind is not ValueKind.GUID
}

_KINDS: dict[str, ValueKind] = {
    "varchar": ValueKind.TEXT,
    "tinyint": ValueKind.INTEGER,
    "smallint": ValueKind.INTEGER,
    "integer": ValueKind.INTEGER,
    "bigint": ValueKind.INTEGER,
    "hugeint": ValueKind.INTEGER,
    "utinyint": ValueKind.INTEGER,
    "usmallint": ValueKind.INTEGER,
    "uinteger": ValueKind.INTEGER,
    "ubigint": ValueKind.INTEGER,
    "uhugeint": ValueKind.INTEGER,
    "decimal": ValueKind.DECIMAL,
    "float": ValueKind.FLOAT,
    "double": ValueKind.FLOAT,
    "boolean": ValueKind.BOOLEAN,
    "date": ValueKind.DATE,
    "timestamp": ValueKind.DATETIME,
    "timestamp with time zone": ValueKind.DATETIME,
    "timestamp_ms": ValueKind.DATETIME,
    "timestamp_ns": ValueKind.DATETIME,
    "timestamp_s": ValueKind.DATETIME,
    "uuid": ValueKind.GUID,
    "struct": ValueKind.STRUCTURED,
    "map": ValueKind.STRUCTURED,
}


class QueryError(DefinitionError):
    """An advanced query is not a single SELECT, or DuckDB rejected it."""

    code = "InvalidQuery"

    def __init__(self, query: str, problem: str, task: str | None = None) -> None:
        self.query = query
        self.problem = problem
        shown = " ".join(query.split())
        if len(shown) > _SHOWN:
            shown = shown[: _SHOWN - 3] + "..."
        owner = f" of task {task}" if task else ""
        super().__init__(f"advanced query{owner} failed: {problem} (query: {shown})")


def check_query(query: str, task: str | None = None) -> None:
    """QueryError unless the text is exactly one SELECT statement."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(query, str(exc), task) from None
    if len(statements) != 1:
        raise QueryError(query, f"expected one SELECT statement, found {len(statements)}", task)
    if statements[0].type != duckdb.StatementType.SELECT:
        kind = statements[0].type.name
        raise QueryError(query, f"only a SELECT is allowed, not {kind}", task)


def run_advanced_query(
    query: str, records: Sequence[dict[str, Any]], task: str | None = None
) -> list[dict[str, Any]]:
    """The query's result over the batch, as records (an empty batch gives no records)."""
    if not records:
        return []
    return _run(query, _table(records), task)


def output_fields(query: str, source: EntityInfo, task: str | None = None) -> tuple[FieldInfo, ...]:
    """The query's output columns: a source field passed through keeps its description."""
    schema = pa.schema([pa.field(f.name, _ARROW.get(f.kind, pa.string())) for f in source.fields])
    table = schema.empty_table() if source.fields else pa.table({"_": pa.array([], pa.string())})
    with _connection(query, table, task) as connection:
        try:
            relation = connection.sql(query)
            described = list(zip(relation.columns, relation.types, strict=True))
        except duckdb.Error as exc:
            raise QueryError(query, str(exc).strip(), task) from None
    fields = []
    for name, kind in described:
        value_kind = _KINDS.get(str(kind.id), ValueKind.TEXT)
        known = source.field(name)
        if known is not None and value_kind is (
            known.kind if known.kind in _ARROW else ValueKind.TEXT
        ):
            fields.append(known)
        else:
            fields.append(FieldInfo(name, value_kind))
    return tuple(fields)


def _passed_kind(kind: ValueKind) -> ValueKind:
    """The kind DuckDB reports for a source column of this kind on the empty table."""
    return kind if kind in _ARROW else ValueKind.TEXT


def query_entity(query: str, source: EntityInfo, task: str | None = None) -> EntityInfo:
    """The source entity as the mapping sees it after the query."""
    return replace(source, fields=output_fields(query, source, task))


@cache
def _database() -> duckdb.DuckDBPyConnection:
    """One in-memory database without file or network access, its settings locked."""
    return duckdb.connect(config={"enable_external_access": False, "lock_configuration": True})


@contextmanager
def _connection(
    query: str, table: pa.Table, task: str | None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private connection (a cursor: its registered batch is visible to it alone)."""
    check_query(query, task)
    connection = _database().cursor()
    try:
        connection.register(TABLE, table)
        yield connection
    finally:
        connection.close()


def _run(query: str, table: pa.Table, task: str | None) -> list[dict[str, Any]]:
    with _connection(query, table, task) as connection:
        try:
            relation = connection.sql(query)
            columns = list(relation.columns)
            rows = relation.fetchall()
        except duckdb.Error as exc:
            raise QueryError(query, str(exc).strip(), task) from None
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _table(records: Sequence[dict[str, Any]]) -> pa.Table:
    names = list(dict.fromkeys(name for record in records for name in record))
    return pa.table({name: _array([r.get(name) for r in records]) for name in names})


def _array(values: list[Any]) -> pa.Array:
    """An arrow column; values arrow cannot type together (mixed, UUIDs) become text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([_text(v) for v in values], pa.string())


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
