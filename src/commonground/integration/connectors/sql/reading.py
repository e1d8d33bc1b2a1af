"""Reading a table in batches: one streamed query, full or resumed after a watermark.

A table with a cursor column is always read in (cursor, key...) order, so that the watermark
after any batch (the last row's cursor and key values) is meaningful, even on a first, full
read. Resuming compares (cursor, key...) as a tuple, written out as `c > :c OR (c = :c AND
(k > :k ...))` because row-value comparisons are not equally supported by every database:
rows sharing the last cursor value but not yet read still come, the last row read does not
come again. Rows whose cursor is NULL sort first, so that a watermark taken among them is
meaningful too. A table without a cursor is read in key order and its watermark is `{}`.
What the cursor must guarantee: a change made after a read gets a cursor value at or after
the last one read, and a row given exactly that value gets a larger key (new rows of an
increasing key do). A row changed to an equal cursor value with a smaller key is not seen
until its next change: cursors should grow with every change (a sequence, a fine timestamp).

The query is executed once with `yield_per`, which streams rows from a server-side cursor
where the driver has one: memory stays flat whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, FromClause, Select, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from commonground.integration.connectors.shared import fingerprint
from commonground.integration.connectors.sql.discovery import Catalog, TableSpec
from commonground.integration.connectors.sql.filters import compile_filter
from commonground.integration.connectors.sql.values import CONVERTED_KINDS, ColumnValues, to_json
from commonground.integration.contracts import Batch, ReadRequest, SchemaError, Watermark
from commonground.integration.records import RecordMaker


@dataclass(frozen=True)
class _Output:
    """One field of the records a read returns: a column of the table or of a lookup's row."""

    name: str
    values: ColumnValues
    position: int  # in the selected row


def read_batches(conn: Connection, catalog: Catalog, request: ReadRequest) -> Iterator[Batch]:
    """The batches of one read (see the module docstring for order and watermarks)."""
    spec = catalog.describe(conn, request.entity)
    columns = list(spec.columns.values())
    source, outputs, joined = _outputs(conn, catalog, spec, request.fields)
    statement = select(*[c.column for c in columns], *joined).select_from(source)
    statement = _restricted(statement, spec, request)
    order = _order(spec)
    resume = _resume_values(order, request.since)
    if resume is not None:
        statement = statement.where(_after(list(zip(order, resume, strict=True))))
    nulls_possible = resume is None or resume[0] is None
    statement = statement.order_by(*_sort_terms(order, nulls_possible))
    positions = [columns.index(c) for c in order] if spec.cursor else []
    shape = _RecordShape(columns, outputs)
    for rows in _partitions(conn, statement, request.batch_size):
        records = shape.records(rows)
        stamps = shape.stamps(rows) if request.stamps else None
        last = rows[-1]
        watermark: Watermark = {
            columns[i].name: to_json(columns[i].from_column(last[i])) for i in positions
        }
        yield Batch(records=records, watermark=watermark, stamps=stamps)


def _partitions(conn: Connection, statement: Select[Any], size: int) -> Iterator[Sequence[Any]]:
    """The selected rows, `size` at a time, each value processed as its column's type says.

    Elsewhere through SQLAlchemy's streamed result (a server-side cursor where the driver
    has one). SQLite has none: its cursor steps through the rows as they are fetched
    anyway, so they are taken from it as the driver's tuples, and the few columns that need
    processing (SQLite keeps dates, datetimes and exact decimals as text or floats) are
    processed a column at a time; SQLAlchemy's row objects cost a fifth of reading a table.
    The result is closed explicitly, also when the caller stops early: a server-side cursor
    left open would hold its transaction until garbage collection.
    """
    if conn.dialect.name != "sqlite":
        with conn.execution_options(yield_per=size).execute(statement) as result:
            yield from result.partitions()
        return
    dialect = conn.dialect
    processors = [
        (i, found)
        for i, column in enumerate(statement.selected_columns)
        if (found := column.type.dialect_impl(dialect).result_processor(dialect, None))
    ]
    with conn.execute(statement) as result:
        cursor = result.cursor
        while rows := cursor.fetchmany(size):
            if processors:
                values = list(zip(*rows, strict=True))
                for i, process in processors:
                    values[i] = tuple(map(process, values[i]))
                rows = list(zip(*values, strict=True))
            yield rows


class _RecordShape:
    """Turns selected rows into records and stamps, converting only columns that need it.

    Most columns come from the driver already as the contract's values (text, numbers,
    dates); only datetimes, booleans and GUIDs are converted, a column at a time. When the
    wanted fields are the row's leading columns and none needs converting (the common
    bulk read), each row becomes a record in one call of a RecordMaker.
    """

    def __init__(self, columns: list[ColumnValues], outputs: list[_Output]) -> None:
        self.make = RecordMaker([o.name for o in outputs])
        self.positions = [o.position for o in outputs]
        self.converted = [
            (i, o.values.from_column)
            for i, o in enumerate(outputs)
            if o.values.kind in CONVERTED_KINDS
        ]
        self.direct = self.positions == list(range(len(outputs))) and not self.converted
        self.columns = columns

    def records(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """The records of selected rows (the table's columns come first in each row)."""
        if self.direct or not rows:
            return self.make.from_rows(rows)
        columns = list(zip(*rows, strict=True))
        picked: list[Sequence[Any]] = [columns[p] for p in self.positions]
        for i, convert in self.converted:
            picked[i] = list(map(convert, picked[i]))
        return self.make.from_columns(picked, len(rows))

    def stamps(self, rows: Sequence[Any]) -> list[str]:
        """A stamp of each row as a whole (all of the table's columns)."""
        columns = self.columns
        return [
            fingerprint({c.name: c.from_column(row[i]) for i, c in enumerate(columns)})
            for row in rows
        ]


def _outputs(
    conn: Connection, catalog: Catalog, spec: TableSpec, fields: Sequence[str] | None
) -> tuple[FromClause, list[_Output], list[ColumnElement[Any]]]:
    """What each record holds; the table joined to the rows its `lookup.key` fields read,
    and those fields' columns (selected after the table's own)."""
    columns = list(spec.columns.values())
    if fields is None:
        return spec.table, [_Output(c.name, c, i) for i, c in enumerate(columns)], []
    source: FromClause = spec.table
    joined: dict[str, tuple[FromClause, TableSpec]] = {}
    outputs: list[_Output] = []
    selected: list[ColumnElement[Any]] = []
    for name in fields:
        lookup, dot, key = name.partition(".")
        if not dot:
            found = spec.require(name)
            outputs.append(_Output(found.name, found, columns.index(found)))
            continue
        reference = spec.references.get(lookup.lower())
        if reference is None:
            raise SchemaError(f"'{lookup}' is not a foreign key of table '{spec.table.name}'")
        if lookup.lower() not in joined:
            target = catalog.describe(conn, reference.target.name)
            alias = target.table.alias(f"lookup_{len(joined) + 1}")
            local = spec.table.c[spec.require(lookup).name]
            source = source.outerjoin(alias, alias.c[reference.column] == local)
            joined[lookup.lower()] = (alias, target)
        via, target = joined[lookup.lower()]
        values = target.require(key)
        outputs.append(_Output(name, values, len(columns) + len(selected)))
        selected.append(via.c[values.name].label(name))
    return source, outputs, selected


def _restricted(statement: Select[Any], spec: TableSpec, request: ReadRequest) -> Select[Any]:
    if request.filter:
        statement = statement.where(compile_filter(spec, request.filter))
    return statement.where(*spec.scope(request.organization))


def _order(spec: TableSpec) -> list[ColumnValues]:
    """The columns rows come in: cursor then key when there is a cursor, else the key."""
    if spec.cursor is not None:
        return [spec.cursor, *(c for c in spec.key() if c is not spec.cursor)]
    return spec.key() if spec.info.keys else []


def _resume_values(order: list[ColumnValues], since: Watermark | None) -> list[Any] | None:
    """The values to resume after, or None for a full read (no or unrelated watermark)."""
    if not since or not order or any(c.name not in since for c in order):
        return None
    try:
        return [c.to_column(since[c.name]) for c in order]
    except ValueError as exc:
        names = ", ".join(c.name for c in order)
        raise SchemaError(f"the watermark no longer fits the columns {names}: {exc}") from None


def _after(pairs: list[tuple[ColumnValues, Any]]) -> ColumnElement[bool]:
    """Rows after the given values in (c1, c2, ...) order, NULLs sorting first.

    After a non-NULL value, `c1 > v OR (c1 = v AND rest)` is written `c1 >= v AND (c1 > v OR
    rest)`, the same rows: the leading range lets the planner seek the (cursor, key) index,
    where the OR alone made SQLite scan all of it (a tenth of a second at a million rows,
    on every incremental run).
    """
    (values, value), rest = pairs[0], pairs[1:]
    column = values.column
    later = column.is_not(None) if value is None else column > value
    if not rest:
        return later
    if value is None:
        return or_(later, and_(column.is_(None), _after(rest)))
    return and_(column >= value, or_(later, _after(rest)))


def _sort_terms(order: list[ColumnValues], nulls_possible: bool) -> list[Any]:
    """ORDER BY terms; a nullable first column gets NULLs first portably (not NULLS FIRST,
    which MySQL lacks)."""
    terms: list[Any] = [c.column for c in order]
    if order and nulls_possible and order[0].column.nullable:
        terms.insert(0, order[0].column.is_not(None))
    return terms
