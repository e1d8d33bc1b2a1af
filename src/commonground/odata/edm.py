"""The EDM view of the data model: which OData type and facets each field gets.

`$metadata` (CSDL) and the OpenAPI document must describe a field the same way, or a client
generated from one would disagree with the other. Both therefore read the properties built
here instead of mapping field types themselves; the mapping itself is one table per storage
family (`PRIMITIVE_TYPES`), as in `commonground.model.types`.

- Text types (Text, Multiline, Email, Phone, Url, ImageUrl, AutoNumber) are `Edm.String`
  with `MaxLength`; Number and Quantity are `Edm.Decimal` with `Precision=32` and the field's
  scale; Integer is `Edm.Int32`; RecordId and VersionNumber are `Edm.Int64`.
- A picklist field has its picklist's enum type; a compound field its complex type.
- A lookup contributes the structural `_<Lookup>_value` (`Edm.Int64`, the target's RecordId);
  its navigation property is not structural and is left to the documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, Entity
from commonground.model.field import Field
from commonground.model.picklist import Picklist
from commonground.model.types import (
    NUMBER_DECIMALS,
    NUMBER_DIGITS,
    FieldType,
    Storage,
    spec_of,
)
from commonground.odata.naming import NAMESPACE, child_collections, lookup_value_property

PRIMITIVE_TYPES: dict[Storage, str] = {
    Storage.STRING: "Edm.String",
    Storage.DECIMAL: "Edm.Decimal",
    Storage.INTEGER: "Edm.Int32",
    Storage.BIG_INTEGER: "Edm.Int64",
    Storage.BOOLEAN: "Edm.Boolean",
    Storage.DATE: "Edm.Date",
    Storage.DATETIME: "Edm.DateTimeOffset",
    Storage.GUID: "Edm.Guid",
    Storage.LOOKUP: "Edm.Int64",  # the `_<Lookup>_value` property: the target's RecordId
}

# The compound types, in the order their complex types appear in $metadata.
COMPLEX_FIELD_TYPES: tuple[FieldType, ...] = (
    FieldType.ADDRESS,
    FieldType.CURRENCY,
    FieldType.PERSON_NAME,
)

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


class TypeKind(StrEnum):
    """Whether a property's type is an EDM primitive, one of our enum types or complex types."""

    PRIMITIVE = "primitive"
    ENUM = "enum"
    COMPLEX = "complex"


@dataclass(frozen=True)
class EdmProperty:
    """One structural property with the facets $metadata declares and OpenAPI mirrors.

    `computed` marks values the service always assigns (the system fields);
    `computed_default` marks values a client may give but the service fills when absent
    (AutoNumber). `field_type` keeps the model's type for what EDM cannot say (the email,
    URL and phone formats the service checks).
    """

    name: str
    type: str
    kind: TypeKind
    field_type: FieldType
    nullable: bool = True
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    default: str | None = None
    computed: bool = False
    computed_default: bool = False


def qualified(name: str) -> str:
    """A schema element's qualified name: `CommonGround.<name>`."""
    return f"{NAMESPACE}.{name}"


def edm_property(field: Field) -> EdmProperty:
    """The structural property of a field (for a lookup, its `_<Lookup>_value`)."""
    storage = field.storage
    kind = TypeKind.PRIMITIVE
    name = field.name
    max_length = precision = scale = None
    if storage is Storage.COMPOUND:
        kind, type_ = TypeKind.COMPLEX, qualified(field.type.value)
    elif storage is Storage.PICKLIST:
        assert field.picklist is not None
        kind, type_ = TypeKind.ENUM, qualified(field.picklist)
    else:
        type_ = PRIMITIVE_TYPES[storage]
        if storage is Storage.LOOKUP:
            name = lookup_value_property(field.name)
        elif storage is Storage.STRING:
            max_length = field.length
        elif storage is Storage.DECIMAL:
            precision, scale = NUMBER_DIGITS, field.scale
    return EdmProperty(
        name=name,
        type=type_,
        kind=kind,
        field_type=field.type,
        nullable=not field.required,
        max_length=max_length,
        precision=precision,
        scale=scale,
        default=default_literal(field),
        computed=field.system,
        computed_default=field.type is FieldType.AUTONUMBER,
    )


def default_literal(field: Field) -> str | None:
    """A field's default value as CSDL writes it (`DefaultValue`), or None without one."""
    value = field.default
    if value is None or field.is_compound:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def structural_properties(entity: Entity) -> tuple[EdmProperty, ...]:
    """Every structural property of an entity: system fields first, then declared fields."""
    return tuple(edm_property(field) for field in entity.all_fields)


def key_property(entity: Entity) -> EdmProperty:
    """The entity key: RecordId."""
    field = entity.field_or_none(RECORD_ID)
    assert field is not None, "every entity has its system fields"
    return edm_property(field)


def member_property(entity: Entity, name: str) -> str:
    """The property an alternate-key member is addressed by (`_<Lookup>_value` for a lookup)."""
    field = entity.field_or_none(name)
    assert field is not None, "keys name existing fields (checked by Entity)"
    return edm_property(field).name


def complex_type_properties(field_type: FieldType) -> tuple[EdmProperty, ...]:
    """The properties of a compound type's complex type, one per TYPE_SPECS part.

    Parts are optional one by one, so every property is nullable. A Currency amount takes the
    largest scale any Currency field may declare (6): the facet is a maximum, and a complex type
    is shared by all fields of its type.
    """
    out = []
    for part in spec_of(field_type).parts:
        part_field = Field(
            name=part.name,
            type=part.type,
            max_length=part.max_length,
            picklist=part.picklist,
            decimals=NUMBER_DECIMALS if part.type is FieldType.NUMBER else None,
        )
        out.append(edm_property(part_field))
    return tuple(out)


def complex_types_used(model: DataModel) -> tuple[FieldType, ...]:
    """The compound types some field of the model has, in `COMPLEX_FIELD_TYPES` order.

    Only these are declared: an unused Currency type would name a CurrencyCode enum type that
    a custom model need not have.
    """
    used = {f.type for e in model.entities for f in e.fields if f.is_compound}
    return tuple(t for t in COMPLEX_FIELD_TYPES if t in used)


def enum_underlying_type(picklist: Picklist) -> str:
    """`Edm.Int32` (the CSDL default) unless an item value needs 64 bits."""
    fits = all(INT32_MIN <= item.value <= INT32_MAX for item in picklist.items)
    return "Edm.Int32" if fits else "Edm.Int64"


def sorted_entities(model: DataModel) -> list[Entity]:
    """The model's entities by name, so documents do not depend on how the model was built."""
    return sorted(model.entities, key=lambda e: e.name)


def sorted_picklists(model: DataModel) -> list[Picklist]:
    """The model's picklists by name (every one is declared, used or not)."""
    return sorted(model.picklists, key=lambda p: p.name)


def navigation_targets(model: DataModel, entity: Entity) -> list[tuple[str, str]]:
    """Every navigation property of an entity with the entity it leads to, in $metadata order."""
    out = []
    for lookup in entity.lookups:
        assert lookup.target is not None
        out.append((lookup.name, model.entity(lookup.target).name))
    for collection in child_collections(model, entity):
        out.append((collection.name, collection.relationship.child))
    return out
