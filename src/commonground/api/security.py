"""Security over HTTP: an environment's access mode, permission sets, roles and role members,
and what the caller itself may do.

    GET    /environments/{env}/security                          access mode, roles, sets
    GET    /environments/{env}/security/me                       the caller's own rights
    PUT    /environments/{env}/security/access-mode              {"access_mode": "open"}
    PUT    /environments/{env}/security/permission-sets/{name}   create or replace a set
    DELETE /environments/{env}/security/permission-sets/{name}
    PUT    /environments/{env}/security/roles/{name}             create or change a role
    DELETE /environments/{env}/security/roles/{name}
    GET    /environments/{env}/security/roles/{name}/members
    POST   /environments/{env}/security/roles/{name}/members     {"kind": "user", "name": ...}
    DELETE /environments/{env}/security/roles/{name}/members/{kind}/{member}

Everything but `me` needs the Security capability (Environment Admin, or an installation
administrator); definitions travel as the same JSON the YAML files hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.api.errors import ApiError
from commonground.api.metadata import MAX_DEFINITION, parse
from commonground.api.payloads import json_body, json_response
from commonground.security.caller import Caller, caller_of
from commonground.security.permissions import Member, Operation, PermissionSet, Role
from commonground.service.environment import Environment
from commonground.service.environments import Environments

BASE = "/environments/{env}/security"
ACCESS_MODES = ("open", "restricted")


def plain(model: BaseModel) -> Any:
    """A definition as JSON data."""
    return json.loads(model.model_dump_json())


class SecurityApi:
    """The security route handlers."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    async def _run(
        self,
        request: Request,
        work: Callable[[Environment, Caller], Any],
        status: int = 200,
        *,
        administers: bool = True,
    ) -> Response:
        """Run `work` for the request's caller (who must hold Security unless told not)."""
        env: Environment = await run_in_threadpool(
            self.environments.open, request.path_params["env"]
        )
        caller = caller_of(request)

        def checked() -> Any:
            if administers:
                env.security.require_security(caller)
            return work(env, caller)

        result = await run_in_threadpool(checked)
        if result is None:
            return Response(status_code=204)
        return json_response(result, status)

    async def overview(self, request: Request) -> Response:
        """The access mode, every role with its members, and every permission set."""

        def read(env: Environment, _: Caller) -> Any:
            return {
                "access_mode": env.settings.access_mode,
                "roles": [
                    {**plain(r), "members": [plain(m) for m in env.security.members(r.name)]}
                    for r in env.security.roles()
                ],
                "permission_sets": [plain(s) for s in env.security.permission_sets()],
            }

        return await self._run(request, read)

    async def me(self, request: Request) -> Response:
        """The caller's capabilities and, per entity, the operations granted to it."""

        def mine(env: Environment, caller: Caller) -> Any:
            access = env.access(caller)
            entities = {}
            for entity in env.model.entities:
                granted = {}
                for operation in Operation:
                    grant = access.grant(entity.name, operation)
                    if grant is not None:
                        granted[operation.value] = "all" if grant.policies is None else "policy"
                if granted:
                    entities[entity.name] = granted
            return {
                "name": caller.name,
                "kind": caller.kind.value,
                "capabilities": sorted(c.value for c in access.capabilities),
                "entities": entities,
            }

        return await self._run(request, mine, administers=False)

    async def access_mode(self, request: Request) -> Response:
        """Open (no entity security) or restricted."""
        body = await json_body(request, MAX_DEFINITION)
        mode = body.get("access_mode") if isinstance(body, dict) else None
        if mode not in ACCESS_MODES:
            raise ApiError(400, "InvalidDefinition", 'access_mode: use "open" or "restricted"')

        def change(env: Environment, caller: Caller) -> Any:
            env.set_settings(replace(env.settings, access_mode=mode), caller)
            return {"access_mode": mode}

        return await self._run(request, change)

    async def save_permission_set(self, request: Request) -> Response:
        """Create or replace a custom permission set named by the path."""
        body = await json_body(request, MAX_DEFINITION)
        data = {**(body if isinstance(body, dict) else {}), "name": request.path_params["name"]}
        permission_set = parse(PermissionSet, data, "permission set")
        return await self._run(
            request,
            lambda env, caller: plain(env.security.save_permission_set(caller, permission_set)),
        )

    async def delete_permission_set(self, request: Request) -> Response:
        """Delete a custom permission set that no role uses."""
        name = request.path_params["name"]
        return await self._run(
            request, lambda env, caller: env.security.delete_permission_set(caller, name)
        )

    async def save_role(self, request: Request) -> Response:
        """Create a role, or change one (a built-in role keeps its capabilities)."""
        body = await json_body(request, MAX_DEFINITION)
        data = {**(body if isinstance(body, dict) else {}), "name": request.path_params["name"]}

        def save(env: Environment, caller: Caller) -> Any:
            current = env.security.definitions().roles.get(data["name"].lower())
            if current is not None and current.builtin:  # a built-in role keeps what it has
                data.setdefault("capabilities", sorted(c.value for c in current.capabilities))
            return plain(env.security.save_role(caller, parse(Role, data, "role")))

        return await self._run(request, save)

    async def delete_role(self, request: Request) -> Response:
        """Delete a custom role and take it from its members."""
        name = request.path_params["name"]
        return await self._run(request, lambda env, caller: env.security.delete_role(caller, name))

    async def members(self, request: Request) -> Response:
        """Who holds a role."""
        name = request.path_params["name"]
        return await self._run(
            request, lambda env, _: [plain(m) for m in env.security.members(name)]
        )

    async def add_member(self, request: Request) -> Response:
        """Give a role to a user, group or application user."""
        member = parse(Member, await json_body(request, MAX_DEFINITION), "member")
        name = request.path_params["name"]

        def add(env: Environment, caller: Caller) -> Any:
            env.security.add_member(caller, name, member)
            return plain(member)

        return await self._run(request, add, 201)

    async def remove_member(self, request: Request) -> Response:
        """Take a role from one of its holders."""
        params = request.path_params
        member = parse(Member, {"kind": params["kind"], "name": params["member"]}, "member")
        return await self._run(
            request,
            lambda env, caller: env.security.remove_member(caller, params["name"], member),
        )


def security_routes(environments: Environments) -> list[Route]:
    """The security routes, to mount beside the OData services."""
    api = SecurityApi(environments)
    sets, roles = f"{BASE}/permission-sets/{{name}}", f"{BASE}/roles/{{name}}"
    return [
        Route(BASE, api.overview, methods=["GET"]),
        Route(f"{BASE}/me", api.me, methods=["GET"]),
        Route(f"{BASE}/access-mode", api.access_mode, methods=["PUT"]),
        Route(sets, api.save_permission_set, methods=["PUT"]),
        Route(sets, api.delete_permission_set, methods=["DELETE"]),
        Route(roles, api.save_role, methods=["PUT"]),
        Route(roles, api.delete_role, methods=["DELETE"]),
        Route(f"{roles}/members", api.members, methods=["GET"]),
        Route(f"{roles}/members", api.add_member, methods=["POST"]),
        Route(f"{roles}/members/{{kind}}/{{member}}", api.remove_member, methods=["DELETE"]),
    ]
