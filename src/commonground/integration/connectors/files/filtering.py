"""A task's OData `$filter` applied to the records of a file, one record at a time.

The text is parsed by the service's own OData parser (`odata.filter_parser`) against a
stand-in entity whose fields are the file's columns, so a filter means the same here as on
the API and is checked the same way: unknown columns, type mismatches and syntax errors are
FilterErrors naming the problem. The tree is then evaluated in Python over each typed record.

Columns whose names are not valid field names (spaces, leading digits) or that clash with the
service's system field names cannot be named in a filter. Semantics follow OData: a
comparison with a missing value is false except `eq null` / `ne null`; literals compared
with a column are converted to the column's kind first (as the store does).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from commonground.integration.connectors.files.columns import Column
from commonground.integration.contracts import FilterError
from commonground.integration.source_filters import parse_source_filter
from commonground.query.expressions import Binary, Call, Expr, In, Literal, Path, Unary

Record = dict[str, Any]
Predicate = Callable[[Record], bool]

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": lambda a, b: a // b if isinstance(a, int) and isinstance(b, int) else a / b,
    "mod": operator.mod,
}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": lambda s, t: t in s,
    "startswith": lambda s, t: s.startswith(t),
    "endswith": lambda s, t: s.endswith(t),
    "tolower": str.lower,
    "toupper": str.upper,
    "trim": str.strip,
    "length": len,
    "indexof": lambda s, t: s.find(t),
    "substring": lambda s, start, length=None: s[start:] if length is None else s[start:][:length],
    "concat": lambda a, b: f"{a}{b}",
    "year": lambda d: d.year,
    "month": lambda d: d.month,
    "day": lambda d: d.day,
    "hour": lambda d: d.hour,
    "minute": lambda d: d.minute,
    "second": lambda d: d.second,
    "date": lambda d: d.date() if isinstance(d, datetime) else d,
    "now": lambda: datetime.now(UTC),
}


def compile_filter(entity: str, columns: Sequence[Column], text: str | None) -> Predicate | None:
    """A predicate over typed records for a `$filter` text (None when there is no filter)."""
    if text is None or not text.strip():
        return None
    expr = parse_source_filter(entity, [(c.name, c.kind) for c in columns], text)
    evaluator = _Evaluator({c.name: c for c in columns})
    return lambda record: evaluator.value(expr, record) is True


class _Evaluator:
    """Evaluates a parsed filter tree over one record; None stands for a missing value."""

    def __init__(self, columns: dict[str, Column]) -> None:
        self.columns = columns

    def value(self, expr: Expr, record: Record) -> Any:
        """The value of one node for one record."""
        if isinstance(expr, Literal):
            return expr.value
        if isinstance(expr, Path):
            return record.get(expr.segments[0])
        if isinstance(expr, Binary):
            return self._binary(expr, record)
        if isinstance(expr, Unary):
            operand = self.value(expr.operand, record)
            if operand is None:
                return None
            return (not operand) if expr.op == "not" else -operand
        if isinstance(expr, In):
            operand = self.value(expr.operand, record)
            return any(operand == self._literal(v, expr.operand, record) for v in expr.values)
        if isinstance(expr, Call):
            args = [self.value(a, record) for a in expr.args]
            if any(a is None for a in args):
                return None
            return FUNCTIONS[expr.name](*args)
        raise FilterError(f"source filter: {type(expr).__name__} expressions are not supported")

    def _binary(self, expr: Binary, record: Record) -> Any:
        if expr.op == "and":
            return self.value(expr.left, record) is True and self.value(expr.right, record) is True
        if expr.op == "or":
            return self.value(expr.left, record) is True or self.value(expr.right, record) is True
        left = self._literal(expr.left, expr.right, record)
        right = self._literal(expr.right, expr.left, record)
        if expr.op in COMPARE:
            if left is None or right is None:
                both = left is None and right is None
                return both if expr.op == "eq" else not both if expr.op == "ne" else False
            try:
                return COMPARE[expr.op](*_comparable(left, right))
            except TypeError:
                return False
        if left is None or right is None:
            return None
        return ARITHMETIC[expr.op](left, right)

    def _literal(self, expr: Expr, other: Expr, record: Record) -> Any:
        """A node's value; a literal compared with a column takes the column's kind."""
        value = self.value(expr, record)
        if isinstance(expr, Literal) and isinstance(other, Path) and value is not None:
            column = self.columns.get(other.segments[0])
            if column is not None:
                try:
                    return column.convert(value)
                except ValueError as exc:
                    raise FilterError(f"source filter: {other}: {exc}") from None
        return value


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """A date meets a date-time at midnight UTC (Python refuses to compare the two)."""
    mixed = isinstance(left, datetime) != isinstance(right, datetime)
    if mixed and isinstance(left, date) and isinstance(right, date):
        return _as_moment(left), _as_moment(right)
    return left, right


def _as_moment(value: date) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
