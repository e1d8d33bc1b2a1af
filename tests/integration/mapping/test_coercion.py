"""Safe conversions to the destination kind, and which kinds a copy may join."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.integration.contracts import ValueKind
from commonground.integration.mapping.coercion import coercer, compatible
from commonground.integration.mapping.transforms import ValueRejectedError

K = ValueKind


def to(kind: ValueKind, value: Any) -> Any:
    coerce = coercer(kind, "field")
    assert coerce is not None
    return coerce(value)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12
    )
)
def test_decimals_truncate_toward_zero_for_integers(value: Decimal) -> None:
    out = to(K.INTEGER, value)
    assert type(out) is int
    assert abs(out) <= abs(value) < abs(out) + 1
    assert out == math.trunc(value)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (K.INTEGER, 3.99, 3),
        (K.INTEGER, " 42 ", 42),
        (K.INTEGER, "12.7", 12),
        (K.DECIMAL, 5, Decimal(5)),
        (K.DECIMAL, 0.1, Decimal("0.1")),
        (K.DECIMAL, "1.50", Decimal("1.50")),
        (K.FLOAT, Decimal("1.5"), 1.5),
        (K.TEXT, 10, "10"),
        (K.TEXT, Decimal("1.20"), "1.20"),
        (K.BOOLEAN, "Yes", True),
        (K.BOOLEAN, 0, False),
        (K.BOOLEAN, "false", False),
        (K.DATE, "2024-02-29", date(2024, 2, 29)),
        (K.DATETIME, date(2020, 1, 1), datetime(2020, 1, 1, tzinfo=UTC)),
        (K.DATETIME, "2020-01-01T10:00:00", datetime(2020, 1, 1, 10, tzinfo=UTC)),
        (
            K.GUID,
            "12345678-1234-5678-1234-567812345678",
            UUID("12345678-1234-5678-1234-567812345678"),
        ),
    ],
)
def test_conversions(kind: ValueKind, value: Any, expected: Any) -> None:
    out = to(kind, value)
    assert out == expected
    assert type(out) is type(expected)


@pytest.mark.parametrize("kind", [k for k in K if coercer(k, "f") is not None])
def test_none_passes_every_conversion(kind: ValueKind) -> None:
    assert to(kind, None) is None


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (K.INTEGER, "abc"),
        (K.INTEGER, float("nan")),
        (K.INTEGER, Decimal("Infinity")),
        (K.DECIMAL, "1,5"),
        (K.BOOLEAN, "maybe"),
        (K.BOOLEAN, 2),
        (K.DATE, "yesterday"),
        (K.DATETIME, "soon"),
        (K.GUID, "not-a-guid"),
        (K.TEXT, True),
        (K.INTEGER, True),
    ],
)
def test_values_that_cannot_convert_fail_the_record(kind: ValueKind, value: Any) -> None:
    with pytest.raises(ValueRejectedError, match=f"cannot be written to {kind} field field"):
        to(kind, value)


def test_lookups_and_structured_values_pass_unchanged() -> None:
    assert coercer(K.LOOKUP, "f") is None
    assert coercer(K.STRUCTURED, "f") is None


def test_compatible_kinds() -> None:
    assert compatible(K.DECIMAL, K.INTEGER)
    assert compatible(K.INTEGER, K.TEXT)
    assert compatible(K.DATE, K.DATETIME)
    assert not compatible(K.TEXT, K.BOOLEAN)
    assert not compatible(K.DATE, K.INTEGER)
    assert not compatible(K.DATETIME, K.DATE)
    assert all(compatible(k, k) for k in K)
