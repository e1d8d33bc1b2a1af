"""An environment's security page: its access mode, its roles with their permission sets,
capabilities and members, and its permission sets; plus the role editor and role grants.

Everything here needs the Security capability in the environment (Environment Admin, or an
installation administrator). Changes go through `env.security`, which checks that right
again and writes the audit log; the pages only turn forms into definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.admin.permission_editor import refusal
from commonground.admin.render import done, page
from commonground.admin.sessions import BASE, checked_form
from commonground.errors import DefinitionError
from commonground.security.caller import Caller, caller_of
from commonground.security.permissions import Capability, Member, MemberKind, Role
from commonground.service.environment import Environment
from commonground.service.environments import Environments


def security_path(env: Environment) -> str:
    """Where an environment's security page is, below /admin."""
    return f"/environments/{quote(env.name)}/security"


async def secured(environments: Environments, request: Request) -> tuple[Environment, Caller]:
    """The environment named by the path and the caller, who must hold Security in it."""
    env: Environment = await run_in_threadpool(environments.open, request.path_params["env"])
    caller = caller_of(request)
    await run_in_threadpool(env.security.require_security, caller)
    return env, caller


class RolePages:
    """The security overview, the role editor and role grants."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    async def overview(self, request: Request) -> Response:
        """Access mode, roles with members, permission sets."""
        env, _ = await secured(self.environments, request)

        def read() -> dict[str, Any]:
            roles = env.security.roles()
            return {
                "roles": roles,
                "members": {r.name: env.security.members(r.name) for r in roles},
                "permission_sets": env.security.permission_sets(),
            }

        context = await run_in_threadpool(read)
        return page(request, "security.html", env=env, kinds=list(MemberKind), **context)

    async def new_role(self, request: Request) -> Response:
        """The form for a new custom role."""
        env, _ = await secured(self.environments, request)
        return await self._editor(request, env, Role(name="New role"), new=True)

    async def edit_role(self, request: Request) -> Response:
        """The form for an existing role (a built-in one may only get permission sets)."""
        env, _ = await secured(self.environments, request)
        role = await run_in_threadpool(env.security.role, request.path_params["role"])
        return await self._editor(request, env, role, new=False)

    async def _editor(
        self,
        request: Request,
        env: Environment,
        role: Role,
        new: bool,
        error: str | None = None,
    ) -> Response:
        sets = await run_in_threadpool(env.security.permission_sets)
        return page(
            request,
            "role.html",
            400 if error else 200,
            env=env,
            role=role,
            new=new,
            permission_sets=sets,
            capabilities=list(Capability),
            error=error,
        )

    async def save_role(self, request: Request) -> Response:
        """Create or change a role from the editor's form; a refusal comes back on it."""
        form = await checked_form(request)
        env, caller = await secured(self.environments, request)
        new = bool(form.get("new"))
        name = form.get("name", "").strip()
        current = await run_in_threadpool(
            lambda: env.security.definitions().roles.get(name.lower())
        )
        builtin = current is not None and current.builtin
        ticked = frozenset(c for c in Capability if form.get(f"capability:{c.value}"))
        draft = Role.model_construct(
            name=name,
            description=form.get("description", ""),
            builtin=builtin,
            permission_sets=tuple(k.removeprefix("set:") for k in form if k.startswith("set:")),
            capabilities=current.capabilities if current and builtin else ticked,
        )

        def save() -> Role:
            if new and current is not None:
                raise DefinitionError(f"a role named '{current.name}' exists already")
            return env.security.save_role(caller, _role(draft.model_dump()))

        try:
            saved = await run_in_threadpool(save)
        except DefinitionError as exc:
            return await self._editor(request, env, draft, new, error=str(exc))
        return done(security_path(env), f"Saved role {saved.name}.")

    async def delete_role(self, request: Request) -> Response:
        """Delete a custom role; its members lose it."""
        return await self._change(
            request,
            lambda env, caller, _: env.security.delete_role(caller, request.path_params["role"]),
            "Deleted role {role}.",
        )

    async def grant(self, request: Request) -> Response:
        """Give a role to a user, group or application user."""
        return await self._change(
            request,
            lambda env, caller, form: env.security.add_member(
                caller, request.path_params["role"], _member(form)
            ),
            "Gave role {role} to {kind} {name}.",
        )

    async def revoke(self, request: Request) -> Response:
        """Take a role from one of its holders."""
        return await self._change(
            request,
            lambda env, caller, form: env.security.remove_member(
                caller, request.path_params["role"], _member(form)
            ),
            "Took role {role} from {kind} {name}.",
        )

    async def _change(
        self,
        request: Request,
        work: Callable[[Environment, Caller, dict[str, str]], None],
        message: str,
    ) -> Response:
        form = await checked_form(request)
        env, caller = await secured(self.environments, request)
        await run_in_threadpool(work, env, caller, form)
        return done(security_path(env), message.format_map({**form, **request.path_params}))


def _member(form: dict[str, str]) -> Member:
    """The role holder a form names (DefinitionError for an unknown kind or no name)."""
    kind, name = form.get("kind", ""), form.get("name", "").strip()
    if kind not in set(MemberKind) or not name:
        raise DefinitionError("name a user, group or application user")
    return Member(kind=MemberKind(kind), name=name)


def _role(data: dict[str, Any]) -> Role:
    """A role from the editor's fields (DefinitionError when the name does not fit)."""
    try:
        return Role.model_validate(data)
    except ValidationError as exc:
        raise refusal(exc) from exc


def role_routes(environments: Environments) -> list[Route]:
    """The security page's and role editor's routes."""
    pages = RolePages(environments)
    security = f"{BASE}/environments/{{env}}/security"
    role = f"{security}/roles/{{role}}"
    return [
        Route(security, pages.overview, methods=["GET"]),
        Route(f"{security}/new-role", pages.new_role, methods=["GET"]),
        Route(f"{security}/roles", pages.save_role, methods=["POST"]),
        Route(f"{role}/edit", pages.edit_role, methods=["GET"]),
        Route(f"{role}/delete", pages.delete_role, methods=["POST"]),
        Route(f"{role}/members", pages.grant, methods=["POST"]),
        Route(f"{role}/members/revoke", pages.revoke, methods=["POST"]),
    ]
