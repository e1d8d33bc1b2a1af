"""The OpenAPI 3.0 document of an environment's OData service, generated from its data model.

For clients that do not speak OData (code generators, API explorers) and for schemathesis,
which fuzzes every operation listed here. OpenAPI 3.0.3 rather than 3.1, because more tools
read it. Per entity set the document lists:

- `/<Set>`: GET (query options `$filter $select $orderby $top $skip $count $expand $apply`,
  paging and delta tokens, `Prefer`) and POST (create, deep insert of compositions);
- `/<Set>/$count`: the number of (filtered) records as text;
- `/<Set>/CommonGround.CreateMultiple` and `.../CommonGround.UpsertMultiple`: bulk writes;
- `/<Set>({RecordId})` and one path per alternate key (`/Accounts(AccountId='{AccountId}')`):
  GET with If-None-Match, PATCH (update; upsert on an alternate key) and DELETE with If-Match;

plus the service document (`/`), `/$metadata` and `/$batch` (multipart and JSON). Schemas
come from `openapi_schemas`, shared parameters and error responses from `openapi_components`.
"""

from __future__ import annotations

from dataclasses import replace

from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, Entity
from commonground.odata.edm import (
    TypeKind,
    edm_property,
    key_property,
    navigation_targets,
    qualified,
    sorted_entities,
    structural_properties,
)
from commonground.odata.naming import NAMESPACE, entity_set_name
from commonground.odata.openapi_components import (
    component_headers,
    component_parameters,
    component_responses,
    error_responses,
    header_ref,
    parameter_ref,
)
from commonground.odata.openapi_schemas import (
    Json,
    component_schemas,
    property_schema,
    schema_ref,
)
from commonground.odata.openapi_service import service_paths

OPENAPI_VERSION = "3.0.3"
JSON = "application/json"
BULK_ACTIONS = ("CreateMultiple", "UpsertMultiple")
MAX_TARGETS = 1000


def openapi_document(
    model: DataModel,
    *,
    service_root: str | None = None,
    title: str = "Common Ground OData API",
    version: str = "1",
) -> Json:
    """The OpenAPI document of a data model's service.

    `service_root` (the absolute URL of the service root) becomes the server URL, against
    which the paths (`/Accounts`, ...) resolve; without it, clients must be told the root.
    """
    paths: Json = service_paths()
    tags: list[Json] = [{"name": "Service", "description": "Service document, $metadata, $batch"}]
    for entity in sorted_entities(model):
        paths.update(entity_paths(model, entity))
        tag: Json = {"name": entity_set_name(entity.name)}
        if entity.description:
            tag["description"] = entity.description
        tags.append(tag)
    document: Json = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": "OData v4.0 service; `$metadata` describes the same model as CSDL.",
        },
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": component_schemas(model),
            "parameters": component_parameters(),
            "headers": component_headers(),
            "responses": component_responses(),
        },
    }
    if service_root is not None:
        document["servers"] = [{"url": service_root.rstrip("/")}]
    return document


def entity_paths(model: DataModel, entity: Entity) -> Json:
    """The paths of one entity set: collection, count, by RecordId and by each alternate key."""
    set_name = entity_set_name(entity.name)
    read = schema_ref(qualified(entity.name))
    select = _select_parameter(entity)
    expand = _expand_parameter(model, entity)
    paths: Json = {
        f"/{set_name}": {
            "get": _list_operation(entity, set_name, read, select, expand),
            "post": _create_operation(entity, set_name, read, select),
        },
        f"/{set_name}/$count": {"get": _count_operation(set_name)},
    }
    for action in BULK_ACTIONS:
        paths[f"/{set_name}/{NAMESPACE}.{action}"] = {"post": _bulk_operation(entity, action)}
    record_id = key_property(entity)
    id_parameter = {
        "name": RECORD_ID,
        "in": "path",
        "required": True,
        "schema": {**property_schema(record_id, write=True), "minimum": 1},
    }
    paths[f"/{set_name}({{{RECORD_ID}}})"] = {
        "parameters": [id_parameter],
        **_item_operations(entity, set_name, read, select, expand, suffix="", upsert=False),
    }
    for key_name, members in entity.keys.items():
        segment, parameters = key_segment(entity, members)
        paths[f"/{set_name}({segment})"] = {
            "parameters": parameters,
            **_item_operations(
                entity, set_name, read, select, expand, suffix=f"By{key_name}", upsert=True
            ),
        }
    return paths


def key_segment(entity: Entity, members: tuple[str, ...]) -> tuple[str, list[Json]]:
    """An alternate key's path segment and its path parameters.

    Literals follow OData 4.0: strings quoted (`AccountId='{AccountId}'`, quotes inside
    doubled), enum members as `CommonGround.<Picklist>'{Member}'`, numbers and dates bare; a
    lookup member is addressed by its `_<Lookup>_value`, as in the Dataverse Web API.
    """
    parts = []
    parameters: list[Json] = []
    for member in members:
        field = entity.field_or_none(member)
        assert field is not None
        prop = edm_property(field)
        if prop.kind is TypeKind.ENUM:
            literal = f"{prop.type}'{{{prop.name}}}'"
        elif prop.type == "Edm.String":
            literal = f"'{{{prop.name}}}'"
        else:
            literal = f"{{{prop.name}}}"
        parts.append(f"{prop.name}={literal}")
        schema = property_schema(replace(prop, nullable=False), write=True)
        parameters.append({"name": prop.name, "in": "path", "required": True, "schema": schema})
    return ",".join(parts), parameters


def _select_parameter(entity: Entity) -> Json:
    names = [p.name for p in structural_properties(entity)]
    return {
        "name": "$select",
        "in": "query",
        "description": "The properties to return",
        "style": "form",
        "explode": False,
        "schema": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": names},
        },
    }


def _orderby_parameter(entity: Entity) -> Json:
    names = [p.name for p in structural_properties(entity) if p.kind is not TypeKind.COMPLEX]
    choices = [option for name in names for option in (name, f"{name} desc")]
    return {
        "name": "$orderby",
        "in": "query",
        "description": "Sort order: properties, each optionally followed by `desc`",
        "style": "form",
        "explode": False,
        "schema": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": choices},
        },
    }


def _expand_parameter(model: DataModel, entity: Entity) -> Json | None:
    names = [name for name, _ in navigation_targets(model, entity)]
    if not names:
        return None
    return {
        "name": "$expand",
        "in": "query",
        "description": "Related records to include (nested options in parentheses)",
        "style": "form",
        "explode": False,
        "schema": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": names},
        },
    }


def _with_expand(parameters: list[Json], expand: Json | None) -> list[Json]:
    return [*parameters, expand] if expand is not None else parameters


def _list_operation(
    entity: Entity, set_name: str, read: Json, select: Json, expand: Json | None
) -> Json:
    options = ["filter", "top", "skip", "count", "apply", "skiptoken", "deltatoken", "Prefer"]
    parameters = [parameter_ref(name) for name in options]
    parameters += [select, _orderby_parameter(entity)]
    page = {
        "type": "object",
        "properties": {
            "@odata.context": {"type": "string"},
            "@odata.count": {"type": "integer"},
            "@odata.nextLink": {"type": "string"},
            "@odata.deltaLink": {"type": "string"},
            "value": {"type": "array", "items": read},
        },
    }
    return {
        "tags": [set_name],
        "operationId": f"list{set_name}",
        "summary": f"List {set_name}",
        "parameters": _with_expand(parameters, expand),
        "responses": {
            "200": {
                "description": "A page of records",
                "headers": {"Preference-Applied": header_ref("Preference-Applied")},
                "content": {JSON: {"schema": page}},
            },
            **error_responses(),
        },
    }


def _create_operation(entity: Entity, set_name: str, read: Json, select: Json) -> Json:
    return {
        "tags": [set_name],
        "operationId": f"create{entity.name}",
        "summary": f"Create a {entity.name}",
        "parameters": [parameter_ref("Prefer"), select],
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": schema_ref(f"{qualified(entity.name)}-create")}},
        },
        "responses": {
            "201": {
                "description": "Created: the record",
                "headers": {
                    "ETag": header_ref("ETag"),
                    "Location": header_ref("Location"),
                    "OData-EntityId": header_ref("OData-EntityId"),
                },
                "content": {JSON: {"schema": read}},
            },
            "204": {
                "description": "Created (with `Prefer: return=minimal`)",
                "headers": {
                    "Location": header_ref("Location"),
                    "OData-EntityId": header_ref("OData-EntityId"),
                },
            },
            **error_responses("409", "413", "415"),
        },
    }


def _bulk_operation(entity: Entity, action: str) -> Json:
    """CreateMultiple / UpsertMultiple: up to 1,000 records in one transaction."""
    set_name = entity_set_name(entity.name)
    how = "by RecordId, the key in `@odata.id`, or the primary key" if "Upsert" in action else ""
    return {
        "tags": [set_name],
        "operationId": f"{action[0].lower()}{action[1:]}{entity.name}",
        "summary": f"{action} of {set_name}: all targets or none {how}".rstrip(),
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": {
                        "type": "object",
                        "required": ["Targets"],
                        "properties": {
                            "Targets": {
                                "type": "array",
                                "maxItems": MAX_TARGETS,
                                "items": schema_ref(f"{qualified(entity.name)}-create"),
                            }
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {
                "description": "The RecordIds and outcomes of the targets, in order",
                "content": {
                    JSON: {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "@odata.context": {"type": "string"},
                                "Ids": {"type": "array", "items": {"type": "integer"}},
                                "Outcomes": {
                                    "type": "array",
                                    "items": {"type": "string", "nullable": True},
                                },
                            },
                        }
                    }
                },
            },
            **error_responses("409", "413", "415"),
        },
    }


def _count_operation(set_name: str) -> Json:
    return {
        "tags": [set_name],
        "operationId": f"count{set_name}",
        "summary": f"Count {set_name}",
        "parameters": [parameter_ref("filter")],
        "responses": {
            "200": {
                "description": "The number of records",
                "content": {"text/plain": {"schema": {"type": "integer", "minimum": 0}}},
            },
            **error_responses(),
        },
    }


def _item_operations(
    entity: Entity,
    set_name: str,
    read: Json,
    select: Json,
    expand: Json | None,
    *,
    suffix: str,
    upsert: bool,
) -> Json:
    """GET, PATCH and DELETE of one record, addressed by RecordId or by an alternate key."""
    name = entity.name
    found = {
        "description": "The record",
        "headers": {"ETag": header_ref("ETag")},
        "content": {JSON: {"schema": read}},
    }
    patched: Json = {
        "200": {**found, "description": "Updated (with `Prefer: return=representation`)"},
        "204": {
            "description": "Updated",
            "headers": {"OData-EntityId": header_ref("OData-EntityId")},
        },
    }
    if upsert:
        patched["201"] = {**found, "description": "Created (upsert, `return=representation`)"}
    return {
        "get": {
            "tags": [set_name],
            "operationId": f"get{name}{suffix}",
            "summary": f"Get a {name}",
            "parameters": _with_expand([select, parameter_ref("If-None-Match")], expand),
            "responses": {
                "200": found,
                "304": {"description": "Not modified: the ETag in If-None-Match still matches"},
                **error_responses("404"),
            },
        },
        "patch": {
            "tags": [set_name],
            "operationId": f"{'upsert' if upsert else 'update'}{name}{suffix}",
            "summary": f"{'Update or create' if upsert else 'Update'} a {name}",
            "parameters": [
                parameter_ref("If-Match"),
                parameter_ref("If-None-Match"),
                parameter_ref("Prefer"),
                select,
            ],
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": schema_ref(f"{qualified(name)}-update")}},
            },
            "responses": {**patched, **error_responses("404", "409", "412", "413", "415")},
        },
        "delete": {
            "tags": [set_name],
            "operationId": f"delete{name}{suffix}",
            "summary": f"Delete a {name}",
            "parameters": [parameter_ref("If-Match")],
            "responses": {
                "204": {"description": "Deleted"},
                **error_responses("404", "409", "412"),
            },
        },
    }
