"""What the integration routes share: reading bodies and query options, answering in a thread.

Every catalog call blocks on the database, so handlers hand their work to Starlette's thread
pool and answer with its result. Bodies are validated with the definitions' pydantic models,
so a 400 names the field at fault (`connection: settings.url: Field required`); a name a body
refers to that does not exist is a bad body too (400 naming the field), while a name in the
URL that does not exist is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.api.errors import ApiError
from commonground.api.payloads import json_body, json_response, parse_json, read_body
from commonground.errors import DefinitionError, NotFoundError
from commonground.integration.integrator import Integrator, RunInProgressError

BASE = "/integration"
MAX_BODY = 1024 * 1024
YAML_MEDIA = "application/yaml"
T = TypeVar("T")


class Handlers:
    """Route handlers over one installation's integrator."""

    def __init__(self, integrator: Integrator) -> None:
        self.integrator = integrator

    async def call(self, work: Callable[[], T]) -> T:
        """Run blocking work in the thread pool (a project already running is a 409)."""
        try:
            return await run_in_threadpool(work)
        except RunInProgressError as exc:
            raise ApiError(409, exc.code, str(exc)) from exc

    async def answer(
        self,
        work: Callable[[], Any],
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Run blocking work in the thread pool and answer with its result as JSON."""
        result = await self.call(work)
        if status == 204:
            return Response(status_code=204)
        return json_response(result, status, headers)


def location(request: Request, path: str) -> dict[str, str]:
    """A Location header for a resource under the integration root."""
    return {"Location": str(request.base_url).rstrip("/") + f"{BASE}/{quote(path)}"}


async def json_object(request: Request, what: str) -> dict[str, Any]:
    """A JSON object body (415 for another media type, 400 for anything but an object)."""
    body = await json_body(request, MAX_BODY)
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidDefinition", f"{what}: expected a JSON object")
    return body


async def optional_object(request: Request, what: str) -> dict[str, Any]:
    """A JSON object body that may be left out (an empty body is `{}`)."""
    raw = await read_body(request, MAX_BODY)
    if not raw.strip():
        return {}
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, "UnsupportedMediaType", "the body must be application/json")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidDefinition", f"{what}: expected a JSON object")
    return body


async def document_body(request: Request, what: str) -> dict[str, Any]:
    """A YAML or JSON body (by its media type) holding a mapping."""
    raw = await read_body(request, MAX_BODY)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json":
        data = parse_json(raw)
    else:
        try:
            data = yaml.safe_load(raw.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ApiError(400, "InvalidDefinition", f"{what}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "InvalidDefinition", f"{what}: expected a mapping")
    return data


def named(body: dict[str, Any], name: str, what: str) -> dict[str, Any]:
    """A PUT body with the URL's name (a different name in the body is an error)."""
    given = body.get("name", name)
    if given != name:
        raise ApiError(
            400,
            "InvalidDefinition",
            f"{what}: name: '{given}' does not match the name in the URL ('{name}'); "
            "renaming is not supported",
        )
    return {**body, "name": name}


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query option within bounds (400 naming the option otherwise)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise ApiError(
            400, "InvalidQueryOption", f"{name}: expected an integer from {low} to {high}"
        )
    return int(raw)


def query_bool(request: Request, name: str) -> bool:
    """A true/false query option (absent is false)."""
    raw = request.query_params.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0", ""):
        raise ApiError(400, "InvalidQueryOption", f"{name}: expected true or false")
    return raw in ("true", "1")


@contextmanager
def referenced(what: str, field: str) -> Iterator[None]:
    """A name a body refers to: missing is a 400 naming the field, not a 404."""
    try:
        yield
    except NotFoundError as exc:
        raise ApiError(400, "InvalidDefinition", f"{what}: {field}: {exc}") from exc


@contextmanager
def in_use() -> Iterator[None]:
    """A delete that something else depends on is a conflict (409)."""
    try:
        yield
    except DefinitionError as exc:
        raise ApiError(409, "InUse", str(exc)) from exc
