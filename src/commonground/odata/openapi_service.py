"""The OpenAPI paths of the service itself: the service document, `$metadata` and `$batch`.

They do not depend on the data model, so they live apart from the per-entity-set paths.
`$batch` takes both formats the service accepts: OData 4.0 multipart/mixed (change sets in
nested multiparts, opaque to OpenAPI, hence a plain string) and the JSON batch format, whose
shape is described so clients can build one.
"""

from __future__ import annotations

import copy

from commonground.odata.openapi_components import error_responses
from commonground.odata.openapi_schemas import Json

MAX_BATCH_REQUESTS = 1000
MULTIPART = "multipart/mixed"
JSON = "application/json"

_BATCH_REQUEST: Json = {
    "type": "object",
    "required": ["requests"],
    "properties": {
        "requests": {
            "type": "array",
            "maxItems": MAX_BATCH_REQUESTS,
            "items": {
                "type": "object",
                "required": ["id", "method", "url"],
                "properties": {
                    "id": {"type": "string"},
                    "method": {"type": "string", "enum": ["GET", "POST", "PATCH", "PUT", "DELETE"]},
                    "url": {"type": "string"},
                    "atomicityGroup": {"type": "string"},
                    "dependsOn": {"type": "array", "items": {"type": "string"}},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "body": {"description": "The request body, as JSON"},
                },
            },
        }
    },
}

_BATCH_RESPONSE: Json = {
    "type": "object",
    "properties": {
        "responses": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "integer"},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "body": {"description": "The response body, as JSON"},
                },
            },
        }
    },
}

_SERVICE_DOCUMENT: Json = {
    "type": "object",
    "properties": {
        "@odata.context": {"type": "string"},
        "value": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "kind", "url"],
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"type": "string"},
                    "url": {"type": "string"},
                },
            },
        },
    },
}


def service_paths() -> Json:
    """`/`, `/$metadata` and `/$batch` (a fresh copy: callers may change the document)."""
    paths: Json = {
        "/": {
            "get": {
                "tags": ["Service"],
                "operationId": "getServiceDocument",
                "summary": "The entity sets of the service",
                "responses": {
                    "200": {
                        "description": "The service document",
                        "content": {JSON: {"schema": _SERVICE_DOCUMENT}},
                    },
                    **error_responses(),
                },
            }
        },
        "/$metadata": {
            "get": {
                "tags": ["Service"],
                "operationId": "getMetadata",
                "summary": "The data model as OData CSDL XML",
                "responses": {
                    "200": {
                        "description": "The CSDL document",
                        "content": {"application/xml": {"schema": {"type": "string"}}},
                    },
                    **error_responses(),
                },
            }
        },
        "/$batch": {
            "post": {
                "tags": ["Service"],
                "operationId": "batch",
                "summary": f"Run up to {MAX_BATCH_REQUESTS} requests; change sets are atomic",
                "requestBody": {
                    "required": True,
                    "content": {
                        MULTIPART: {"schema": {"type": "string"}},
                        JSON: {"schema": _BATCH_REQUEST},
                    },
                },
                "responses": {
                    "200": {
                        "description": "The responses, in request order",
                        "content": {
                            MULTIPART: {"schema": {"type": "string"}},
                            JSON: {"schema": _BATCH_RESPONSE},
                        },
                    },
                    **error_responses("413", "415"),
                },
            }
        },
    }
    return copy.deepcopy(paths)
