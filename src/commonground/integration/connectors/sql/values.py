"""Python values to and from the columns of a reflected table.

Every value crossing the connector goes through here in one of two directions: `to_column`
turns what a mapping produced into what the column stores (or refuses it with the reason, the
message of a RecordFailure), `from_column` turns what the driver returned into the contract's
plain values (datetimes timezone-aware UTC, booleans as bool). A write compares
`from_column(to_column(given))` with `from_column(stored)`, so "unchanged" means equal as
stored: 1.50 equals 1.5 in a numeric(10,2), a datetime equals its truncation in DATETIME(0).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Column
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

from commonground.integration.contracts import ValueKind

INTEGER_BITS = {
    sqltypes.BigInteger: 64,
    sqltypes.SmallInteger: 16,
    mysql.TINYINT: 8,
    mysql.MEDIUMINT: 24,
}
TRUE_TEXTS = frozenset({"true", "1", "yes"})
FALSE_TEXTS = frozenset({"false", "0", "no"})


# Checked in order: Float before Numeric, of which it is a kind.
TYPE_KINDS: tuple[tuple[type[TypeEngine[Any]], ValueKind], ...] = (
    (sqltypes.Boolean, ValueKind.BOOLEAN),
    (sqltypes.Integer, ValueKind.INTEGER),
    (sqltypes.Float, ValueKind.FLOAT),
    (sqltypes.Numeric, ValueKind.DECIMAL),
    (sqltypes.DateTime, ValueKind.DATETIME),
    (sqltypes.Date, ValueKind.DATE),
    (sqltypes.Uuid, ValueKind.GUID),
    (sqltypes.String, ValueKind.TEXT),
)


def _kind_of_type(column_type: TypeEngine[Any]) -> ValueKind | None:
    """The value kind of a column type, or None when the connector cannot carry it."""
    if isinstance(column_type, mysql.TINYINT) and column_type.display_width == 1:
        return ValueKind.BOOLEAN  # MySQL's BOOLEAN is TINYINT(1)
    return next((kind for cls, kind in TYPE_KINDS if isinstance(column_type, cls)), None)


@dataclass(frozen=True)
class ColumnValues:
    """How values of one column are checked and converted; `kind` is never LOOKUP.

    The limits are read from the reflected type once, before SQLite's numeric columns get
    the exact-decimal type that replaces SQLAlchemy's lossy one.
    """

    column: Column[Any]
    kind: ValueKind
    dialect: str
    length: int | None = None  # text
    bits: int = 64  # integers
    precision: int | None = None  # decimals
    scale: int | None = None
    timezone: bool = False  # datetimes: stored with a time zone
    fraction_digits: int = 6  # datetimes: sub-second digits the column keeps

    @classmethod
    def of(cls, column: Column[Any], dialect: str) -> ColumnValues | None:
        """The values of a reflected column, or None when its type is not supported."""
        kind = _kind_of_type(column.type)
        if kind is None:
            return None
        kept = (getattr(column.type, "fsp", None) or 0) if dialect == "mysql" else 6
        return cls(
            column,
            kind,
            dialect,
            length=getattr(column.type, "length", None),
            bits=_integer_bits(column.type, dialect),
            precision=getattr(column.type, "precision", None),
            scale=getattr(column.type, "scale", None),
            timezone=bool(getattr(column.type, "timezone", False)),
            fraction_digits=kept,
        )

    @property
    def name(self) -> str:
        """The column's name."""
        return self.column.name

    def to_column(self, value: Any) -> Any:
        """The value as the column stores it; ValueError says why it does not fit."""
        if value is None:
            return None
        return _WRITERS[self.kind](self, value)

    def from_column(self, value: Any) -> Any:
        """A stored value as the contract's plain Python value."""
        if value is None:
            return None
        if self.kind is ValueKind.DATETIME:
            return as_utc(value)
        if self.kind is ValueKind.BOOLEAN:
            return bool(value)
        if self.kind is ValueKind.GUID and not isinstance(value, uuid.UUID):
            return uuid.UUID(str(value))
        return value


CONVERTED_KINDS = frozenset({ValueKind.DATETIME, ValueKind.BOOLEAN, ValueKind.GUID})
"""Kinds whose stored values `from_column` changes; every other kind comes as it is."""


def to_json(value: Any) -> Any:
    """A plain value in a form JSON keeps (dates, decimals and GUIDs as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def as_utc(value: datetime) -> datetime:
    """A datetime in UTC, timezone-aware; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _text(spec: ColumnValues, value: Any) -> str:
    if type(value) is str and (spec.length is None or len(value) <= spec.length):
        return value  # the common case, checked first
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | uuid.UUID):
        raise ValueError(f"expects text, not {_describe(value)}")
    text = str(value)
    if spec.length is not None and len(text) > spec.length:
        raise ValueError(f"is longer than {spec.length} characters ({len(text)})")
    return text


def _integer(spec: ColumnValues, value: Any) -> int:
    number = _whole_number(value)
    low, high = -(2 ** (spec.bits - 1)), 2 ** (spec.bits - 1) - 1
    if not low <= number <= high:
        raise ValueError(f"{number} does not fit a {spec.bits}-bit integer")
    return number


def _integer_bits(column_type: TypeEngine[Any], dialect: str) -> int:
    for cls, size in INTEGER_BITS.items():
        if isinstance(column_type, cls):
            return size
    return 64 if dialect == "sqlite" else 32


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expects a whole number, not {_describe(value)}")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"expects a whole number, not {_describe(value)}") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"expects a whole number, not {value!r}")
    return int(number)


def _decimal(spec: ColumnValues, value: Any) -> Decimal:
    number = _number(value)
    precision, scale = spec.precision, spec.scale
    if scale is not None:
        number = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if precision is not None and number and number.adjusted() + 1 > precision - (scale or 0):
        raise ValueError(f"{value} does not fit numeric({precision}, {scale or 0})")
    return number


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"expects a number, not {_describe(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expects a number, not {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"expects a finite number, not {value}")
    return number


def _float(_spec: ColumnValues, value: Any) -> float:
    return float(_number(value))


def _boolean(_spec: ColumnValues, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_TEXTS | FALSE_TEXTS:
        return value.strip().lower() in TRUE_TEXTS
    raise ValueError(f"expects true or false, not {value!r}")


def _date(_spec: ColumnValues, value: Any) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"expects a date, not the date-time {value.isoformat()}")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expects a date (YYYY-MM-DD), not {value!r}")


def _datetime(spec: ColumnValues, value: Any) -> datetime:
    moment = _moment(value)
    if spec.fraction_digits < 6:  # MySQL keeps none by default: compare what it will keep
        step = 10 ** (6 - spec.fraction_digits)
        moment = moment.replace(microsecond=moment.microsecond // step * step)
    if spec.timezone:
        return moment
    return moment.replace(tzinfo=None)


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise ValueError(f"expects a date-time (ISO 8601), not {value!r}")


def _guid(_spec: ColumnValues, value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValueError(f"expects a GUID, not {value!r}") from None


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


_WRITERS: dict[ValueKind, Callable[[ColumnValues, Any], Any]] = {
    ValueKind.TEXT: _text,
    ValueKind.INTEGER: _integer,
    ValueKind.DECIMAL: _decimal,
    ValueKind.FLOAT: _float,
    ValueKind.BOOLEAN: _boolean,
    ValueKind.DATE: _date,
    ValueKind.DATETIME: _datetime,
    ValueKind.GUID: _guid,
}
