"""The designer's field-change forms: which fields a person may change, which types a field
may widen to, and the changed Field a posted form describes.

The service decides whether the stored data still fits (a shorter max length, a new type);
this module only offers what could work and builds the definition, so a refusal is always
the service's message, shown at the field it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commonground.admin.opened import built
from commonground.errors import DefinitionError
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.types import WIDENINGS, FieldType, Storage, spec_of

# Types whose fields need more than a type (a picklist, a target entity, generated numbers):
# a field of one keeps its type, and no field changes to one.
FIXED_TYPES = (FieldType.PICKLIST, FieldType.LOOKUP, FieldType.AUTONUMBER)


@dataclass(frozen=True)
class Changeable:
    """A field the designer offers to change, with the types it may take."""

    field: Field
    types: tuple[FieldType, ...]

    @property
    def default_text(self) -> str:
        """The field's default value as the form shows it."""
        default = self.field.default
        return "" if default is None else str(default)


def type_choices(field: Field) -> tuple[FieldType, ...]:
    """The field's own type, then every type it could widen or change to."""
    if field.is_compound or field.type in FIXED_TYPES:
        return (field.type,)
    others = (
        t
        for t in FieldType
        if t is not field.type
        and spec_of(t).user_creatable
        and t not in FIXED_TYPES
        and spec_of(t).storage is not Storage.COMPOUND
        and (
            spec_of(t).storage is field.storage or (field.storage, spec_of(t).storage) in WIDENINGS
        )
    )
    return (field.type, *others)


def changeable_fields(entity: Entity) -> list[Changeable]:
    """Every field of a custom entity; on a standard entity, the custom fields added to it."""
    return [
        Changeable(f, type_choices(f))
        for f in entity.fields
        if not f.system and (not entity.standard or f.custom)
    ]


def changed_field(current: Field, form: Mapping[str, str]) -> Field:
    """The field as the change form describes it. Properties the new type does not have
    (a max length on a number) are dropped rather than refused."""
    chosen = next((t for t in type_choices(current) if t.value == form.get("type")), None)
    if chosen is None:
        raise DefinitionError(f"field {current.name}: choose one of the offered types")
    storage = spec_of(chosen).storage
    data: dict[str, Any] = {
        **current.model_dump(exclude_defaults=True),
        "type": chosen,
        "display_name": form.get("display_name", "").strip() or None,
        "description": form.get("description", "").strip() or None,
        "required": bool(form.get("required")),
        "searchable": bool(form.get("searchable")),
        "default": form.get("default", "").strip() or None,
        "max_length": None,
    }
    length = form.get("max_length", "").strip()
    if storage is Storage.STRING and length:
        if not length.isdigit():
            raise DefinitionError(f"field {current.name}: max length must be a whole number")
        data["max_length"] = int(length)
    if storage is not Storage.DECIMAL and chosen is not FieldType.CURRENCY:
        data.pop("decimals", None)
    if chosen is not FieldType.AUTONUMBER:
        data.pop("prefix", None)
        data.pop("digits", None)
    if chosen is FieldType.PICKLIST:
        data["picklist"] = form.get("picklist") or current.picklist
    return built(Field, data, f"field {current.name}")
