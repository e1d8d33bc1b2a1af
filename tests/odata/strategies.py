"""Test-only hypothesis strategies: filter trees over the standard Account entity.

Leaves compare fields of every kind with literals (arithmetic and negation on numbers),
or are `in` lists, string functions and `any` over Contacts; branches are and/or/not.
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from commonground.query.expressions import Binary, Call, Expr, In, Lambda, Literal, Path, Unary

COLLECTIONS = {"Contact": "Contacts"}

OFFSETS = st.sampled_from(
    [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30))]
)
# NUL and lone surrogates are refused (no database can store them); all else round-trips.
CHARACTERS = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
TEXTS = st.text(CHARACTERS)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(CHARACTERS, max_size=12),
    "number": st.one_of(
        st.integers(-(2**63), 2**63 - 1),
        st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False),
    ),
    "boolean": st.booleans(),
    "date": st.dates(),
    "datetime": st.datetimes(timezones=OFFSETS),
    "enum": st.sampled_from(["Active", "Inactive"]),
}
PATHS = {
    "string": [
        ("FullName",),
        ("Description",),
        ("PrimaryContact", "FullName"),
        ("MailingPostalAddress", "City"),
    ],
    "number": [("EmployeeCount",), ("CreditLimitAmount", "Amount")],
    "boolean": [("IsEmailContactAllowed",)],
    "date": [("Birthdate",)],
    "datetime": [("CreatedOnDateTime",)],
    "enum": [("Status",)],
}
COMPARISONS = st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"])


@st.composite
def operand(draw: st.DrawFn, kind: str) -> Expr:
    """A path of the kind; numbers sometimes inside arithmetic or a negation."""
    path: Expr = Path(draw(st.sampled_from(PATHS[kind])))
    if kind == "number":
        shape = draw(st.sampled_from(["plain", "arithmetic", "negated"]))
        if shape == "arithmetic":
            op = draw(st.sampled_from(["add", "sub", "mul", "div", "mod"]))
            number = draw(VALUES["number"].filter(lambda v: op not in ("div", "mod") or v != 0))
            path = Binary(op, path, Literal(number))
        elif shape == "negated":
            path = Unary("neg", path)
    return path


@st.composite
def comparison(draw: st.DrawFn) -> Expr:
    kind = draw(st.sampled_from(sorted(VALUES)))
    left = draw(operand(kind))
    op = draw(COMPARISONS)
    null = op in ("eq", "ne") and draw(st.integers(0, 9)) == 0
    right: Expr = Literal(None if null else draw(VALUES[kind]))
    if draw(st.booleans()):
        left, right = right, left
    return Binary(op, left, right)


@st.composite
def leaf(draw: st.DrawFn) -> Expr:
    shape = draw(st.sampled_from(["comparison", "in", "call", "any"]))
    if shape == "in":
        values = draw(st.lists(VALUES["string"], min_size=1, max_size=3))
        return In(Path(("FullName",)), tuple(Literal(v) for v in values))
    if shape == "call":
        name = draw(st.sampled_from(["contains", "startswith", "endswith"]))
        return Call(name, (Path(("FullName",)), Literal(draw(VALUES["string"]))))
    if shape == "any":
        inner = Binary("eq", Path(("c", "FullName")), Literal(draw(VALUES["string"])))
        return Lambda("any", Path(("Contact",)), "c", inner)
    return draw(comparison())


def combine(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    logical = st.builds(Binary, st.sampled_from(["and", "or"]), children, children)
    negated = st.builds(Unary, st.just("not"), children)
    return st.one_of(logical, negated)


TREES = st.recursive(leaf(), combine, max_leaves=12)
