"""The coarse value kinds the `$filter` parser checks, the signatures of its functions, and
expressions paired with their kinds (`Node`).

The store coerces a literal to the field it is compared with and explains a mismatch, so the
parser does not type-check literals against fields. What the store cannot catch cleanly is an
expression the database itself would refuse (`not Name`, `Name add 1`, `year(Name)`,
`length(Name) eq 'x'`): on PostgreSQL that is a driver error, not a clear 400. These kinds
are just fine enough to reject those with a position.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from commonground.model.datamodel import DataModel
from commonground.model.field import Field
from commonground.model.types import Storage
from commonground.odata.lexer import LITERAL_KINDS, Kind, Token, TokenStream
from commonground.odata.literals import INT32_MAX, INT32_MIN, enum_value
from commonground.query.expressions import Expr, Literal, Path

BOOLEAN = "boolean"
NUMBER = "number"
STRING = "string"
DATE = "date"
DATETIME = "datetime"
GUID = "guid"
ENUM = "enum"
ID = "id"  # a lookup's RecordId
NULL = "null"

STORAGE_KINDS: dict[Storage, str] = {
    Storage.STRING: STRING,
    Storage.DECIMAL: NUMBER,
    Storage.INTEGER: NUMBER,
    Storage.BIG_INTEGER: NUMBER,
    Storage.BOOLEAN: BOOLEAN,
    Storage.DATE: DATE,
    Storage.DATETIME: DATETIME,
    Storage.GUID: GUID,
    Storage.PICKLIST: ENUM,
    Storage.LOOKUP: ID,
}
# Kinds that compare with each other in SQL on every database.
FAMILIES: dict[str, str] = {
    NUMBER: NUMBER,
    ID: NUMBER,
    DATE: "temporal",
    DATETIME: "temporal",
    STRING: STRING,
    BOOLEAN: BOOLEAN,
    GUID: GUID,
    ENUM: ENUM,
}
DESCRIPTIONS: dict[str, str] = {
    BOOLEAN: "a boolean",
    NUMBER: "a number",
    STRING: "text",
    DATE: "a date",
    DATETIME: "a date-time",
    GUID: "a GUID",
    ENUM: "a picklist value",
    ID: "a lookup",
    NULL: "null",
}


def kind_of_field(field: Field) -> str:
    """The kind of a scalar field's values (lookups hold a RecordId)."""
    return STORAGE_KINDS[field.storage]


def kind_of_value(value: Any) -> str:
    """The kind of a literal's Python value."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | Decimal):
        return NUMBER
    if isinstance(value, datetime):
        return DATETIME
    if isinstance(value, date):
        return DATE
    if isinstance(value, uuid.UUID):
        return GUID
    return STRING


def comparable(left: str, right: str) -> bool:
    """Whether values of two kinds can be compared (null compares with anything)."""
    return NULL in (left, right) or FAMILIES[left] == FAMILIES[right]


def describe(kind: str) -> str:
    """A kind as an error message names it."""
    return DESCRIPTIONS[kind]


@dataclass(frozen=True)
class Signature:
    """What a function accepts (kinds per parameter) and returns; trailing ones optional."""

    params: tuple[frozenset[str], ...]
    result: str
    optional: int = 0


_TEXT = frozenset({STRING})
_NUMBER = frozenset({NUMBER})
_TEMPORAL = frozenset({DATE, DATETIME})
_MOMENT = frozenset({DATETIME})

FUNCTIONS: dict[str, Signature] = {
    "contains": Signature((_TEXT, _TEXT), BOOLEAN),
    "startswith": Signature((_TEXT, _TEXT), BOOLEAN),
    "endswith": Signature((_TEXT, _TEXT), BOOLEAN),
    "tolower": Signature((_TEXT,), STRING),
    "toupper": Signature((_TEXT,), STRING),
    "trim": Signature((_TEXT,), STRING),
    "length": Signature((_TEXT,), NUMBER),
    "indexof": Signature((_TEXT, _TEXT), NUMBER),
    "substring": Signature((_TEXT, _NUMBER, _NUMBER), STRING, optional=1),
    "concat": Signature((_TEXT, _TEXT), STRING),
    "year": Signature((_TEMPORAL,), NUMBER),
    "month": Signature((_TEMPORAL,), NUMBER),
    "day": Signature((_TEMPORAL,), NUMBER),
    "hour": Signature((_MOMENT,), NUMBER),
    "minute": Signature((_MOMENT,), NUMBER),
    "second": Signature((_MOMENT,), NUMBER),
    "date": Signature((_TEMPORAL,), DATE),
    "now": Signature((), DATETIME),
}


@dataclass(frozen=True)
class Node:
    """An expression with the kind of its value, where it starts and how deep it is."""

    expr: Expr
    kind: str
    pos: int
    depth: int = 1


def is_zero(expr: Expr) -> bool:
    """A literal zero (a divisor the parser refuses)."""
    return isinstance(expr, Literal) and isinstance(expr.value, int | Decimal) and expr.value == 0


def fits_int32(expr: Expr) -> bool:
    """Positions and lengths: the databases' substr() takes 32-bit integers only."""
    if not isinstance(expr, Literal) or expr.value is None:
        return True
    value = expr.value
    return isinstance(value, int) and INT32_MIN <= value <= INT32_MAX


def literal_node(model: DataModel, token: Token, option: str) -> Node:
    """A literal token (or the words true, false, null) as a Literal with its kind."""
    value: Any
    if token.kind is Kind.NAME:
        value = {"true": True, "false": False, "null": None}[token.text.lower()]
    elif token.kind is Kind.ENUM:
        type_name, member = token.value
        value = enum_value(model, type_name, member, token.pos, option)
    else:
        value = token.value
    return Node(Literal(value), kind_of_value(value), token.pos)


def alias_node(model: DataModel, name: str, text: str) -> Node:
    """The literal a parameter alias (`@p1=...`) holds; errors point into its own text."""
    stream = TokenStream.of(text, name)
    first = stream.advance()
    if first.kind not in LITERAL_KINDS and not first.is_word("true", "false", "null"):
        raise stream.error("expected a literal", first)
    stream.expect_end()
    return literal_node(model, first, name)


def comparison_problem(left: Node, right: Node, either_way: bool = True) -> str | None:
    """Why two operands cannot be compared, or None; what the database would refuse.

    A literal against a field is the store's to coerce: on either side of a comparison,
    but in `in` only the values, to the operand's field (`either_way=False`). true/false
    would pass that coercion as the numbers 1/0 (bool is an int), so they never skip.
    """
    coerced = isinstance(left.expr, Path) and isinstance(right.expr, Literal)
    if either_way:
        coerced = coerced or (isinstance(left.expr, Literal) and isinstance(right.expr, Path))
    booleans = BOOLEAN in (left.kind, right.kind)
    if (coerced and not booleans) or comparable(left.kind, right.kind):
        return None
    return f"cannot compare {describe(left.kind)} with {describe(right.kind)}"
