"""Property tests of the value coercers: what they accept comes back exactly, and a value
they refuse raises ValueError, which the service turns into a per-record error.
"""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from commonground.model.types import INTEGER_MAX, INTEGER_MIN, FieldType
from commonground.model.values import (
    BIG_MAX,
    BIG_MIN,
    coerce_big_integer,
    coerce_boolean,
    coerce_date,
    coerce_datetime,
    coerce_decimal,
    coerce_guid,
    coerce_integer,
    coerce_record_id,
    coerce_text,
)

SCALE = 6


def decimals(integer_digits: st.SearchStrategy[int], places: int) -> st.SearchStrategy[Decimal]:
    """Finite decimals with the given number of integer digits and at most `places` places."""

    def build(whole: int, fraction: list[int], negative: bool, first: int) -> Decimal:
        digits = [first] + [0] * (whole - 1) if whole else []
        return Decimal((int(negative), tuple(digits + fraction) or (0,), -len(fraction)))

    return integer_digits.flatmap(
        lambda whole: st.builds(
            build,
            st.just(whole),
            st.lists(st.integers(0, 9), max_size=places),
            st.booleans(),
            st.integers(1, 9),
        )
    )


fitting = decimals(st.integers(0, 22), SCALE)  # 22 + 6 places: what 28 digits hold
large = decimals(st.integers(23, 26), SCALE)  # 29 to 32 digits once quantized

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.dates(),
    st.datetimes(),
    st.uuids(),
)


# -- decimals ---------------------------------------------------------------------------


@given(fitting)
@example(Decimal("-0.000001"))
@example(Decimal("9999999999999999999999.999999"))
def test_decimals_that_fit_round_trip_exactly(value):
    result = coerce_decimal(value, SCALE)
    assert result == value
    assert result.as_tuple().exponent == -SCALE
    assert coerce_decimal(str(value), SCALE) == value
    assert coerce_decimal(f" {value} ", SCALE) == value
    assert coerce_decimal(result, SCALE) == result


@given(large)
def test_decimals_of_up_to_32_digits_round_trip_in_a_wide_decimal_context(value):
    with localcontext() as context:
        context.prec = 64
        assert coerce_decimal(value, SCALE) == value


@given(large)
def test_decimals_of_up_to_32_digits_round_trip(value):
    assert coerce_decimal(value, SCALE) == value


@given(st.one_of(st.floats(min_value=1e27, max_value=1e300), st.integers(10**26, 10**400)))
def test_numbers_too_large_to_hold_are_refused(value):
    with pytest.raises(ValueError, match="32 digits"):
        coerce_decimal(value, SCALE)


@given(st.integers(0, 6), decimals(st.integers(0, 10), 12))
def test_more_places_than_the_scale_are_refused(scale, value):
    assume(value != value.quantize(Decimal(1).scaleb(-scale)))
    with pytest.raises(ValueError, match="decimal places"):
        coerce_decimal(value, scale)


@given(st.integers(0, 6), decimals(st.integers(0, 10), 12))
def test_trailing_zeros_are_no_extra_places(scale, value):
    quantized = value.quantize(Decimal(1).scaleb(-scale))
    padded = Decimal(f"{quantized:f}" + ("0000" if scale else ".0000"))
    assert coerce_decimal(padded, scale) == quantized


@given(st.integers(33, 40))
def test_more_than_32_digits_are_refused(digits):
    with localcontext() as context:
        context.prec = 64
        with pytest.raises(ValueError, match="32 digits"):
            coerce_decimal(Decimal("9" * digits), 0)


@given(st.floats(min_value=-1e15, max_value=1e15))
def test_floats_are_rounded_to_the_scale(value):
    result = coerce_decimal(value, SCALE)
    assert abs(result - Decimal(repr(value))) <= Decimal("0.0000005")


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "NaN", "Infinity", True])
def test_non_finite_numbers_and_booleans_are_no_decimals(value):
    with pytest.raises(ValueError, match="number"):
        coerce_decimal(value, SCALE)


# -- integers ---------------------------------------------------------------------------


@given(st.integers(INTEGER_MIN, INTEGER_MAX))
def test_integers_in_range_round_trip(value):
    assert coerce_integer(value) == value
    assert coerce_integer(str(value)) == value
    assert coerce_integer(f" {value} ") == value
    assert coerce_integer(float(value)) == value
    assert coerce_integer(Decimal(value)) == value


@given(st.one_of(st.integers(max_value=INTEGER_MIN - 1), st.integers(min_value=INTEGER_MAX + 1)))
def test_integers_out_of_range_are_refused(value):
    with pytest.raises(ValueError, match="outside the range"):
        coerce_integer(value)


@given(st.integers(BIG_MIN, BIG_MAX))
def test_big_integers_round_trip(value):
    assert coerce_big_integer(value) == value


@given(st.one_of(st.integers(max_value=BIG_MIN - 1), st.integers(min_value=BIG_MAX + 1)))
def test_big_integers_out_of_range_are_refused(value):
    with pytest.raises(ValueError, match="outside the range"):
        coerce_big_integer(value)


@given(st.floats(allow_infinity=False).filter(lambda f: f != int(f) if f == f else True))
def test_fractional_floats_are_no_whole_numbers(value):
    with pytest.raises(ValueError, match="whole number"):
        coerce_integer(value)


@pytest.mark.parametrize("value", [math.inf, -math.inf, Decimal("Infinity"), Decimal("sNaN")])
def test_non_finite_values_are_no_whole_numbers(value):
    with pytest.raises(ValueError, match="whole number"):
        coerce_integer(value)


@given(st.integers(1, BIG_MAX))
def test_record_ids_are_positive(value):
    assert coerce_record_id(value) == value
    with pytest.raises(ValueError, match="positive"):
        coerce_record_id(1 - value)


# -- text -------------------------------------------------------------------------------


@given(st.integers(1, 300), st.text(min_size=1, max_size=300))
def test_text_respects_its_length(length, value):
    if len(value) <= length:
        assert coerce_text(value, length, FieldType.TEXT) == value
    else:
        with pytest.raises(ValueError, match=f"maximum length of {length}"):
            coerce_text(value, length, FieldType.TEXT)


def test_empty_text_is_no_value():
    assert coerce_text("", 10, FieldType.TEXT) is None


@given(anything.filter(lambda v: not isinstance(v, str)))
def test_only_strings_are_text(value):
    with pytest.raises(ValueError, match="expected text"):
        coerce_text(value, 10, FieldType.TEXT)


@given(st.emails())
def test_email_addresses_are_accepted(value):
    assume(len(value) <= 256)
    assert coerce_text(value, 256, FieldType.EMAIL) == value


# -- booleans, dates, GUIDs -------------------------------------------------------------


@given(st.booleans())
def test_booleans_in_every_spelling(value):
    words = ("true", "yes", "1", "y") if value else ("false", "no", "0", "n")
    for word in words:
        assert coerce_boolean(word) is value
        assert coerce_boolean(f" {word.upper()} ") is value
    assert coerce_boolean(int(value)) is value


@given(st.dates())
def test_dates_round_trip(value):
    assert coerce_date(value) == value
    assert coerce_date(value.isoformat()) == value
    assert coerce_date(datetime(value.year, value.month, value.day, 23, 59)) == value


def test_date_of_a_timestamp_text_is_its_date_part():
    assert coerce_date("2020-01-01T23:59:59") == date(2020, 1, 1)


@given(
    st.datetimes(timezones=st.just(None)),
    st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)
def test_datetimes_become_utc_instants(naive, zone):
    aware = naive.replace(tzinfo=zone)
    try:
        expected = aware.astimezone(UTC)
    except OverflowError:
        assume(False)
    assert coerce_datetime(aware) == expected
    assert coerce_datetime(aware).tzinfo is UTC
    assert coerce_datetime(aware.isoformat()) == expected
    assert coerce_datetime(naive) == naive.replace(tzinfo=UTC)


@given(st.uuids())
def test_guids_round_trip(value):
    assert coerce_guid(value) == value
    assert coerce_guid(str(value)) == value
    assert coerce_guid(str(value).upper()) == value


# -- a refused value raises ValueError and nothing else ---------------------------------

COERCERS: dict[str, Any] = {
    "decimal": lambda v: coerce_decimal(v, SCALE),
    "integer": coerce_integer,
    "big_integer": coerce_big_integer,
    "record_id": coerce_record_id,
    "boolean": coerce_boolean,
    "date": coerce_date,
    "datetime": coerce_datetime,
    "guid": coerce_guid,
    "text": lambda v: coerce_text(v, 20, FieldType.TEXT),
    "email": lambda v: coerce_text(v, 50, FieldType.EMAIL),
    "url": lambda v: coerce_text(v, 50, FieldType.URL),
    "phone": lambda v: coerce_text(v, 50, FieldType.PHONE),
}


@pytest.mark.parametrize("kind", sorted(COERCERS))
@given(value=anything)
def test_a_refused_value_raises_value_error_only(kind, value):
    with contextlib.suppress(ValueError):
        COERCERS[kind](value)
