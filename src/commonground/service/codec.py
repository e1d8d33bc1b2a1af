"""Records <-> driver rows for one entity, a whole column at a time.

Encoding converts each provided field of a batch as one column: a fast check accepts the
common case (all values already of the right Python type and within limits) with one pass in
C-level loops, and only a column that fails it is converted value by value through the
precise coercers of `model.values`, which explain every rejection. Decoding turns stored rows
back into records: picklists as item names, compound fields as dicts, instants in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import chain, repeat
from typing import Any
from uuid import UUID

from commonground.errors import RecordError
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.types import INTEGER_MAX, INTEGER_MIN, FieldType, Storage
from commonground.model.values import (
    EMAIL_PATTERN,
    PHONE_PATTERN,
    URL_PATTERN,
    coerce_big_integer,
    coerce_boolean,
    coerce_date,
    coerce_datetime,
    coerce_decimal,
    coerce_guid,
    coerce_integer,
    coerce_record_id,
    coerce_text,
    describe,
)
from commonground.store.dialects.base import StoreDialect

# Whole numbers below this are exact as decimals in every store (SQLite keeps 15 digits).
SAFE_WHOLE = 10**15
SQLITE_DIGITS = 15  # significant digits a double keeps exactly

Column = list[Any]
# Stored values of these exact types are records' values as they are (see _stored).
KEPT_TYPES = frozenset({str, int, bool, Decimal, date, UUID})
MAX_PLANS = 64  # row plans kept per codec (one per list of fields a read selects)
_Part = tuple[str, int, "dict[int, str] | None"]
_Step = tuple[str, int, "dict[int, str] | None", "list[_Part] | None"]
ColumnErrors = list[tuple[int, str, str]]  # (position in batch, field label, message)


class Record(dict[str, Any]):
    """A record as the service returns it: field name -> value, plus related records.

    `related` is made on first use, so a record is built by dict's own constructor: reads
    build tens of thousands of them, and most never get related records.
    """

    __slots__ = ("_related",)

    @property
    def related(self) -> dict[str, Any]:
        """Expanded lookups and included children, by navigation name."""
        try:
            return self._related
        except AttributeError:
            self._related: dict[str, Any] = {}
            return self._related

    def has_related(self) -> bool:
        """Whether any related records were added (without making `related` for asking)."""
        return bool(getattr(self, "_related", None))


def canonical(model: DataModel, field: Field, value: Any) -> Any:
    """The canonical Python value of one input value for a scalar field (ValueError if bad)."""
    if value is None:
        return None
    storage = field.storage
    if storage is Storage.STRING:
        return coerce_text(value, field.length, field.type)
    if storage is Storage.DECIMAL:
        return coerce_decimal(value, field.scale)
    if storage is Storage.INTEGER:
        return coerce_integer(value)
    if storage is Storage.BIG_INTEGER:
        return coerce_big_integer(value)
    if storage is Storage.BOOLEAN:
        return coerce_boolean(value)
    if storage is Storage.DATE:
        return coerce_date(value)
    if storage is Storage.DATETIME:
        return coerce_datetime(value)
    if storage is Storage.GUID:
        return coerce_guid(value)
    if storage is Storage.LOOKUP:
        return coerce_record_id(value)
    if storage is Storage.PICKLIST:
        return _picklist_value(model, field, value)
    raise ValueError(f"{field.type} values are structured; give a mapping of its parts")


def _picklist_value(model: DataModel, field: Field, value: Any) -> int:
    assert field.picklist is not None
    picklist = model.picklist(field.picklist)
    if isinstance(value, str):
        number = picklist.value_of(value.strip())
        if number is not None:
            return number
    elif isinstance(value, int) and not isinstance(value, bool) and picklist.name_of(value):
        return value
    names = [item.name for item in picklist.items]
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    raise ValueError(f"{describe(value)} is not an item of picklist {picklist.name} ({shown})")


FastPath = Callable[[Sequence[Any]], Column | None]


@dataclass
class FieldCodec:
    """Converts one scalar field's column of input values into driver parameters."""

    field: Field
    label: str
    model: DataModel
    to_param: Callable[[Any], Any] | None
    fast: FastPath | None

    def encode(self, values: Sequence[Any], errors: ColumnErrors) -> Column:
        """Driver parameters for the column; bad values become None plus an error."""
        if all_none(values):  # a part or field no record gives
            return list(values)
        if self.fast is not None:
            done = self.fast(values)
            if done is not None:
                return done
        out: Column = []
        for position, value in enumerate(values):
            try:
                out.append(canonical(self.model, self.field, value))
            except ValueError as exc:
                errors.append((position, self.label, str(exc)))
                out.append(None)
        if self.to_param is not None:
            convert = self.to_param
            for position, value in enumerate(out):
                if value is not None:
                    try:
                        out[position] = convert(value)
                    except ValueError as exc:
                        errors.append((position, self.label, str(exc)))
                        out[position] = None
        return out


NONE_TYPE = type(None)
TEXT_TYPES = frozenset({str, NONE_TYPE})
INT_TYPES = frozenset({int, NONE_TYPE})
BOOL_TYPES = frozenset({bool, NONE_TYPE})
ITEM_TYPES = frozenset({str, int, NONE_TYPE})
DICT_TYPES = frozenset({dict, NONE_TYPE})
FRACTION_TYPES = frozenset({float, Decimal, int, NONE_TYPE})
EMPTY: dict[str, Any] = {}


def all_none(values: Sequence[Any]) -> bool:
    """Whether every value is None. The first value decides most columns: comparing other
    values with None (list.count, `in`) costs ~11 ns each, a tenth of a bulk load's encoding."""
    return not values or (values[0] is None and values.count(None) == len(values))


def _is_not_none(value: Any) -> bool:
    return value is not None


def _in_range(values: Sequence[Any], low: int, high: int, types: set[type]) -> bool:
    """Whether the values that are not None lie within [low, high]; `types` are theirs."""
    present = list(filter(_is_not_none, values)) if NONE_TYPE in types else values
    return not present or (low <= min(present) and max(present) <= high)


def fast_path(
    model: DataModel, field: Field, to_param: Callable[[Any], Any] | None
) -> FastPath | None:
    """A whole-column converter for the common case; it returns None to defer to the slow path.

    Each one proves with C-level passes (map, min, max, set of types) that every value already
    has the canonical type and fits, so the explaining coercers run only for columns that
    need them. A bulk load spends well under a microsecond per value here.
    """
    storage = field.storage
    if storage is Storage.STRING:
        return _text_path(field)
    if storage is Storage.BOOLEAN:
        return _bool_path(to_param)
    if storage in (Storage.INTEGER, Storage.LOOKUP):
        low, high = (1, 2**63 - 1) if storage is Storage.LOOKUP else (INTEGER_MIN, INTEGER_MAX)

        def whole(values: Sequence[Any]) -> Column | None:
            types = set(map(type, values))
            if types <= INT_TYPES and _in_range(values, low, high, types):
                return list(values)
            return None

        return whole
    if storage is Storage.PICKLIST:
        return _picklist_path(model, field)
    if storage is Storage.DECIMAL:
        return _decimal_path(to_param, field.scale)
    return None


def _bool_path(to_param: Callable[[Any], Any] | None) -> FastPath:
    def flags(values: Sequence[Any]) -> Column | None:
        if not set(map(type, values)) <= BOOL_TYPES:
            return None
        if to_param is None:
            return list(values)
        return [None if v is None else to_param(v) for v in values]

    return flags


# Python's \s as a set of characters. sre tests this set several times faster than the
# whitespace category (an e-mail column checked at ~200 ns a value, ~85 ns with the set).
SPACES = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _column_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A pattern for a whole column: its values, each followed by a newline (see _all_match).

    Our patterns use \\s only inside a set and \\S only outside one: both become sets of
    characters (see SPACES).
    """
    body = pattern.pattern.removeprefix("^").removesuffix("$")
    body = body.replace(r"\s", SPACES).replace(r"\S", f"[^{SPACES}]")
    return re.compile(f"(?:{body}\n)*")


def _all_match(column_pattern: re.Pattern[str], values: list[str]) -> bool:
    """Whether every value matches, checked by one regex run over the joined column.

    One C-level scan instead of a call per value. The joins are the only newlines (a value
    holding one is left to the per-value path), so each segment is exactly one value; False
    also when a value matches only per value (its `$` before a final newline): the caller's
    slow path then decides value by value.
    """
    if not values:
        return True
    joined = "\n".join(values) + "\n"
    if joined.count("\n") != len(values):
        return False
    return column_pattern.fullmatch(joined) is not None


def _text_path(field: Field) -> FastPath:
    limit = field.length or 0
    pattern = None
    if field.type is FieldType.EMAIL:
        pattern = EMAIL_PATTERN
    elif field.type in (FieldType.URL, FieldType.IMAGE_URL):
        pattern = URL_PATTERN
    elif field.type is FieldType.PHONE:
        pattern = PHONE_PATTERN

    column_pattern = _column_pattern(pattern) if pattern is not None else None

    def text(values: Sequence[Any]) -> Column | None:
        if not set(map(type, values)) <= TEXT_TYPES:
            return None
        present = list(filter(None, values))  # also drops "", which counts as no value
        if present and max(map(len, present)) > limit:
            return None
        if column_pattern is not None and not _all_match(column_pattern, present):
            return None
        return [v or None for v in values] if "" in values else list(values)

    return text


def _picklist_path(model: DataModel, field: Field) -> FastPath:
    assert field.picklist is not None
    picklist = model.picklist(field.picklist)
    table: dict[Any, int | None] = {None: None}
    for item in picklist.items:
        table[item.value] = item.value
        table[item.name] = item.value
        table[item.name.lower()] = item.value

    def items(values: Sequence[Any]) -> Column | None:
        if not set(map(type, values)) <= ITEM_TYPES:
            return None  # 1.0 or True would hash like 1: leave them to the slow path
        try:
            return list(map(table.__getitem__, values))
        except KeyError:
            return None

    return items


def _decimal_path(to_param: Callable[[Any], Any] | None, scale: int) -> FastPath:
    limit = 10 ** (SQLITE_DIGITS - scale)

    def whole(values: Sequence[Any]) -> Column | None:
        types = set(map(type, values))
        if types <= INT_TYPES and _in_range(values, -SAFE_WHOLE, SAFE_WHOLE, types):
            if to_param is None:  # the driver takes decimals: send exact ones
                return [None if v is None else Decimal(v) for v in values]
            return list(values)
        if to_param is not None and types <= FRACTION_TYPES:
            return _stored_numbers(values, scale, limit)
        return None

    return whole


def _stored_numbers(values: Sequence[Any], scale: int, limit: int) -> Column | None:
    """The numbers SQLite stores for floats and decimals that already fit the scale.

    A value qualifies when it has few enough digits to be exact as a double and rounding it
    to the scale does not change it; anything else (more places, more digits) takes the slow
    path, which explains the problem. The checks are whole-column passes (map, min, max), so
    a column costs well under a microsecond per value; SQLite's NUMERIC affinity stores
    integral doubles as integers, as the slow path does.
    """
    if None in values:
        present = [v for v in values if v is not None]
        numbers = _stored_numbers(present, scale, limit) if present else []
        if numbers is None:
            return None
        found = iter(numbers)
        return [None if v is None else next(found) for v in values]
    decimals = [v for v in values if type(v) is Decimal]
    # A decimal's text has at least as many characters as it has digits: short texts need
    # no count (several times cheaper than as_tuple), longer ones are counted exactly.
    if (
        decimals
        and max(map(len, map(str, decimals))) > SQLITE_DIGITS
        and max(map(len, map(_digits, decimals))) > SQLITE_DIGITS
    ):
        return None
    numbers = list(map(float, values))
    if not numbers:
        return numbers
    if not -limit < min(numbers) or not max(numbers) < limit:
        return None
    if list(map(round, numbers, repeat(scale))) != numbers:
        return None
    return numbers


def _digits(value: Decimal) -> tuple[int, ...]:
    return value.as_tuple().digits


def _split_fast(names: list[str], values: Sequence[Any]) -> dict[str, list[Any]] | None:
    """Part columns when every value is a dict using only the exact part names, else None."""
    types = set(map(type, values))
    if not types <= DICT_TYPES:
        return None
    mappings = [v or EMPTY for v in values] if NONE_TYPE in types else values
    given = set(chain.from_iterable(mappings))
    if not given <= set(names):
        return None
    return {
        n: list(map(dict.get, mappings, repeat(n))) if n in given else [None] * len(values)
        for n in names
    }


class EntityCodec:
    """Encodes batches of records of one entity and decodes its stored rows."""

    def __init__(self, model: DataModel, entity: Entity, dialect: StoreDialect) -> None:
        self.model = model
        self.entity = entity
        self.dialect = dialect
        self._codecs: dict[str, FieldCodec] = {}
        for field in entity.all_fields:
            if field.is_compound:
                for part in field.parts:
                    self._add(field.part_field(part), f"{field.name}/{part.name}")
            else:
                self._add(field, field.name)
        self._plans: dict[int, tuple[Sequence[Field], list[_Step]]] = {}
        self._picklist_names: dict[str, dict[int, str]] = {
            f.name: {i.value: i.name for i in model.picklist(f.picklist).items}
            for f in self._scalar_fields()
            if f.picklist
        }

    def _add(self, field: Field, label: str) -> None:
        self._codecs[field.name] = FieldCodec(
            field,
            label,
            self.model,
            self.dialect.param_converter(field.storage),
            fast_path(self.model, field, self.dialect.param_converter(field.storage)),
        )

    def _scalar_fields(self) -> list[Field]:
        return [c.field for c in self._codecs.values()]

    def encode_field(
        self, field: Field, values: Sequence[Any], errors: ColumnErrors
    ) -> list[tuple[str, Column]]:
        """The driver columns of one field for a batch of its input values."""
        if not field.is_compound:
            return [(field.name, self._codecs[field.name].encode(values, errors))]
        names = [p.name for p in field.parts]
        split = _split_fast(names, values)
        if split is None:
            split = self._split_parts(field, values, errors)
        return [
            (column, self._codecs[column].encode(split[name], errors))
            for name, column in zip(names, field.column_names(), strict=True)
        ]

    def _split_parts(
        self, field: Field, values: Sequence[Any], errors: ColumnErrors
    ) -> dict[str, list[Any]]:
        """Part columns of a compound field, accepting any case and explaining bad values."""
        parts = {p.name.lower(): p for p in field.parts}
        split: dict[str, list[Any]] = {p.name: [None] * len(values) for p in field.parts}
        for position, value in enumerate(values):
            if value is None:
                continue
            if field.type is FieldType.CURRENCY and not isinstance(value, dict):
                split["Amount"][position] = value
                continue
            if not isinstance(value, dict):
                errors.append(
                    (position, field.name, f"expected a mapping of parts, got {describe(value)}")
                )
                continue
            for key, part_value in value.items():
                part = parts.get(str(key).lower())
                if part is None:
                    known = ", ".join(p.name for p in field.parts)
                    errors.append(
                        (position, f"{field.name}/{key}", f"unknown part (parts: {known})")
                    )
                else:
                    split[part.name][position] = part_value
        return split

    def canonical_param(self, column: str, value: Any) -> Any:
        """One value of one column as a driver parameter (ValueError if it does not fit)."""
        codec = self._codecs[column]
        result = canonical(self.model, codec.field, value)
        if result is not None and codec.to_param is not None:
            result = codec.to_param(result)
        return result

    def decode(self, fields: Sequence[Field], row: Sequence[Any]) -> Record:
        """A record from a stored row holding the columns of `fields` in order.

        Follows a plan made once per list of fields (the point read of an entity reuses
        its list): no column names are built and no picklist is looked up per value.
        """
        record = Record()
        for name, index, names, parts in self._row_plan(fields):
            if parts is None:
                value = row[index]
                if value is not None and (names is not None or type(value) not in KEPT_TYPES):
                    value = names.get(value, value) if names is not None else _stored(value)
                record[name] = value
                continue
            compound = {}
            for part, part_index, part_names in parts:
                value = row[part_index]
                if value is not None and (part_names is not None or type(value) not in KEPT_TYPES):
                    value = (
                        part_names.get(value, value) if part_names is not None else _stored(value)
                    )
                compound[part] = value
            record[name] = compound
        return record

    def _row_plan(self, fields: Sequence[Field]) -> list[_Step]:
        """Per field in order: its name, first column, picklist names, and its parts'."""
        known = self._plans.get(id(fields))
        if known is not None and known[0] is fields:
            return known[1]
        plan: list[_Step] = []
        position = 0
        for field in fields:
            if not field.is_compound:
                plan.append((field.name, position, self._picklist_names.get(field.name), None))
                position += 1
                continue
            parts = []
            for part in field.parts:
                names = self._picklist_names.get(f"{field.name}_{part.name}")
                parts.append((part.name, position, names))
                position += 1
            plan.append((field.name, position - len(parts), None, parts))
        if len(self._plans) >= MAX_PLANS:
            self._plans.clear()
        self._plans[id(fields)] = (fields, plan)
        return plan

    def decode_rows(self, fields: Sequence[Field], rows: Iterable[Sequence[Any]]) -> list[Record]:
        """Records from stored rows (as `decode`), converted a column at a time.

        A column holding no date-times or floats is taken as it is, checked by one pass
        over its types; only picklists and columns that need it are converted value by value.
        """
        table = list(rows)
        if not table:
            return []
        columns = list(zip(*table, strict=True))
        names: list[str] = []
        values: list[Sequence[Any]] = []
        position = 0
        for field in fields:
            names.append(field.name)
            if not field.is_compound:
                values.append(self._decode_column(field.name, columns[position]))
                position += 1
                continue
            parts = []
            for part in field.parts:
                column = f"{field.name}_{part.name}"
                parts.append(self._decode_column(column, columns[position]))
                position += 1
            part_names = [p.name for p in field.parts]
            values.append(
                [dict(zip(part_names, row, strict=True)) for row in zip(*parts, strict=True)]
            )
        return [Record(zip(names, row, strict=True)) for row in zip(*values, strict=True)]

    def _decode_column(self, column: str, values: Sequence[Any]) -> Sequence[Any]:
        names = self._picklist_names.get(column)
        if names is not None:
            get = names.get
            return [None if v is None else get(v, v) for v in values]
        if any(issubclass(kind, datetime | float) for kind in set(map(type, values))):
            return [self._decode_value(column, v) for v in values]
        return values

    def _decode_value(self, column: str, value: Any) -> Any:
        if value is None:
            return None
        names = self._picklist_names.get(column)
        if names is not None:
            return names.get(value, value)
        return _stored(value)


def _stored(value: Any) -> Any:
    """A stored value as records hold it: instants in UTC, floats as the decimals they are."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def record_errors(errors: ColumnErrors, positions: Sequence[int]) -> list[RecordError]:
    """Column errors of a group, re-addressed to the records' positions in the whole batch."""
    return [RecordError(positions[p], label, message) for p, label, message in errors]
