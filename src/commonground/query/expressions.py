"""Filter expressions as immutable trees.

Built with Python operators (`F.Status == "Active"`, `F("Account/Name").startswith("C")`) by
the SDK, or by the OData parser from `$filter` text. The store renders them with SQLAlchemy
Core after resolving field paths against the model; nothing here ever becomes SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
LOGICAL = frozenset({"and", "or"})
ARITHMETIC = frozenset({"add", "sub", "mul", "div", "mod"})
FUNCTIONS = frozenset(
    {
        "contains",
        "startswith",
        "endswith",
        "tolower",
        "toupper",
        "length",
        "indexof",
        "substring",
        "concat",
        "trim",
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "date",
        "now",
    }
)


class Expr:
    """Base of every expression node; operators build larger expressions."""

    def _bin(self, op: str, other: Any) -> Binary:
        return Binary(op, self, as_expr(other))

    def __eq__(self, other: object) -> Binary:  # type: ignore[override]
        return self._bin("eq", other)

    def __ne__(self, other: object) -> Binary:  # type: ignore[override]
        return self._bin("ne", other)

    def __gt__(self, other: Any) -> Binary:
        return self._bin("gt", other)

    def __ge__(self, other: Any) -> Binary:
        return self._bin("ge", other)

    def __lt__(self, other: Any) -> Binary:
        return self._bin("lt", other)

    def __le__(self, other: Any) -> Binary:
        return self._bin("le", other)

    def __and__(self, other: Expr) -> Binary:
        return self._bin("and", other)

    def __or__(self, other: Expr) -> Binary:
        return self._bin("or", other)

    def __invert__(self) -> Unary:
        return Unary("not", self)

    def __add__(self, other: Any) -> Binary:
        return self._bin("add", other)

    def __sub__(self, other: Any) -> Binary:
        return self._bin("sub", other)

    def __mul__(self, other: Any) -> Binary:
        return self._bin("mul", other)

    def __truediv__(self, other: Any) -> Binary:
        return self._bin("div", other)

    def __mod__(self, other: Any) -> Binary:
        return self._bin("mod", other)

    def __hash__(self) -> int:
        return id(self)

    def in_(self, values: Iterable[Any]) -> In:
        """True when the value is one of `values`."""
        return In(self, tuple(as_expr(v) for v in values))

    def is_null(self) -> Binary:
        """True when the value is missing."""
        return Binary("eq", self, Literal(None))

    def is_not_null(self) -> Binary:
        """True when the value is present."""
        return Binary("ne", self, Literal(None))

    def contains(self, text: Any) -> Call:
        """Text contains `text`."""
        return Call("contains", (self, as_expr(text)))

    def startswith(self, text: Any) -> Call:
        """Text starts with `text`."""
        return Call("startswith", (self, as_expr(text)))

    def endswith(self, text: Any) -> Call:
        """Text ends with `text`."""
        return Call("endswith", (self, as_expr(text)))

    def lower(self) -> Call:
        """Text in lower case."""
        return Call("tolower", (self,))

    def upper(self) -> Call:
        """Text in upper case."""
        return Call("toupper", (self,))


@dataclass(frozen=True, eq=False)
class Path(Expr):
    """A field, a part of a compound field or a field reached through lookups: `A/B/C`."""

    segments: tuple[str, ...]

    def __str__(self) -> str:
        return "/".join(self.segments)


@dataclass(frozen=True, eq=False)
class Literal(Expr):
    """A constant."""

    value: Any


@dataclass(frozen=True, eq=False)
class Binary(Expr):
    """A comparison, logical or arithmetic operation."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class Unary(Expr):
    """`not` or arithmetic negation (`neg`)."""

    op: str
    operand: Expr


@dataclass(frozen=True, eq=False)
class Call(Expr):
    """A function call such as contains(Name, 'x') or year(CreatedOnDateTime)."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class In(Expr):
    """`operand in (v1, v2, ...)`."""

    operand: Expr
    values: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Lambda(Expr):
    """`collection/any(x: predicate)` or `all`; paths inside start with the variable."""

    kind: str
    collection: Path
    variable: str
    predicate: Expr | None


def as_expr(value: Any) -> Expr:
    """Wrap a Python value as a Literal unless it already is an expression."""
    return value if isinstance(value, Expr) else Literal(value)


class _FieldFactory:
    """`F.Name` or `F("Account/Name")`: a Path to a field."""

    def __call__(self, path: str) -> Path:
        return Path(tuple(part for part in path.split("/") if part))

    def __getattr__(self, name: str) -> Path:
        if name.startswith("__"):
            raise AttributeError(name)
        return Path((name,))


F = _FieldFactory()
