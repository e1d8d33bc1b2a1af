"""A new custom entity inferred from a file's columns ("new entity from data", cds-model.md 14).

Each column gets the strictest type that accepts every one of its values: Boolean, Integer,
Number, Date, DateTime, Url, Email, then Text or Multiline by length. A candidate is tested on
each value with the very coercer the import applies afterwards, so inference never picks a
type that rejects one of the column's own values. Patterns in front of the coercers keep the
choice strict where the coercers are lenient: "00123" stays text (the zeros matter), "1e5"
and "1/0" are not numbers or booleans, and a Number never needs more digits than every store
keeps exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from commonground.errors import DefinitionError
from commonground.model.datamodel import DataModel
from commonground.model.entity import SYSTEM_FIELD_NAMES, Entity
from commonground.model.field import Field
from commonground.model.types import MULTILINE_MAX, TEXT_MAX, FieldType
from commonground.service.codec import canonical
from commonground.service.tabular import Sheet, cell_text, cell_value

NO_MODEL = DataModel([], [])  # the candidates have no picklists, so no model is consulted
EXACT_DIGITS = 15  # significant digits every store keeps exactly (SQLite stores doubles)
PRIMARY_NAMES = ("name", "title", "fullname")
FIELD_NAME_MAX = 64
DATE = r"\d{4}-\d{2}-\d{2}"


def _exact(number: Any) -> bool:
    return len(Decimal(number).normalize().as_tuple().digits) <= EXACT_DIGITS


@dataclass(frozen=True)
class Candidate:
    """A type a column may get: a value's text must match `pattern`, and the value as an
    import converts it must pass `check`."""

    field: Field
    pattern: re.Pattern[str]
    check: Callable[[Any], bool] | None = None

    def accepts(self, value: Any) -> bool:
        """Whether this type takes the value, exactly as an import would convert it."""
        if not self.pattern.fullmatch(cell_text(value)):
            return False
        try:
            converted = canonical(NO_MODEL, self.field, cell_value(self.field, value))
        except ValueError:
            return False
        return self.check is None or self.check(converted)


def _candidate(
    kind: FieldType, pattern: str, check: Callable[[Any], bool] | None = None
) -> Candidate:
    return Candidate(Field(name="Value", type=kind), re.compile(pattern), check)


# In order of preference: the first that accepts every value of a column wins.
CANDIDATES: tuple[Candidate, ...] = (
    _candidate(FieldType.BOOLEAN, r"(?i:true|false|yes|no)"),
    _candidate(FieldType.INTEGER, r"[+-]?(?:0|[1-9]\d*)"),
    _candidate(FieldType.NUMBER, r"[+-]?(?:0|[1-9]\d*)(?:\.\d+)?", _exact),
    _candidate(FieldType.DATE, DATE),
    _candidate(
        FieldType.DATETIME,
        DATE + r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?",
    ),
    _candidate(FieldType.URL, r"(?i:https?)://\S+"),
    _candidate(FieldType.EMAIL, r"[^@\s]+@[^@\s]+\.[^@\s]+"),
)


@dataclass
class ColumnProfile:
    """What the values of one column allow, gathered one value at a time."""

    header: str
    candidates: list[Candidate] = field(default_factory=lambda: list(CANDIDATES))
    longest: int = 0
    multiline: bool = False
    values: int = 0

    def observe(self, value: Any) -> None:
        """Take one cell into account (empty cells say nothing about the type)."""
        if value is None or value == "":
            return
        self.values += 1
        text = cell_text(value)
        self.longest = max(self.longest, len(text))
        self.multiline = self.multiline or "\n" in text or "\r" in text
        self.candidates = [c for c in self.candidates if c.accepts(value)]

    def field(self, name: str, text_only: bool = False, key: bool = False) -> Field:
        """The inferred field; `text_only` skips the typed candidates (for a primary name)."""
        flags = {"required": key, "unique": key, "searchable": key}
        if self.values and self.candidates and not text_only:
            return Field(name=name, type=self.candidates[0].field.type, **flags)
        if self.longest <= TEXT_MAX and not self.multiline:
            return Field(name=name, type=FieldType.TEXT, max_length=TEXT_MAX, **flags)
        if self.longest <= MULTILINE_MAX:
            return Field(name=name, type=FieldType.MULTILINE, **flags)
        raise DefinitionError(
            f"column '{self.header}' holds a value of {self.longest} characters; "
            f"the longest text a field takes is {MULTILINE_MAX}"
        )


def profile_values(header: str, values: Iterable[Any]) -> ColumnProfile:
    """The profile of one column's values."""
    profile = ColumnProfile(header)
    for value in values:
        profile.observe(value)
    return profile


def sanitize_name(header: str) -> str:
    """A field name for a column header: ASCII letters, digits and '_', starting with a letter.

    Words are joined PascalCase ("first name" -> "FirstName"), accents are dropped and a
    header that does not start with a letter gets a "Field" prefix ("2024" -> "Field2024").
    """
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^A-Za-z0-9_]+", plain) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name[:1].isalpha():
        name = "Field" + name
    return name[:FIELD_NAME_MAX]


def unique_names(names: Iterable[str]) -> list[str]:
    """The names made unique (case-insensitively, system fields included) with a number."""
    taken = {n.lower() for n in SYSTEM_FIELD_NAMES}
    out = []
    for name in names:
        candidate, number = name, 1
        while candidate.lower() in taken:
            number += 1
            suffix = str(number)
            candidate = name[: FIELD_NAME_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        out.append(candidate)
    return out


@dataclass(frozen=True)
class InferredEntity:
    """A new entity and which file column fills which of its fields."""

    entity: Entity
    columns: dict[str, str]  # column header -> field name (ignored columns left out)


def infer_entity(
    name: str, sheet: Sheet, key: str | None = None, renames: Mapping[str, str] | None = None
) -> InferredEntity:
    """A custom entity with a field per column (see the module docstring), and its mapping.

    `key` names the column that identifies a row: its field is required and unique and
    becomes the entity's alternate key. A column named Name, Title or FullName is the primary
    name; otherwise the service adds a Title field. `renames` maps a column to a field name
    of the user's choice, or to "" to leave the column out.
    """
    renamed = {column.lower(): name for column, name in (renames or {}).items()}
    columns = _chosen_columns(sheet.header, renamed)
    key_column = _find_column(columns, key, "--key") if key else None
    names = unique_names(renamed.get(c.lower()) or sanitize_name(c) for c in columns)
    profiles = {c: ColumnProfile(c) for c in columns}
    positions = [(sheet.header.index(c), profiles[c]) for c in columns]
    for _number, cells in sheet.rows():
        for position, profile in positions:
            profile.observe(cells[position])
    primary = next((n for n in names if n.lower() in PRIMARY_NAMES), None)
    fields = [
        profiles[c].field(n, text_only=n == primary, key=c == key_column)
        for c, n in zip(columns, names, strict=True)
    ]
    key_field = names[columns.index(key_column)] if key_column else None
    try:
        entity = Entity(
            name=name,
            primary_name=primary,
            fields=tuple(fields),
            keys={key_field: (key_field,)} if key_field else {},
        )
    except ValueError as exc:
        raise DefinitionError(f"new entity {name}: {exc}") from exc
    return InferredEntity(entity, dict(zip(columns, names, strict=True)))


def _chosen_columns(header: list[str], renames: Mapping[str, str]) -> list[str]:
    """The named columns that are not mapped to "" (renames are keyed by lower-case column)."""
    lowered = {h.lower() for h in header if h}
    unknown = sorted(c for c in renames if c not in lowered)
    if unknown:
        raise DefinitionError(f"--map names columns the file does not have: {', '.join(unknown)}")
    return [h for h in header if h and renames.get(h.lower(), None) != ""]


def _find_column(columns: list[str], wanted: str, option: str) -> str:
    for column in columns:
        if column.lower() == wanted.lower():
            return column
    raise DefinitionError(f"{option} {wanted}: the file has no such column")
