"""The shared parts of the OpenAPI document: query options, headers and error responses.

Operations reference these instead of repeating them, so every operation describes, say, a
412 or a 429 with Retry-After the same way. Errors all use the OData error body
(`openapi_schemas.error_schema`). 401 and 403 are placeholders for the authentication to come:
listed now so clients generated today already expect them.
"""

from __future__ import annotations

from commonground.odata.openapi_schemas import ERROR_SCHEMA, Json, schema_ref

ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    # status: (component name, description)
    "400": ("BadRequest", "A malformed request: bad query option, body or header"),
    "401": ("Unauthorized", "Authentication is required (placeholder)"),
    "403": ("Forbidden", "The caller may not do this (placeholder)"),
    "404": ("NotFound", "No such entity set, record or property"),
    "405": ("MethodNotAllowed", "The resource does not support this method"),
    "409": ("Conflict", "The request clashes with stored data (duplicate key, references)"),
    "412": ("PreconditionFailed", "If-Match / If-None-Match did not hold"),
    "413": ("PayloadTooLarge", "The body or the batch is too large"),
    "415": ("UnsupportedMediaType", "The body's content type is not supported"),
    "429": ("TooManyRequests", "The client's request budget is spent; retry after Retry-After"),
    "503": ("ServiceUnavailable", "The store is unavailable; retry after Retry-After"),
}
RETRY_AFTER_STATUSES = frozenset({"429", "503"})

# Errors any operation may answer, besides the ones specific to it.
COMMON_ERRORS = ("400", "401", "403", "429", "503")


def component_parameters() -> dict[str, Json]:
    """The query options and headers shared by the operations, by component name."""
    return {
        "filter": _query("$filter", {"type": "string"}, "Filter records, e.g. `Name eq 'A'`"),
        "top": _query("$top", {"type": "integer", "minimum": 0}, "Return at most this many"),
        "skip": _query("$skip", {"type": "integer", "minimum": 0}, "Skip this many records"),
        "count": _query("$count", {"type": "boolean"}, "Include `@odata.count`"),
        "apply": _query("$apply", {"type": "string"}, "filter, groupby and aggregate"),
        "skiptoken": _query(
            "$skiptoken", {"type": "string"}, "Paging cookie, as found in `@odata.nextLink`"
        ),
        "deltatoken": _query(
            "$deltatoken", {"type": "string"}, "Change position, as found in `@odata.deltaLink`"
        ),
        "Prefer": _header(
            "Prefer",
            "Preferences: `return=representation`, `return=minimal`, `odata.maxpagesize=N`, "
            '`odata.track-changes`, `odata.include-annotations="*"`',
        ),
        "If-Match": _header(
            "If-Match", "Act only if the record's ETag matches; `*` for any existing record"
        ),
        "If-None-Match": _header(
            "If-None-Match",
            "GET: answer 304 if the ETag still matches. PATCH: `*` creates only, never updates",
        ),
    }


def _query(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _header(name: str, description: str) -> Json:
    return {"name": name, "in": "header", "schema": {"type": "string"}, "description": description}


def parameter_ref(name: str) -> Json:
    """A reference to a component parameter."""
    return {"$ref": f"#/components/parameters/{name}"}


def component_headers() -> dict[str, Json]:
    """Response headers the operations document."""
    return {
        "ETag": {"description": "The record's weak ETag", "schema": {"type": "string"}},
        "OData-EntityId": {
            "description": "The URL of the created or updated record",
            "schema": {"type": "string"},
        },
        "Location": {
            "description": "The URL of the created record",
            "schema": {"type": "string"},
        },
        "Preference-Applied": {
            "description": "The preferences the service honoured",
            "schema": {"type": "string"},
        },
        "Retry-After": {
            "description": "Seconds to wait before retrying",
            "schema": {"type": "integer", "minimum": 0},
        },
    }


def header_ref(name: str) -> Json:
    """A reference to a component header."""
    return {"$ref": f"#/components/headers/{name}"}


def component_responses() -> dict[str, Json]:
    """The error responses, one component per status, all with the OData error body."""
    out: dict[str, Json] = {}
    for status, (name, description) in ERROR_RESPONSES.items():
        response: Json = {
            "description": description,
            "content": {"application/json": {"schema": schema_ref(ERROR_SCHEMA)}},
        }
        if status in RETRY_AFTER_STATUSES:
            response["headers"] = {"Retry-After": header_ref("Retry-After")}
        out[name] = response
    out["Error"] = {
        "description": "Any other error",
        "content": {"application/json": {"schema": schema_ref(ERROR_SCHEMA)}},
    }
    return out


def error_responses(*statuses: str) -> Json:
    """References to the error responses of these statuses, the common ones and a default."""
    out: Json = {}
    for status in sorted({*statuses, *COMMON_ERRORS}):
        out[status] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    out["default"] = {"$ref": "#/components/responses/Error"}
    return out
