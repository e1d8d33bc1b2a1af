"""The kind of each column of a file, and its values converted to and from that kind.

CSV, JSON Lines and workbook files declare no types, so each column gets the one the
import's inference gives it (`service.inference`): the strictest type that accepts every
value, so "00123" stays text and a column of ISO dates is a date. Parquet columns take the
kind of their Arrow type. Converting uses the model's coercers, which explain a refusal;
the same conversion types what a read returns and what a write compares, so a value
written and read back compares equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from commonground.integration.connectors.commonground.schema import KIND_OF_STORAGE
from commonground.integration.connectors.files.formats import Table
from commonground.integration.contracts import ValueKind
from commonground.model.values import (
    coerce_big_integer,
    coerce_boolean,
    coerce_date,
    coerce_datetime,
    coerce_guid,
    describe,
)
from commonground.service.inference import ColumnProfile
from commonground.service.tabular import cell_text


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        raise ValueError(f"expected text, got {describe(value)}")
    return cell_text(value)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"expected a number, got {describe(value)}")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expected a number, got {describe(value)}") from None
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {describe(value)}")
    return number


def _float(value: Any) -> float:
    return float(_decimal(value))


def _structured(value: Any) -> Any:
    return value


def _datetime(value: Any) -> datetime:
    if isinstance(value, time):
        raise ValueError(f"expected a date and time, got {describe(value)}")
    return coerce_datetime(value)


CONVERTERS: dict[ValueKind, Callable[[Any], Any]] = {
    ValueKind.TEXT: _text,
    ValueKind.INTEGER: coerce_big_integer,
    ValueKind.DECIMAL: _decimal,
    ValueKind.FLOAT: _float,
    ValueKind.BOOLEAN: coerce_boolean,
    ValueKind.DATE: coerce_date,
    ValueKind.DATETIME: _datetime,
    ValueKind.GUID: coerce_guid,
    ValueKind.STRUCTURED: _structured,
}


@dataclass(frozen=True)
class Column:
    """One column of a file and the kind of its values."""

    name: str
    kind: ValueKind

    def convert(self, value: Any) -> Any:
        """The value as this column's kind (ValueError says why it is not one); "" is None."""
        if value is None or value == "":
            return None
        return CONVERTERS[self.kind](value)


def infer_columns(table: Table) -> list[Column]:
    """The columns of a table: declared kinds (Parquet), else inferred from every value."""
    if table.kinds is not None:
        return [Column(name, table.kinds[name]) for name in table.columns]
    profiles = [ColumnProfile(name) for name in table.columns]
    structured: set[int] = set()
    for row in table.read_rows():
        for position, (profile, value) in enumerate(zip(profiles, row, strict=False)):
            if isinstance(value, dict | list):
                structured.add(position)
            elif position not in structured:
                profile.observe(value)
    return [
        Column(name, ValueKind.STRUCTURED if i in structured else _inferred_kind(profile))
        for i, (name, profile) in enumerate(zip(table.columns, profiles, strict=True))
    ]


def _inferred_kind(profile: ColumnProfile) -> ValueKind:
    if not profile.values or not profile.candidates:
        return ValueKind.TEXT
    return KIND_OF_STORAGE[profile.candidates[0].field.storage]


def kind_of_value(value: Any) -> ValueKind:
    """The kind of a value written to a column the file does not have yet."""
    checks: tuple[tuple[type | tuple[type, ...], ValueKind], ...] = (
        (bool, ValueKind.BOOLEAN),
        (int, ValueKind.INTEGER),
        (float, ValueKind.FLOAT),
        (Decimal, ValueKind.DECIMAL),
        (datetime, ValueKind.DATETIME),
        (date, ValueKind.DATE),
        ((dict, list), ValueKind.STRUCTURED),
    )
    return next((kind for cls, kind in checks if isinstance(value, cls)), ValueKind.TEXT)
