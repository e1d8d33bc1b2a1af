"""Metadata over HTTP: read the model, create custom entities, add and change fields,
create picklists and alternate keys.

Definitions travel as the same JSON the YAML files describe (an entity's `fields` as a list
or a mapping), so a definition can move between a file, the CLI and the API unchanged.

    GET   /environments/{env}/metadata                          entities and picklists
    GET   /environments/{env}/metadata/entities/{name}          one entity
    POST  /environments/{env}/metadata/entities                 create a custom entity
    POST  /environments/{env}/metadata/entities/{name}/fields   add a field
    PATCH /environments/{env}/metadata/entities/{name}/fields/{field}   change a field
    POST  /environments/{env}/metadata/entities/{name}/keys     add an alternate key
    POST  /environments/{env}/metadata/picklists                create a custom picklist
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.api.errors import ApiError
from commonground.api.payloads import json_body, json_response
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.picklist import Picklist
from commonground.security.caller import Caller, caller_of
from commonground.service.environment import Environment
from commonground.service.environments import Environments

BASE = "/environments/{env}/metadata"
MAX_DEFINITION = 1024 * 1024
ModelT = TypeVar("ModelT", bound=BaseModel)


def definition(model: BaseModel) -> Any:
    """A definition as JSON data (what `model_dump_json` writes)."""
    return json.loads(model.model_dump_json())


def parse(kind: type[ModelT], data: Any, what: str) -> ModelT:
    """Validate a definition; 400 naming the first problem and where it is."""
    try:
        return kind.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        message = first["msg"].removeprefix("Value error, ")
        raise ApiError(400, "InvalidDefinition", f"{what}: {where}: {message}") from exc


class MetadataApi:
    """The metadata route handlers."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    async def _run(
        self, request: Request, work: Callable[[Environment, Caller], Any], status: int = 200
    ) -> Response:
        """Run `work` on the request's environment for the request's caller."""
        name = request.path_params["env"]
        env: Environment = await run_in_threadpool(self.environments.open, name)
        result = await run_in_threadpool(work, env, caller_of(request))
        return json_response(result, status)

    async def model(self, request: Request) -> Response:
        """Every entity and picklist definition of the environment."""
        return await self._run(
            request,
            lambda env, _: {
                "entities": [definition(e) for e in env.model.entities],
                "picklists": [definition(p) for p in env.model.picklists],
            },
        )

    async def entity(self, request: Request) -> Response:
        """One entity definition."""
        name = request.path_params["entity"]
        return await self._run(request, lambda env, _: definition(env.model.entity(name)))

    async def create_entity(self, request: Request) -> Response:
        """Create a custom entity (it gets a Title field when it names no primary name)."""
        entity = parse(Entity, await json_body(request, MAX_DEFINITION), "entity")
        if entity.standard:
            raise ApiError(400, "InvalidDefinition", "entity: only custom entities can be created")
        return await self._run(
            request, lambda env, caller: definition(env.create_entity(entity, caller)), 201
        )

    async def add_field(self, request: Request) -> Response:
        """Add a field to an entity; existing data is kept."""
        field = parse(Field, await json_body(request, MAX_DEFINITION), "field")
        name = request.path_params["entity"]
        return await self._run(
            request, lambda env, caller: definition(env.add_field(name, field, caller)), 201
        )

    async def change_field(self, request: Request) -> Response:
        """Change a field's properties or widen its type (the body holds the new definition)."""
        body = await json_body(request, MAX_DEFINITION)
        name, field_name = request.path_params["entity"], request.path_params["field"]
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidDefinition", "field: expected a JSON object")

        def change(env: Environment, caller: Caller) -> Any:
            current = env.model.entity(name).field_or_none(field_name)
            data = {**(definition(current) if current else {}), **body, "name": field_name}
            return definition(env.change_field(name, parse(Field, data, "field"), caller))

        return await self._run(request, change)

    async def add_key(self, request: Request) -> Response:
        """Add an alternate key: `{"name": "...", "fields": [...]}`; stored data must fit it."""
        body = await json_body(request, MAX_DEFINITION)
        if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
            raise ApiError(400, "InvalidDefinition", 'key: expected {"name": ..., "fields": [...]}')
        name = request.path_params["entity"]
        key_name, fields = str(body.get("name") or "_".join(body["fields"])), body["fields"]
        return await self._run(
            request,
            lambda env, caller: definition(env.add_key(name, key_name, fields, caller)),
            201,
        )

    async def create_picklist(self, request: Request) -> Response:
        """Create a custom picklist; its name must be new."""
        picklist = parse(Picklist, await json_body(request, MAX_DEFINITION), "picklist")
        return await self._run(
            request, lambda env, caller: definition(env.create_picklist(picklist, caller)), 201
        )


def metadata_routes(environments: Environments) -> list[Route]:
    """The metadata routes, to mount beside the OData services."""
    api = MetadataApi(environments)
    entity = f"{BASE}/entities/{{entity}}"
    return [
        Route(BASE, api.model, methods=["GET"]),
        Route(f"{BASE}/", api.model, methods=["GET"]),
        Route(f"{BASE}/entities", api.create_entity, methods=["POST"]),
        Route(entity, api.entity, methods=["GET"]),
        Route(f"{entity}/fields", api.add_field, methods=["POST"]),
        Route(f"{entity}/fields/{{field}}", api.change_field, methods=["PATCH"]),
        Route(f"{entity}/keys", api.add_key, methods=["POST"]),
        Route(f"{BASE}/picklists", api.create_picklist, methods=["POST"]),
    ]
