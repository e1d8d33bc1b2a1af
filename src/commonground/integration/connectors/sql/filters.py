"""A task's source filter (OData `$filter` text) as a SQLAlchemy condition over one table.

The text is parsed by the project's own OData parser, against a stand-in entity whose fields
are the table's columns, so users write the same filters they write against the hub; the
expression tree is then compiled over the table's columns. Literals compared with a column
are converted to that column's type first, so `placed_at gt 2024-01-01T00:00:00Z` works on
every database, and a literal that cannot be (`amount eq 'abc'`) is a FilterError.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, extract, false, func, literal, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from commonground.integration.connectors.sql.discovery import TableSpec
from commonground.integration.connectors.sql.values import ColumnValues
from commonground.integration.contracts import FilterError
from commonground.integration.source_filters import parse_source_filter
from commonground.query.expressions import Binary, Call, Expr, In, Literal, Path, Unary
from commonground.store.query import ARITH as ARITHMETIC
from commonground.store.query import COMPARE

TEXT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "tolower": func.lower,
    "toupper": func.upper,
    "length": func.length,
    "trim": func.trim,
    "concat": lambda a, b: a.concat(b),
}
PARTS = frozenset({"year", "month", "day", "hour", "minute", "second"})


def compile_filter(spec: TableSpec, text: str) -> ColumnElement[bool]:
    """The condition of a `$filter` text; FilterError says what is wrong with it."""
    columns = [(values.name, values.kind) for values in spec.columns.values()]
    expr = parse_source_filter(spec.table.name, columns, text)
    condition: ColumnElement[bool] = _FilterCompiler(spec).compile(expr)
    return condition


class _FilterCompiler:
    """Compiles one expression tree over one table's columns."""

    def __init__(self, spec: TableSpec) -> None:
        self.spec = spec

    def compile(self, expr: Expr, hint: ColumnValues | None = None) -> Any:
        """A SQL expression for a node; `hint` is the column a literal is compared with."""
        if isinstance(expr, Path):
            return self._column(expr).column
        if isinstance(expr, Literal):
            return self._literal(expr.value, hint)
        if isinstance(expr, Binary):
            return self._binary(expr)
        if isinstance(expr, Unary):
            inner = self.compile(expr.operand)
            return not_(inner) if expr.op == "not" else -inner
        if isinstance(expr, In):
            column = self._hint(expr.operand)
            values = [self.compile(v, column) for v in expr.values]
            return self.compile(expr.operand).in_(values) if values else false()
        if isinstance(expr, Call):
            return self._call(expr)
        raise self._unsupported(type(expr).__name__)

    def _column(self, path: Path) -> ColumnValues:
        found = self.spec.find(path.segments[0]) if len(path.segments) == 1 else None
        if found is None:
            raise FilterError(f"source filter: table '{self.spec.table.name}' has no '{path}'")
        return found

    def _hint(self, expr: Expr) -> ColumnValues | None:
        return self._column(expr) if isinstance(expr, Path) else None

    def _literal(self, value: Any, hint: ColumnValues | None) -> Any:
        if value is None:
            return None
        if hint is not None:
            try:
                return literal(hint.to_column(value), type_=hint.column.type)
            except ValueError as exc:
                raise FilterError(f"source filter: {hint.name} {exc}") from None
        # Without a column to take the type from: a float where a driver lacks decimals.
        return literal(float(value) if isinstance(value, Decimal) else value)

    def _binary(self, expr: Binary) -> Any:
        if expr.op in ("and", "or"):
            left, right = self.compile(expr.left), self.compile(expr.right)
            return and_(left, right) if expr.op == "and" else or_(left, right)
        if expr.op in COMPARE:
            hint = self._hint(expr.left) or self._hint(expr.right)
            left, right = self.compile(expr.left, hint), self.compile(expr.right, hint)
            if right is None or left is None:
                operand = left if right is None else right
                if operand is None:  # null eq null
                    return literal(expr.op == "eq")
                return operand.is_(None) if expr.op == "eq" else operand.is_not(None)
            return COMPARE[expr.op](left, right)
        if expr.op in ARITHMETIC:
            return ARITHMETIC[expr.op](self.compile(expr.left), self.compile(expr.right))
        raise self._unsupported(f"operator '{expr.op}'")

    def _call(self, expr: Call) -> Any:
        name = expr.name.lower()
        args = [self.compile(a) for a in expr.args]
        if name in ("contains", "startswith", "endswith"):
            pattern = expr.args[1]
            method = getattr(args[0], name)
            if isinstance(pattern, Literal) and isinstance(pattern.value, str):
                return method(pattern.value, autoescape=True)
            return method(args[1])
        if name in TEXT_FUNCTIONS:
            return TEXT_FUNCTIONS[name](*args)
        if name in PARTS:
            return extract(name, args[0])
        raise self._unsupported(f"function {name}()")

    def _unsupported(self, what: str) -> FilterError:
        return FilterError(f"source filter: {what} is not supported by the SQL connector")
