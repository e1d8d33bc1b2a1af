"""Transforms (map type `Fn`): a JSON array of plain-data objects, applied in array order.

Each object has a `transformType` (data-integrator.md section 12):

    {"transformType": "Default", "defaultValue": v}     v when the value is None or blank
    {"transformType": "ValueMap", "valueMap": {...}}    replace by the mapped value
    {"transformType": "Truncate"}                        cut text to the destination length
    {"transformType": "Truncate", "length": n}           ... or to n characters
    {"transformType": "CountryRegionCode", "format": "alpha2"|"alpha3"|"name"|"numeric"}

Value map keys match case-insensitively, after `str()` of numbers and booleans (a source 0
matches key "0") and with surrounding spaces ignored. The blank key "" gives the value for a
blank source (None, or text of spaces only) and also for a value missing from the map; without a
blank key a missing value fails the record ("value 'X' of field F is not in the value map"), so
nothing silently wrong is written. An unknown country fails the record too. Truncate and
CountryRegionCode are the product's own shapes (the original never published them).

A malformed array raises TransformError naming the mapping and the (1-based) position in it.
Transforms are data: nothing here evaluates user text as code.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import pycountry

from commonground.errors import CommonGroundError, DefinitionError

Apply = Callable[[Any], Any]

FORMATS = ("alpha2", "alpha3", "name", "numeric")
# Names people use that ISO 3166 does not list (EL is the EU's code for Greece).
COUNTRY_ALIASES = {"uk": "GB", "el": "GR", "great britain": "GB", "england": "GB"}


class TransformError(DefinitionError):
    """A transform array is malformed; names the mapping and the position in the array."""

    code = "InvalidTransform"

    def __init__(self, mapping: str, position: int | None, problem: str) -> None:
        self.mapping = mapping
        self.position = position
        where = f", transform {position}" if position is not None else ""
        super().__init__(f"mapping {mapping}{where}: {problem}")


class ValueRejectedError(CommonGroundError):
    """One record's value cannot be transformed; the plan turns it into a record failure."""

    code = "ValueRejected"


def is_blank(value: Any) -> bool:
    """None, or text that is empty or spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


def map_key(value: Any) -> str:
    """The form in which value map keys and source values are compared."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float | Decimal) and _integral(value):
        text = str(int(value))
    elif isinstance(value, Decimal) and value.is_finite():
        text = format(value.normalize(), "f")  # 1.50 matches key "1.5"
    else:
        text = str(value)
    return text.strip().casefold()


def _integral(value: float | Decimal) -> bool:
    return math.isfinite(value) and value == int(value)


def duplicate_keys(value_map: Mapping[Any, Any]) -> list[str]:
    """Keys that fall together once compared case-insensitively (DIPV1029)."""
    seen: set[str] = set()
    duplicates: list[str] = []
    for key in value_map:
        folded = map_key(key)
        if folded in seen:
            duplicates.append(str(key))
        seen.add(folded)
    return duplicates


@dataclass(frozen=True)
class Default:
    """The value written when there is no value (None or blank text)."""

    value: Any

    def __call__(self, value: Any) -> Any:
        return self.value if is_blank(value) else value


class ValueMap:
    """Replace each value by the mapped one; see the module docstring for blank and misses."""

    _MISSING = object()

    def __init__(self, value_map: Mapping[str, Any], field: str) -> None:
        self.entries = {map_key(k): v for k, v in value_map.items()}
        self.blank = self.entries.pop("", self._MISSING)
        self.field = field

    @property
    def has_blank(self) -> bool:
        """Whether the map has a blank key (a default for blank and unmapped values)."""
        return self.blank is not self._MISSING

    def __call__(self, value: Any) -> Any:
        if is_blank(value):
            return value if self.blank is self._MISSING else self.blank
        found = self.entries.get(map_key(value), self._MISSING)
        if found is not self._MISSING:
            return found
        if self.blank is not self._MISSING:
            return self.blank
        raise ValueRejectedError(f"value '{value}' of field {self.field} is not in the value map")


@dataclass(frozen=True)
class Truncate:
    """Shorten text to `length` characters; other values pass unchanged."""

    length: int

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > self.length:
            return value[: self.length]
        return value


@dataclass(frozen=True)
class Country:
    """One ISO 3166 country in every format the transform can write."""

    alpha2: str
    alpha3: str
    name: str
    numeric: str


@cache
def countries() -> dict[str, Country]:
    """Every spelling (codes, names, official and common names, aliases) -> country, folded."""
    table: dict[str, Country] = {}
    by_alpha2: dict[str, Country] = {}
    for c in pycountry.countries:
        country = Country(c.alpha_2, c.alpha_3, c.name, c.numeric)
        by_alpha2[c.alpha_2] = country
        for attribute in ("alpha_2", "alpha_3", "numeric", "name", "official_name", "common_name"):
            spelling = getattr(c, attribute, None)
            if spelling:
                table.setdefault(spelling.casefold(), country)
    for alias, alpha2 in COUNTRY_ALIASES.items():
        table.setdefault(alias, by_alpha2[alpha2])
    return table


class CountryRegionCode:
    """Convert a country given in any ISO 3166 spelling to one format."""

    def __init__(self, format: str, field: str) -> None:
        self.format = format
        self.field = field
        self.table = countries()

    def __call__(self, value: Any) -> Any:
        if is_blank(value):
            return value
        text = str(value).strip().casefold()
        if text.isdigit():
            text = text.zfill(3)  # numeric codes: 4 and "4" are "004"
        country = self.table.get(text)
        if country is None:
            raise ValueRejectedError(
                f"value '{value}' of field {self.field} is not a known country or region"
            )
        return getattr(country, self.format)


Transform = Default | ValueMap | Truncate | CountryRegionCode


def parse_transforms(
    spec: Any, *, mapping: str, field: str, max_length: int | None = None
) -> tuple[Transform, ...]:
    """The transforms of one mapping row, in array order.

    `mapping` names the row in errors ("address1_country -> COUNTRY"); `field` names the value
    in record failures; `max_length` is the destination's length, used by a bare Truncate.
    """
    if spec is None:
        return ()
    if not isinstance(spec, list):
        raise TransformError(mapping, None, "transforms must be a JSON array of objects")
    return tuple(
        _parse_one(item, mapping, position, field, max_length)
        for position, item in enumerate(spec, start=1)
    )


def _parse_one(
    item: Any, mapping: str, position: int, field: str, max_length: int | None
) -> Transform:
    def fail(problem: str) -> TransformError:
        return TransformError(mapping, position, problem)

    if not isinstance(item, dict):
        raise fail("a transform must be an object with a transformType")
    kind = item.get("transformType")
    allowed = _ALLOWED.get(kind) if isinstance(kind, str) else None
    if allowed is None:
        raise fail(f"unknown transformType {kind!r} (expected one of {', '.join(_ALLOWED)})")
    extra = sorted(set(item) - allowed - {"transformType"})
    if extra:
        raise fail(f"{kind} does not take {', '.join(extra)}")
    if kind == "Default":
        if "defaultValue" not in item:
            raise fail("Default needs a defaultValue")
        if isinstance(item["defaultValue"], dict | list):
            raise fail("defaultValue must be a single value")
        return Default(item["defaultValue"])
    if kind == "ValueMap":
        value_map = item.get("valueMap")
        if not isinstance(value_map, dict):
            raise fail("ValueMap needs a valueMap object (source value -> destination value)")
        if any(isinstance(v, dict | list) for v in value_map.values()):
            raise fail("valueMap values must be single values")
        duplicates = duplicate_keys(value_map)
        if duplicates:
            raise fail(f"valueMap key '{duplicates[0]}' appears twice (keys ignore case)")
        return ValueMap(value_map, field)
    if kind == "Truncate":
        length = item.get("length", max_length)
        if length is None:
            raise fail("Truncate needs a length: the destination field declares none")
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise fail("Truncate length must be a positive integer")
        return Truncate(length)
    format = item.get("format", "alpha2")
    if format not in FORMATS:
        raise fail(f"CountryRegionCode format must be one of {', '.join(FORMATS)}")
    return CountryRegionCode(format, field)


_ALLOWED: dict[str, frozenset[str]] = {
    "Default": frozenset({"defaultValue"}),
    "ValueMap": frozenset({"valueMap"}),
    "Truncate": frozenset({"length"}),
    "CountryRegionCode": frozenset({"format"}),
}


def chain(transforms: tuple[Transform, ...]) -> Apply | None:
    """One callable applying the transforms in order (None when there are none)."""
    if not transforms:
        return None
    if len(transforms) == 1:
        return transforms[0]

    def apply(value: Any) -> Any:
        for transform in transforms:
            value = transform(value)
        return value

    return apply
