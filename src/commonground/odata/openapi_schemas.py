"""OpenAPI (3.0) schemas for the data model: entity types, complex types, enums, errors.

Each entity type gets three schemas, because reads and writes differ:

- `CommonGround.<Entity>`: a record as the service returns it, computed properties marked
  `readOnly`, navigation properties present when expanded. Nothing is `required`, since
  `$select` may leave any property out.
- `CommonGround.<Entity>-create`: a POST body, without the computed (system) properties, with
  `<Lookup>@odata.bind` beside `_<Lookup>_value` for each lookup, the composition collections
  for deep insert, and the required fields that have no default listed as `required`
  (lookups are left out of `required`: a deep-inserted line gets its header from the request).
- `CommonGround.<Entity>-update`: a PATCH body: the create schema without `required` and
  without deep insert.

Types and facets come from `commonground.odata.edm`, so they match `$metadata`. Write schemas
also carry the patterns the service checks for email, URL and phone values, so generated
requests (schemathesis) are ones the service should accept.
"""

from __future__ import annotations

from typing import Any

from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.field import RelationshipKind
from commonground.model.picklist import Picklist
from commonground.model.types import FieldType
from commonground.model.values import EMAIL_PATTERN, PHONE_PATTERN, URL_PATTERN
from commonground.odata.edm import (
    INT32_MAX,
    INT32_MIN,
    EdmProperty,
    TypeKind,
    complex_type_properties,
    complex_types_used,
    qualified,
    sorted_entities,
    sorted_picklists,
    structural_properties,
)
from commonground.odata.naming import child_collections, entity_set_name

Json = dict[str, Any]

ERROR_SCHEMA = "odata.error"

_PRIMITIVES: dict[str, Json] = {
    "Edm.String": {"type": "string"},
    "Edm.Int32": {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX},
    "Edm.Int64": {"type": "integer", "format": "int64"},
    "Edm.Boolean": {"type": "boolean"},
    "Edm.Date": {"type": "string", "format": "date"},
    "Edm.DateTimeOffset": {"type": "string", "format": "date-time"},
    "Edm.Guid": {"type": "string", "format": "uuid"},
}

_WRITE_PATTERNS: dict[FieldType, str] = {
    FieldType.EMAIL: EMAIL_PATTERN.pattern,
    FieldType.URL: URL_PATTERN.pattern,
    FieldType.IMAGE_URL: URL_PATTERN.pattern,
    FieldType.PHONE: PHONE_PATTERN.pattern,
}


def schema_ref(name: str) -> Json:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Json) -> Json:
    """The schema that also admits null.

    OpenAPI 3.0.3 lets `nullable` add null only beside a `type`; next to a `$ref` or `anyOf`
    strict validators ignore it. Such schemas get an explicit null alternative instead.
    """
    if "type" in schema:
        return {**schema, "nullable": True}
    alternatives = schema["anyOf"] if set(schema) == {"anyOf"} else [schema]
    return {"anyOf": [*alternatives, {"nullable": True, "enum": [None]}]}


def property_schema(prop: EdmProperty, *, write: bool = False) -> Json:
    """The JSON schema of one property's value, with the facets $metadata declares."""
    if prop.kind is not TypeKind.PRIMITIVE:
        schema = schema_ref(prop.type)
    elif prop.type == "Edm.Decimal":
        assert prop.precision is not None
        assert prop.scale is not None
        schema = decimal_schema(prop.precision, prop.scale)
    else:
        schema = dict(_PRIMITIVES[prop.type])
    if prop.max_length is not None:
        schema["maxLength"] = prop.max_length
    if write and prop.field_type in _WRITE_PATTERNS:
        schema["pattern"] = _WRITE_PATTERNS[prop.field_type]
    if prop.computed and not write:
        schema["readOnly"] = True
    return nullable(schema) if prop.nullable else schema


def decimal_schema(precision: int, scale: int) -> Json:
    """An Edm.Decimal: a JSON number, or a string with `IEEE754Compatible=true`."""
    digits = precision - scale
    bound = 10**digits
    fraction = rf"(\.[0-9]{{1,{scale}}})?" if scale else ""
    return {
        "anyOf": [
            {
                "type": "number",
                "format": "decimal",
                "minimum": -bound,
                "maximum": bound,
                "exclusiveMinimum": True,
                "exclusiveMaximum": True,
            },
            {
                "type": "string",
                "format": "decimal",
                "pattern": rf"^-?[0-9]{{1,{digits}}}{fraction}$",
            },
        ]
    }


def component_schemas(model: DataModel) -> dict[str, Json]:
    """Every component schema of the document, by name, in a stable order."""
    schemas: dict[str, Json] = {}
    for picklist in sorted_picklists(model):
        schemas[qualified(picklist.name)] = enum_schema(picklist)
    for field_type in complex_types_used(model):
        properties = {p.name: property_schema(p) for p in complex_type_properties(field_type)}
        schemas[qualified(field_type.value)] = {"type": "object", "properties": properties}
    for entity in sorted_entities(model):
        name = qualified(entity.name)
        schemas[name] = read_schema(model, entity)
        schemas[f"{name}-create"] = write_schema(model, entity, create=True)
        schemas[f"{name}-update"] = write_schema(model, entity, create=False)
    schemas[ERROR_SCHEMA] = error_schema()
    return schemas


def enum_schema(picklist: Picklist) -> Json:
    """A picklist as a string enum of its item names (how records carry picklist values)."""
    values = ", ".join(f"{item.name} = {item.value}" for item in picklist.items)
    return {
        "type": "string",
        "title": picklist.display_name or picklist.name,
        "description": f"Picklist {picklist.name}: {values}",
        "enum": [item.name for item in picklist.items],
    }


def _described(entity: Entity, schema: Json) -> Json:
    schema["title"] = entity.display_name or entity.name
    if entity.description:
        schema["description"] = entity.description
    return schema


def read_schema(model: DataModel, entity: Entity) -> Json:
    """A record as returned: every property, the ETag, and navigation properties if expanded."""
    properties: Json = {"@odata.etag": {"type": "string", "readOnly": True}}
    for prop in structural_properties(entity):
        properties[prop.name] = property_schema(prop)
    for lookup in entity.lookups:
        assert lookup.target is not None
        target = schema_ref(qualified(model.entity(lookup.target).name))
        properties[lookup.name] = nullable(target)
    for collection in child_collections(model, entity):
        child = schema_ref(qualified(collection.relationship.child))
        properties[collection.name] = {"type": "array", "items": child}
    return _described(entity, {"type": "object", "properties": properties})


def write_schema(model: DataModel, entity: Entity, *, create: bool) -> Json:
    """A POST (`create`) or PATCH body: what a client may set."""
    properties: Json = {}
    required: list[str] = []
    for field, prop in zip(entity.all_fields, structural_properties(entity), strict=True):
        if prop.computed:
            continue
        properties[prop.name] = property_schema(prop, write=True)
        if field.type is FieldType.LOOKUP:
            assert field.target is not None
            target_set = entity_set_name(model.entity(field.target).name)
            bind: Json = {
                "type": "string",
                "description": f"The record to link, by id or key: `{target_set}(1)`",
            }
            if prop.nullable:
                bind["nullable"] = True
            properties[f"{field.name}@odata.bind"] = bind
        elif create and field.required and field.default is None and not prop.computed_default:
            required.append(prop.name)
    if create:
        for collection in child_collections(model, entity):
            if collection.relationship.kind is RelationshipKind.COMPOSITION:
                child = schema_ref(f"{qualified(collection.relationship.child)}-create")
                properties[collection.name] = {"type": "array", "items": child}
    schema: Json = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return _described(entity, schema)


def error_schema() -> Json:
    """The OData JSON error body: `{"error": {"code", "message", "target"?, "details"?,
    "innererror"?}}`, as every failing request answers."""
    detail = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "target": {"type": "string", "nullable": True},
        },
    }
    error = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "target": {"type": "string", "nullable": True},
            "details": {"type": "array", "items": detail},
            "innererror": {"type": "object", "description": "Service-defined diagnostics"},
        },
    }
    return {"type": "object", "required": ["error"], "properties": {"error": error}}
