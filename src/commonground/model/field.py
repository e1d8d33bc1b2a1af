"""A field of an entity: its name, type and the properties of cds-model.md section 5."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from commonground.model.types import (
    NUMBER_DECIMALS,
    FieldType,
    Part,
    Storage,
    parse_field_type,
    spec_of,
)

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9-]{0,10}$")


class RelationshipKind(StrEnum):
    """How a lookup relates its entity to the target (cds-model.md section 10)."""

    ASSOCIATION = "association"  # restricted delete: a referenced target cannot be deleted
    COMPOSITION = "composition"  # cascade delete: deleting the header deletes its lines


class Field(BaseModel):
    """One field. Frozen: a changed field is a new Field, so models can be shared freely."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: FieldType
    display_name: str | None = None
    description: str | None = None
    required: bool = False
    searchable: bool = False
    unique: bool = False
    max_length: int | None = None
    decimals: int | None = None
    default: Any = None
    prefix: str | None = None
    digits: int = 6
    picklist: str | None = None
    target: str | None = None
    relationship: RelationshipKind | None = None
    system: bool = False
    custom: bool = False  # a field a user added to a standard entity

    @field_validator("type", mode="before")
    @classmethod
    def _parse_type(cls, value: Any) -> Any:
        return parse_field_type(value) if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError(
                f"field name '{value}' must start with a letter and hold only letters, "
                "digits and '_' (at most 64 characters)"
            )
        return value

    @model_validator(mode="after")
    def _check_properties(self) -> Field:
        spec = spec_of(self.type)
        storage = spec.storage
        if self.max_length is not None:
            if storage is not Storage.STRING:
                raise ValueError(f"max_length applies to text types, not {self.type}")
            if self.max_length < 1:
                raise ValueError("max_length must be at least 1")
        if self.decimals is not None:
            if storage is not Storage.DECIMAL and self.type is not FieldType.CURRENCY:
                raise ValueError(
                    f"decimals apply to Number, Quantity and Currency, not {self.type}"
                )
            if not 0 <= self.decimals <= NUMBER_DECIMALS:
                raise ValueError(f"decimals must be between 0 and {NUMBER_DECIMALS}")
        if self.prefix is not None:
            if self.type is not FieldType.AUTONUMBER:
                raise ValueError("prefix applies to AutoNumber fields only")
            if not PREFIX_PATTERN.match(self.prefix):
                raise ValueError("prefix holds at most 10 letters, digits or '-'")
        if not 1 <= self.digits <= 18:
            raise ValueError("digits must be between 1 and 18")
        if (self.type is FieldType.PICKLIST) != (self.picklist is not None):
            raise ValueError(
                "a Picklist field names its picklist"
                if self.type is FieldType.PICKLIST
                else "picklist applies to Picklist fields only"
            )
        if (self.type is FieldType.LOOKUP) != (self.target is not None):
            raise ValueError(
                "a Lookup field names its target entity"
                if self.type is FieldType.LOOKUP
                else "target applies to Lookup fields only"
            )
        if self.relationship is not None and self.type is not FieldType.LOOKUP:
            raise ValueError("relationship applies to Lookup fields only")
        if storage is Storage.COMPOUND and (self.unique or self.default is not None):
            raise ValueError(f"a {self.type} field cannot be unique or have a default")
        return self

    @property
    def storage(self) -> Storage:
        """The storage family of this field's values."""
        return spec_of(self.type).storage

    @property
    def is_compound(self) -> bool:
        """True for Address, PersonName and Currency, which are stored as several columns."""
        return self.storage is Storage.COMPOUND

    @property
    def parts(self) -> tuple[Part, ...]:
        """The parts of a compound field (empty for scalar fields)."""
        return spec_of(self.type).parts

    @property
    def length(self) -> int | None:
        """The effective maximum length of a text field."""
        return self.max_length if self.max_length is not None else spec_of(self.type).default_length

    @property
    def scale(self) -> int:
        """Decimal places kept for Number, Quantity and Currency amounts."""
        return self.decimals if self.decimals is not None else NUMBER_DECIMALS

    @property
    def kind(self) -> RelationshipKind:
        """The relationship kind of a lookup (association unless declared a composition)."""
        return self.relationship or RelationshipKind.ASSOCIATION

    def column_names(self) -> tuple[str, ...]:
        """The columns this field is stored in: itself, or `<Field>_<Part>` for compounds."""
        if self.is_compound:
            return tuple(f"{self.name}_{part.name}" for part in self.parts)
        return (self.name,)

    def part_field(self, part: Part) -> Field:
        """A scalar Field describing one part of this compound field (for validation)."""
        return Field(
            name=f"{self.name}_{part.name}",
            type=part.type,
            max_length=part.max_length,
            picklist=part.picklist,
            decimals=self.decimals if part.type is FieldType.NUMBER else None,
        )
