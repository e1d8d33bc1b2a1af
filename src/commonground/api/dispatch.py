"""One request under a service root, run by method and path: the code behind the catch-all
route, shared with the requests of a `$batch`.

`route` turns a path into what it addresses (a resource or a bound action) before the body is
read; `execute` runs the method on it, inside a caller's transaction when a batch change set
gives one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from commonground.api import bulk, reading, writing
from commonground.api.errors import ApiError
from commonground.api.resources import Resource, parse_resource, split_key
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.odata.naming import NAMESPACE, entity_for_set
from commonground.security.caller import caller_of
from commonground.service.environment import Environment, Transaction

ACTION_NAMESPACES = (NAMESPACE, "Microsoft.Dynamics.CRM")


@dataclass(frozen=True)
class Action:
    """A bound action on an entity set: `Accounts/CommonGround.CreateMultiple`."""

    entity: Entity
    name: str


Target = Resource | Action


def route(model: DataModel, path: str) -> Target:
    """What a path relative to the service root addresses (404 when nothing)."""
    segments = path.strip("/").split("/")
    if len(segments) == 2:
        namespace, _, name = segments[1].rpartition(".")
        if namespace in ACTION_NAMESPACES:
            set_name, key_text = split_key(segments[0])
            entity = entity_for_set(model, set_name)
            if entity is None:
                raise ApiError(404, "NotFound", f"entity set '{set_name}' does not exist")
            if key_text is not None or name not in bulk.ACTIONS:
                raise ApiError(404, "NotFound", f"no action '{segments[1]}' on {set_name}")
            return Action(entity, name)
    return parse_resource(model, path)


def needs_body(method: str) -> bool:
    """Whether the method carries a JSON body."""
    return method in ("POST", "PATCH", "PUT")


SMALL_PAGE = 200


def is_quick_read(request: Request, target: Target) -> bool:
    """A GET of one record, or of a page of at most SMALL_PAGE records: quick, bounded work."""
    if request.method != "GET" or isinstance(target, Action):
        return False
    if target.key is not None:
        return True
    top = request.query_params.get("$top", "")
    small = top.isascii() and top.isdigit() and int(top) <= SMALL_PAGE
    return small and "$expand" not in request.query_params


def execute(
    request: Request,
    env: Environment,
    target: Target,
    body: Any,
    tx: Transaction | None = None,
) -> Response:
    """Run `request.method` on a target (blocking: call it from a worker thread)."""
    method = request.method
    caller = caller_of(request)
    if isinstance(target, Action):
        if method != "POST":
            raise ApiError(405, "MethodNotAllowed", f"{target.name} is invoked with POST")
        return bulk.ACTIONS[target.name](request, env, target.entity, body, caller, tx)
    if method == "GET":
        if target.key is None:
            return reading.read_collection(request, env, target)
        return reading.read_record(request, env, target)
    if method == "DELETE":
        if target.key is None:
            raise ApiError(405, "MethodNotAllowed", "DELETE needs a record: use Set(<key>)")
        if target.property is not None:
            return writing.set_property(env, target, None, caller, tx)
        return writing.delete(request, env, target, caller, tx)
    if method == "POST" and target.key is None and not target.count:
        return writing.create(request, env, target.entity, body, caller, tx)
    if method == "PATCH" and target.key is not None and target.property is None:
        return writing.upsert(request, env, target, body, caller, tx)
    if method == "PUT" and target.property is not None:
        return writing.set_property(env, target, _property_value(body), caller, tx)
    raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on this resource")


def _property_value(body: Any) -> Any:
    if not isinstance(body, dict) or "value" not in body:
        raise ApiError(400, "InvalidBody", 'PUT on a property takes {"value": ...}')
    return body["value"]
