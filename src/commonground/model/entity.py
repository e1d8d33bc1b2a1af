"""An entity: its fields, system fields, primary name, alternate keys and field groups."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from commonground.model.field import Field
from commonground.model.types import STANDARD_TEXT_MAX, FieldType, Storage, spec_of

ENTITY_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

RECORD_ID = "RecordId"
VERSION = "VersionNumber"
CREATED_BY = "CreatedByUser"
CREATED_ON = "CreatedOnDateTime"
MODIFIED_BY = "LastModifiedByUser"
MODIFIED_ON = "LastModifiedDateTime"

# Every entity carries these read-only fields (cds-model.md section 6). VersionNumber is the
# change position of the record's last write: the optimistic-concurrency version and the
# change-tracking cursor in one.
SYSTEM_FIELDS: tuple[Field, ...] = (
    Field(name=RECORD_ID, type=FieldType.BIG_INTEGER, system=True, required=True),
    Field(name=CREATED_BY, type=FieldType.TEXT, system=True),
    Field(name=CREATED_ON, type=FieldType.DATETIME, system=True),
    Field(name=MODIFIED_BY, type=FieldType.TEXT, system=True),
    Field(name=MODIFIED_ON, type=FieldType.DATETIME, system=True),
    Field(name=VERSION, type=FieldType.BIG_INTEGER, system=True),
)
SYSTEM_FIELD_NAMES = frozenset(f.name for f in SYSTEM_FIELDS)

DEFAULT_FIELD_GROUPS = (
    "DefaultCreate",
    "DefaultList",
    "DefaultCard",
    "DefaultDetails",
    "DefaultLookup",
    "DefaultReport",
    "DefaultIdentification",
)
TITLE_FIELD = "Title"


class Entity(BaseModel):
    """An entity definition. Frozen; schema changes produce a new Entity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    display_name: str | None = None
    description: str | None = None
    standard: bool = False
    primary_name: str | None = None
    fields: tuple[Field, ...] = ()
    keys: dict[str, tuple[str, ...]] = {}
    field_groups: dict[str, tuple[str, ...]] = {}

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not ENTITY_NAME_PATTERN.match(value):
            raise ValueError(
                f"entity name '{value}' must be a letter, then letters, digits or '_' "
                "(at most 64 characters)"
            )
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _fields_from_mapping(cls, value: Any) -> Any:
        """Accept `{Name: {type: ...}}` as written in YAML, as well as a list of fields."""
        if isinstance(value, dict):
            out = []
            for name, props in value.items():
                if not isinstance(props, dict):
                    raise ValueError(f"field '{name}' must be a mapping of properties")
                out.append({"name": name, **props})
            return out
        return value

    @model_validator(mode="after")
    def _check_entity(self) -> Entity:
        names: set[str] = set()
        columns: set[str] = set(SYSTEM_FIELD_NAMES)
        for field in self.fields:
            if field.name in SYSTEM_FIELD_NAMES or field.system:
                raise ValueError(f"field '{field.name}' is a system field and cannot be declared")
            if field.name.lower() in names:
                raise ValueError(f"field '{field.name}' is declared twice")
            names.add(field.name.lower())
            for column in field.column_names():
                if column in columns:
                    raise ValueError(f"field '{field.name}' clashes with column '{column}'")
                columns.add(column)
            self._check_length(field)
            if field.type is FieldType.BIG_INTEGER and not self.standard:
                raise ValueError(f"field '{field.name}': BigInteger is reserved for RecordId")
        if self.primary_name is not None:
            primary = self.field_or_none(self.primary_name)
            if primary is None or primary.storage is not Storage.STRING:
                raise ValueError(f"primary_name '{self.primary_name}' must name a text field")
        for key_name, key_fields in self.keys.items():
            if not key_fields:
                raise ValueError(f"key '{key_name}' lists no fields")
            for name in key_fields:
                member = self.field_or_none(name)
                if member is None:
                    raise ValueError(f"key '{key_name}' names unknown field '{name}'")
                if member.is_compound:
                    raise ValueError(
                        f"key '{key_name}': {member.type} field '{name}' cannot be a key"
                    )
        for group, members in self.field_groups.items():
            if group not in DEFAULT_FIELD_GROUPS:
                raise ValueError(
                    f"field group '{group}' is not one of {', '.join(DEFAULT_FIELD_GROUPS)} "
                    "(new groups cannot be created)"
                )
            if len(set(members)) != len(members):
                raise ValueError(f"field group '{group}' lists a field twice")
            for name in members:
                if self.field_or_none(name) is None:
                    raise ValueError(f"field group '{group}' names unknown field '{name}'")
        return self

    def _check_length(self, field: Field) -> None:
        spec = spec_of(field.type)
        if field.max_length is None or spec.max_length is None:
            return
        limit = spec.max_length
        if self.standard and field.type is FieldType.TEXT:
            limit = STANDARD_TEXT_MAX
        if field.max_length > limit:
            raise ValueError(
                f"field '{field.name}': max_length {field.max_length} exceeds the {field.type} "
                f"limit of {limit}"
            )

    @cached_property
    def all_fields(self) -> tuple[Field, ...]:
        """System fields followed by the declared fields."""
        return SYSTEM_FIELDS + self.fields

    @cached_property
    def _by_name(self) -> dict[str, Field]:
        return {f.name.lower(): f for f in self.all_fields}

    def field_or_none(self, name: str) -> Field | None:
        """The field with this name (case-insensitive), system fields included, or None."""
        return self._by_name.get(name.lower())

    @cached_property
    def lookups(self) -> tuple[Field, ...]:
        """The lookup fields, in declaration order."""
        return tuple(f for f in self.fields if f.type is FieldType.LOOKUP)

    def key_fields(self, key_name: str) -> tuple[str, ...] | None:
        """The fields of an alternate key, by key name (case-insensitive)."""
        for name, fields in self.keys.items():
            if name.lower() == key_name.lower():
                return fields
        return None

    @property
    def primary_key(self) -> tuple[str, ...] | None:
        """The business key: the first declared alternate key, if any."""
        return next(iter(self.keys.values()), None)
