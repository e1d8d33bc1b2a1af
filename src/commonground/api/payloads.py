"""Request and response helpers shared by the route modules."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from commonground.api.errors import ApiError

ODATA_HEADERS = {"OData-Version": "4.0"}
JSON_MEDIA = "application/json; odata.metadata=minimal"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An OData JSON response."""
    return Response(
        json_bytes(body),
        status_code=status,
        media_type=JSON_MEDIA,
        headers={**ODATA_HEADERS, **(headers or {})},
    )


def json_bytes(body: Any) -> bytes:
    """A JSON document as bytes (orjson: fast, and strict about what it serialises)."""
    try:
        return orjson.dumps(body)
    except TypeError:  # integers beyond 64 bits (OpenAPI bounds): the stdlib handles them
        return json.dumps(body, separators=(",", ":")).encode()


def service_root(request: Request) -> str:
    """The absolute URL of the environment's service root, ending in '/'."""
    name = request.path_params["env"]
    return base_url(request.scope) + f"environments/{name}/api/data/v1/"


def base_url(scope: Scope) -> str:
    """`request.base_url` as text, from the only parts of the request it depends on."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    root = scope.get("app_root_path", scope.get("root_path", ""))
    server = scope.get("server")
    return _base_url(scope.get("scheme", "http"), host, server and tuple(server), root)


@lru_cache(maxsize=256)  # bounded: the Host header is the client's to choose
def _base_url(scheme: str, host: bytes | None, server: Any, root: str) -> str:
    """Starlette's own base URL (every link and context URL is built on it), once per host:
    building it takes longer than the read of a record."""
    headers = [] if host is None else [(b"host", host)]
    scope = {"type": "http", "scheme": scheme, "server": server, "headers": headers}
    scope |= {"path": "/", "root_path": root, "query_string": b""}
    return str(Request(scope).base_url)


def prefer(request: Request) -> dict[str, str]:
    """The Prefer header's preferences: name -> value ('' when it has none)."""
    out: dict[str, str] = {}
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            out[name.strip().lower()] = value.strip().strip('"')
    return out


async def json_body(request: Request, limit: int) -> Any:
    """The parsed JSON body: 415 for another media type, 413 when too large, 400 when bad."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, "UnsupportedMediaType", "the body must be application/json")
    return parse_json(await read_body(request, limit))


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body: 413 when larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "PayloadTooLarge", f"the body is larger than {limit} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise ApiError(413, "PayloadTooLarge", f"the body is larger than {limit} bytes")
    return raw


def parse_json(raw: bytes) -> Any:
    """A JSON body: 400 when it is not valid JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "InvalidJson", f"the body is not valid JSON: {exc}") from exc
