"""The environment and entity a page's URL names, found for the request's caller.

Every entity and data page starts the same way: open the environment named in the path (a
404 page when there is none) and look up the entity (case-insensitive, as in the API).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from commonground.errors import DefinitionError
from commonground.model.entity import Entity
from commonground.service.environment import Environment
from commonground.service.environments import Environments

ModelT = TypeVar("ModelT", bound=BaseModel)


async def environment_of(environments: Environments, request: Request) -> Environment:
    """The environment named by the `env` path parameter."""
    env: Environment = await run_in_threadpool(environments.open, request.path_params["env"])
    return env


def entity_of(env: Environment, request: Request) -> Entity:
    """The entity named by the `entity` path parameter."""
    return env.model.entity(request.path_params["entity"])


def built(kind: type[ModelT], data: dict[str, Any], what: str) -> ModelT:
    """A definition from a form, its first problem as a DefinitionError (shown on the page)
    rather than a pydantic error (which would be a bug page)."""
    try:
        return kind.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise DefinitionError(f"{what}: {where + ': ' if where else ''}{message}") from exc
