"""Safe value conversions to a destination field's kind, and which kinds a mapping may join.

Conversions run after the transforms, on the value's runtime type (a ValueMap or Default may
produce text for a number field): numbers become the destination's number type, decimals
truncated toward zero for integer fields (data-integrator.md section 12: "numbers are truncated
automatically"); numbers and GUIDs become text; text that spells a number, boolean or ISO date
becomes one; a date becomes midnight UTC for a datetime field, and text without a zone is UTC.
A value that cannot be converted fails its record. Over-long text is left to the destination
unless the mapping asks for Truncate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from commonground.integration.contracts import ValueKind
from commonground.integration.mapping.transforms import ValueRejectedError

Coerce = Callable[[Any], Any]

NUMBERS = frozenset({ValueKind.INTEGER, ValueKind.DECIMAL, ValueKind.FLOAT})

# Source kind -> destination kinds a plain copy may write (DIPV1030 otherwise).
COMPATIBLE: dict[ValueKind, frozenset[ValueKind]] = {
    ValueKind.TEXT: frozenset({ValueKind.TEXT, ValueKind.GUID}),
    ValueKind.INTEGER: NUMBERS | {ValueKind.TEXT, ValueKind.BOOLEAN},
    ValueKind.DECIMAL: NUMBERS | {ValueKind.TEXT},
    ValueKind.FLOAT: NUMBERS | {ValueKind.TEXT},
    ValueKind.BOOLEAN: frozenset({ValueKind.BOOLEAN}),
    ValueKind.DATE: frozenset({ValueKind.DATE, ValueKind.DATETIME}),
    ValueKind.DATETIME: frozenset({ValueKind.DATETIME}),
    ValueKind.GUID: frozenset({ValueKind.GUID, ValueKind.TEXT}),
    ValueKind.LOOKUP: frozenset({ValueKind.LOOKUP}),
    ValueKind.STRUCTURED: frozenset({ValueKind.STRUCTURED}),
}

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def compatible(source: ValueKind, destination: ValueKind) -> bool:
    """Whether a copy from one kind to another is safe without a transform."""
    return destination in COMPATIBLE[source]


def _reject(value: Any, field: str, kind: str) -> ValueRejectedError:
    return ValueRejectedError(f"value '{value}' cannot be written to {kind} field {field}")


def _decimal(value: Any, field: str, kind: str) -> Decimal:
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(repr(value))
    except InvalidOperation:
        raise _reject(value, field, kind) from None
    if not number.is_finite():
        raise _reject(value, field, kind)
    return number


def coercer(kind: ValueKind, field: str) -> Coerce | None:
    """The conversion to one destination kind (None when values pass unchanged)."""
    maker = _MAKERS.get(kind)
    return maker(field) if maker else None


def _to_integer(field: str) -> Coerce:
    def coerce(value: Any) -> Any:
        t = type(value)
        if t is int or value is None:
            return value
        if t is Decimal:
            if not value.is_finite():
                raise _reject(value, field, "integer")
            return int(value)
        if t is float:
            if not math.isfinite(value):
                raise _reject(value, field, "integer")
            return int(value)
        if t is str:
            return int(_decimal(value, field, "integer"))
        raise _reject(value, field, "integer")

    return coerce


def _to_decimal(field: str) -> Coerce:
    def coerce(value: Any) -> Any:
        t = type(value)
        if t is Decimal or value is None:
            return value
        if t is int:
            return Decimal(value)
        if t is float or t is str:
            return _decimal(value, field, "decimal")
        raise _reject(value, field, "decimal")

    return coerce


def _to_float(field: str) -> Coerce:
    def coerce(value: Any) -> Any:
        t = type(value)
        if t is float or value is None:
            return value
        if t is int or t is Decimal:
            return float(value)
        if t is str:
            return float(_decimal(value, field, "float"))
        raise _reject(value, field, "float")

    return coerce


def _to_text(field: str) -> Coerce:
    def coerce(value: Any) -> Any:
        t = type(value)
        if t is str or value is None:
            return value
        if t is int or t is Decimal or t is float or t is UUID:
            return str(value)
        raise _reject(value, field, "text")

    return coerce


def _to_boolean(field: str) -> Coerce:
    def coerce(value: Any) -> Any:
        t = type(value)
        if t is bool or value is None:
            return value
        if t is int and value in (0, 1):
            return bool(value)
        if t is str:
            folded = value.strip().casefold()
            if folded in _TRUE:
                return True
            if folded in _FALSE:
                return False
        raise _reject(value, field, "boolean")

    return coerce


def _to_date(field: str) -> Coerce:
    def coerce(value: Any) -> Any:
        t = type(value)
        if t is date or value is None:
            return value
        if t is str:
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise _reject(value, field, "date") from None
        raise _reject(value, field, "date")

    return coerce


def _to_datetime(field: str) -> Coerce:
    def coerce(value: Any) -> Any:
        t = type(value)
        if t is datetime or value is None:
            return value
        if t is date:
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if t is str:
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                raise _reject(value, field, "datetime") from None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        raise _reject(value, field, "datetime")

    return coerce


def _to_guid(field: str) -> Coerce:
    def coerce(value: Any) -> Any:
        t = type(value)
        if t is UUID or value is None:
            return value
        if t is str:
            try:
                return UUID(value.strip())
            except ValueError:
                raise _reject(value, field, "guid") from None
        raise _reject(value, field, "guid")

    return coerce


_MAKERS: dict[ValueKind, Callable[[str], Coerce]] = {
    ValueKind.INTEGER: _to_integer,
    ValueKind.DECIMAL: _to_decimal,
    ValueKind.FLOAT: _to_float,
    ValueKind.TEXT: _to_text,
    ValueKind.BOOLEAN: _to_boolean,
    ValueKind.DATE: _to_date,
    ValueKind.DATETIME: _to_datetime,
    ValueKind.GUID: _to_guid,
}
