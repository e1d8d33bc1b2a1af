"""CDM type attributes (attributes with a dataType) to our fields.

One attribute gives one field: its type from the data type chain (datatypes.py), its length
fitted to our limits, Required from `is.requiredAtLevel`, display name and description from the
shortcut properties or localized traits, and, for listLookup, a picklist of its own. What does not
fit (the primary key, attributes our system fields hold, unknown types, 64-bit integers, traits
without an equivalent) is reported rather than dropped silently.
"""

from __future__ import annotations

from typing import Any

from commonground.model.cdm.context import FieldDraft, MappingContext
from commonground.model.cdm.corpus import Document
from commonground.model.cdm.datatypes import DataType, fit_length, resolve_data_type
from commonground.model.cdm.names import field_name
from commonground.model.cdm.optionsets import build_picklist, option_rows
from commonground.model.cdm.report import ReportCode
from commonground.model.cdm.traits import (
    Json,
    description,
    display_name,
    find_trait,
    is_required,
    max_length,
    purpose,
    traits_of,
    unhandled_traits,
)
from commonground.model.field import Field
from commonground.model.types import FieldType


def is_primary_key(attribute: Json) -> bool:
    """Whether the attribute is the entity's CDM primary key (purpose identifiedBy)."""
    return (
        purpose(attribute) == "identifiedBy"
        or attribute.get("isPrimaryKey") is True
        or find_trait(traits_of(attribute), "is.identifiedBy") is not None
    )


def map_type_attribute(
    attribute: Json, document: Document | None, ctx: MappingContext
) -> list[FieldDraft]:
    """The field for one type attribute (none for the primary key and system-held attributes)."""
    source = str(attribute["name"])
    if is_primary_key(attribute):
        ctx.note(
            source,
            ReportCode.PRIMARY_KEY,
            f"primary key '{source}' not imported as a field: our RecordId identifies records",
        )
        return []
    if ctx.covered_by_system_field(source):
        return []
    ctx.ignored_traits.update(unhandled_traits(attribute))
    data_type = resolve_data_type(ctx.corpus, document, attribute.get("dataType"))
    field = _field(attribute, data_type, ctx)
    return [FieldDraft(field, source, named_by=purpose(attribute) == "namedBy")]


def _field(attribute: Json, data_type: DataType, ctx: MappingContext) -> Field:
    source = str(attribute["name"])
    common: dict[str, Any] = {
        "name": field_name(source),
        "display_name": display_name(attribute),
        "description": description(attribute),
        "required": is_required(attribute),
    }
    field_type = data_type.field_type
    if field_type is None:
        ctx.note(
            source,
            ReportCode.UNKNOWN_TYPE,
            f"data type {data_type.path} is not known: mapped to Text",
        )
        field_type = FieldType.TEXT
    if field_type is FieldType.BIG_INTEGER:
        ctx.note(
            source,
            ReportCode.BIG_INTEGER,
            f"data type {data_type.path} is a 64-bit integer: mapped to Integer "
            "(BigInteger is reserved for RecordId); values beyond 32 bits will not fit",
        )
        field_type = FieldType.INTEGER
    if field_type is FieldType.PICKLIST:
        return _picklist_field(attribute, data_type, common, ctx)
    fit = fit_length(field_type, max_length(attribute, data_type.traits))
    if fit.note is not None:
        ctx.note(source, ReportCode.LENGTH, fit.note)
    return Field(type=fit.field_type, max_length=fit.max_length, **common)


def _picklist_field(
    attribute: Json, data_type: DataType, common: dict[str, Any], ctx: MappingContext
) -> Field:
    """A Picklist field with its own picklist, or an Integer field when no values are given."""
    source = str(attribute["name"])
    rows, correlated = option_rows(attribute, data_type.traits)
    labels = (common["display_name"], common["description"])
    picklist = (
        build_picklist(ctx, source, common["name"], rows, labels, correlated) if rows else None
    )
    if picklist is None:
        ctx.note(
            source,
            ReportCode.OPTION_SET,
            f"option set ({data_type.path}) lists no usable values: mapped to Integer",
        )
        return Field(type=FieldType.INTEGER, **common)
    return Field(type=FieldType.PICKLIST, picklist=picklist, **common)
