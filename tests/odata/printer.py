"""Test-only: expression trees printed as `$filter` text, and compared by structure.

`Expr.__eq__` builds a comparison node, so trees are compared through `dump`, which turns
them into nested tuples. `flat` also merges `and`/`or` chains, because the parser balances
them and a chain printed without parentheses comes back grouped differently.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from commonground.odata.kinds import kind_of_value
from commonground.odata.literals import quote_string
from commonground.query.expressions import Binary, Call, Expr, In, Lambda, Literal, Path, Unary

PRECEDENCE = {"or": 1, "and": 2, "eq": 3, "ne": 3, "gt": 4, "ge": 4, "lt": 4, "le": 4}
PRECEDENCE |= {"add": 5, "sub": 5, "mul": 6, "div": 6, "mod": 6}
UNARY, IN, PRIMARY = 7, 8, 9


def precedence(expr: Expr) -> int:
    if isinstance(expr, Binary):
        return PRECEDENCE[expr.op]
    if isinstance(expr, Unary):
        return UNARY
    if isinstance(expr, In):
        return IN
    return PRIMARY


def literal_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value}M"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return quote_string(value)


def to_odata(expr: Expr, collections: dict[str, str] | None = None, full: bool = False) -> str:
    """`$filter` text for a tree; `full` puts every binary operation in parentheses."""

    def wrap(child: Expr, limit: int) -> str:
        text = to_odata(child, collections, full)
        return f"({text})" if precedence(child) < limit else text

    if isinstance(expr, Path):
        return "/".join(expr.segments)
    if isinstance(expr, Literal):
        return literal_text(expr.value)
    if isinstance(expr, Binary):
        level = PRECEDENCE[expr.op]
        text = f"{wrap(expr.left, level)} {expr.op} {wrap(expr.right, level + 1)}"
        return f"({text})" if full else text
    if isinstance(expr, Unary):
        return ("not " if expr.op == "not" else "-") + wrap(expr.operand, UNARY)
    if isinstance(expr, In):
        values = ", ".join(to_odata(v, collections, full) for v in expr.values)
        return f"{wrap(expr.operand, PRIMARY)} in ({values})"
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(to_odata(a, collections, full) for a in expr.args)})"
    if isinstance(expr, Lambda):
        name = (collections or {}).get(expr.collection.segments[0], expr.collection.segments[0])
        if expr.predicate is None:
            return f"{name}/{expr.kind}()"
        return f"{name}/{expr.kind}({expr.variable}: {to_odata(expr.predicate, collections, full)})"
    raise TypeError(type(expr).__name__)


def dump(expr: Expr | None) -> Any:
    """A tree as nested tuples, comparable with ==; literals keep their kind."""
    if expr is None:
        return None
    if isinstance(expr, Path):
        return ("path", *expr.segments)
    if isinstance(expr, Literal):
        return ("literal", kind_of_value(expr.value), expr.value)
    if isinstance(expr, Binary):
        return (expr.op, dump(expr.left), dump(expr.right))
    if isinstance(expr, Unary):
        return (expr.op, dump(expr.operand))
    if isinstance(expr, In):
        return ("in", dump(expr.operand), tuple(dump(v) for v in expr.values))
    if isinstance(expr, Call):
        return ("call", expr.name, tuple(dump(a) for a in expr.args))
    if isinstance(expr, Lambda):
        return (expr.kind, dump(expr.collection), expr.variable, dump(expr.predicate))
    raise TypeError(type(expr).__name__)


def flat(expr: Expr | None) -> Any:
    """Like dump, with `and`/`or` chains merged into one list of operands."""
    if isinstance(expr, Binary) and expr.op in ("and", "or"):
        items: list[Any] = []
        for side in (expr.left, expr.right):
            inner = flat(side)
            if isinstance(inner, tuple) and inner[0] == expr.op and isinstance(inner[1], list):
                items.extend(inner[1])
            else:
                items.append(inner)
        return (expr.op, items)
    if isinstance(expr, Unary):
        return (expr.op, flat(expr.operand))
    if isinstance(expr, Binary):
        return (expr.op, flat(expr.left), flat(expr.right))
    if isinstance(expr, Lambda):
        return (expr.kind, dump(expr.collection), expr.variable, flat(expr.predicate))
    return dump(expr)
