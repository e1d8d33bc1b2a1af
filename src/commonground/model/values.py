"""Coercion of one input value to the canonical Python value of a storage family.

These are the slow, precise paths: they accept every documented input form and explain a
rejection in a message fit for a per-record error. The store's batch converters try a fast
whole-column check first and fall back to these only for the values that need them.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from commonground.model.types import (
    INTEGER_MAX,
    INTEGER_MIN,
    NUMBER_DIGITS,
    FieldType,
)

BIG_MIN = -(2**63)
BIG_MAX = 2**63 - 1
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
PHONE_PATTERN = re.compile(r"^[0-9+\-().\s/#*xXextEXT]+$")
TRUE_WORDS = frozenset({"true", "yes", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "n"})

Coercer = Callable[[Any], Any]


def describe(value: Any) -> str:
    """A short description of a rejected value for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def coerce_text(value: Any, length: int | None, field_type: FieldType) -> str | None:
    """A string within its length; empty text counts as no value."""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {describe(value)}")
    if value == "":
        return None
    if length is not None and len(value) > length:
        raise ValueError(f"text of {len(value)} characters exceeds the maximum length of {length}")
    if field_type is FieldType.EMAIL and not EMAIL_PATTERN.match(value):
        raise ValueError(f"{describe(value)} is not an email address")
    if field_type in (FieldType.URL, FieldType.IMAGE_URL) and not URL_PATTERN.match(value):
        raise ValueError(f"{describe(value)} is not a URL (it needs a scheme such as https:)")
    if field_type is FieldType.PHONE and not PHONE_PATTERN.match(value):
        raise ValueError(f"{describe(value)} is not a phone number")
    return value


def coerce_decimal(value: Any, scale: int) -> Decimal:
    """A decimal of at most 32 digits with at most `scale` places.

    Floats are rounded to the scale (they are inexact anyway); exact inputs (Decimal, int,
    text) with more places than the field keeps are rejected rather than silently rounded.
    Arithmetic runs with more precision than the default 28 digits, so every value the
    type allows is exact and anything larger is a clear error, never InvalidOperation.
    """
    with localcontext() as context:
        context.prec = NUMBER_DIGITS + 8
        try:
            return _coerce_decimal(value, scale)
        except InvalidOperation:
            raise ValueError(
                f"{describe(value)} has more than {NUMBER_DIGITS} digits in total"
            ) from None


def _coerce_decimal(value: Any, scale: int) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {describe(value)}")
    quantum = Decimal(1).scaleb(-scale)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {describe(value)}")
        number = Decimal(repr(value)).quantize(quantum)
    elif isinstance(value, int | Decimal | str):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValueError(f"expected a number, got {describe(value)}") from None
        if not number.is_finite():
            raise ValueError(f"expected a finite number, got {describe(value)}")
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)
        if exponent < -scale and number != number.quantize(quantum):
            raise ValueError(f"{describe(value)} has more than {scale} decimal places")
        number = number.quantize(quantum)
    else:
        raise ValueError(f"expected a number, got {describe(value)}")
    integer_digits = len(number.as_tuple().digits) - scale
    if integer_digits > NUMBER_DIGITS - scale:
        raise ValueError(f"{describe(value)} has more than {NUMBER_DIGITS} digits in total")
    return number


def coerce_integer(value: Any, low: int = INTEGER_MIN, high: int = INTEGER_MAX) -> int:
    """A whole number within [low, high]; integral floats and numeric text are accepted."""
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {describe(value)}")
    number: int
    if isinstance(value, int):
        number = value
    elif _is_whole(value) or (isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value)):
        number = int(value)
    else:
        raise ValueError(f"expected a whole number, got {describe(value)}")
    if not low <= number <= high:
        raise ValueError(f"{number} is outside the range {low} to {high}")
    return number


def _is_whole(value: Any) -> bool:
    """A finite float or Decimal without a fractional part (NaNs and infinities are not)."""
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    if isinstance(value, Decimal):
        return value.is_finite() and value == value.to_integral_value()
    return False


def coerce_big_integer(value: Any) -> int:
    """A 64-bit whole number."""
    return coerce_integer(value, BIG_MIN, BIG_MAX)


def coerce_boolean(value: Any) -> bool:
    """True or False; also the words true/false, yes/no and the numbers 1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(f"expected true or false, got {describe(value)}")


def coerce_date(value: Any) -> date:
    """A calendar date; only the date part is used and no time zone applies."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ValueError(f"expected a date (YYYY-MM-DD), got {describe(value)}")


def coerce_datetime(value: Any) -> datetime:
    """An instant, in UTC. Naive values are taken as UTC; aware ones are converted."""
    moment: datetime
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"expected a date and time (ISO 8601), got {describe(value)}"
            ) from None
    else:
        raise ValueError(f"expected a date and time, got {describe(value)}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
        raise ValueError(f"{moment.isoformat()} is before year 1 or after 9999 in UTC") from None


def coerce_guid(value: Any) -> uuid.UUID:
    """A GUID, from a UUID or its text form."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a GUID, got {describe(value)}")


def coerce_record_id(value: Any) -> int:
    """A RecordId: a positive 64-bit whole number."""
    number = coerce_big_integer(value)
    if number < 1:
        raise ValueError(f"a record id is a positive number, got {number}")
    return number
