"""Statements compiled once into driver SQL, for the store's small, frequent operations.

SQLAlchemy's compiled cache still builds the statement and its cache key on every execute,
and an UPDATE of given columns is not cached at all: together about 1 ms of a single-record
update. A `Prepared` statement is compiled once per (table, shape) and then executed as
driver SQL with its parameters in the order the dialect's placeholders expect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, insert, or_, select, tuple_, update
from sqlalchemy import column as sql_column
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import ColumnClause, ColumnElement

from commonground.model.entity import RECORD_ID

# IN lists up to this many values get a prepared statement of their own size; larger ones
# are bulk work, where compiling is a small part of the cost.
SMALL_IN = 16


@dataclass(frozen=True)
class Prepared:
    """Driver SQL and the order of its named parameters (None: the driver takes names)."""

    sql: str
    order: tuple[str, ...] | None

    def params(self, values: Mapping[str, Any]) -> Any:
        """The parameters for one execution, in the form the driver takes them."""
        if self.order is None:
            return dict(values)
        return tuple(values[name] for name in self.order)

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute and return the rows as the driver gives them (plain tuples)."""
        result = conn.exec_driver_sql(self.sql, self.params(values))
        return [tuple(row) for row in result]


Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class DriverSelect:
    """A SELECT compiled once into driver SQL and run on the driver's own cursor, its
    parameters and results passed through the column types' processors as SQLAlchemy would.

    SQLAlchemy's execution context and result rows cost about as much as SQLite's own work
    for a small page; a template run again and again needs neither.
    """

    sql: str
    defaults: dict[str, Any]  # the compiled values of every parameter, for those not given
    binds: tuple[tuple[str, Processor | None], ...]  # in the placeholders' order
    results: tuple[tuple[int, Processor], ...]  # result columns that need converting
    error: type[Exception]  # the driver's base error

    @classmethod
    def of(cls, statement: Select[Any], dialect: Dialect) -> DriverSelect | None:
        """The driver form of a SELECT; None when its parameters are not plain positional
        ones (an expanding IN list is rendered per execution by SQLAlchemy)."""
        compiled = statement.compile(dialect=dialect)
        if not compiled.positional or any(b.expanding for b in compiled.binds.values()):
            return None
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or ()
        )
        results = tuple(
            (index, processor)
            for index, column in enumerate(statement.selected_columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None
        )
        defaults = {name: bind.effective_value for name, bind in compiled.binds.items()}
        return cls(str(compiled), defaults, binds, results, dialect.loaded_dbapi.Error)

    def rows(self, driver: Any, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The rows for these parameters, on a DBAPI connection (DBAPIError on failure)."""
        values = {**self.defaults, **params}
        args = [
            values[name] if convert is None else convert(values[name])
            for name, convert in self.binds
        ]
        rows = fetch_on_driver(driver, self.sql, args, self.error)
        if not self.results:
            return rows
        converted = [list(row) for row in rows]
        for index, convert in self.results:
            for row in converted:
                row[index] = convert(row[index])
        return converted


def fetch_on_driver(
    driver: Any, sql: str, params: Any, error: type[Exception]
) -> list[tuple[Any, ...]]:
    """All rows of driver SQL on a DBAPI connection's own cursor, as the driver gives them
    (tuples); a driver `error` is raised as SQLAlchemy's DBAPIError, which the store
    translates as it does every other statement's."""
    try:
        cursor = driver.cursor()
        try:
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
        finally:
            cursor.close()
    except error as exc:
        raise DBAPIError.instance(sql, params, exc, error) from exc


def prepare(statement: Any, dialect: Dialect) -> Prepared:
    """Compile a statement for a dialect once."""
    compiled = statement.compile(dialect=dialect)
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return Prepared(str(compiled), order)


@lru_cache(maxsize=1024)
def insert_columns(table: Table, columns: tuple[str, ...], dialect: Dialect) -> str:
    """INSERT of the given columns, positional in the order given (which is table order)."""
    return str(insert(table).compile(dialect=dialect, column_keys=list(columns)))


@lru_cache(maxsize=1024)
def update_by_id(table: Table, columns: tuple[str, ...], dialect: Dialect) -> Prepared:
    """UPDATE of the given columns (parameters `_p0`, `_p1`, ...) of the row `_rid`."""
    statement = (
        update(table)
        .where(table.c[RECORD_ID] == bindparam("_rid"))
        .values({c: bindparam(f"_p{i}") for i, c in enumerate(columns)})
    )
    return prepare(statement, dialect)


@lru_cache(maxsize=1024)
def select_in(
    table: Table, match: tuple[str, ...], fetch: tuple[str, ...], count: int, dialect: Dialect
) -> Prepared:
    """The `match` and `fetch` columns of the rows whose `match` columns equal one of
    `count` values (parameters `_v<i>_<j>`: value i, match column j), selected untyped."""
    selected: list[ColumnClause[Any]] = [sql_column(name) for name in (*match, *fetch)]
    keys: list[ColumnClause[Any]] = [sql_column(name) for name in match]
    condition: ColumnElement[bool]
    if len(match) == 1:
        condition = keys[0].in_([bindparam(f"_v{i}_0") for i in range(count)])
    else:
        condition = or_(
            *(
                tuple_(*keys) == tuple_(*(bindparam(f"_v{i}_{j}") for j in range(len(match))))
                for i in range(count)
            )
        )
    return prepare(select(*selected).select_from(table).where(condition), dialect)


def in_values(values: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """The parameters of `select_in` for the given match tuples."""
    return {f"_v{i}_{j}": v for i, value in enumerate(values) for j, v in enumerate(value)}
