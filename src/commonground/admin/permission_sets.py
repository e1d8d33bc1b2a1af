"""Permission set pages of an environment: the editor of a custom set (entity x operation
ticks, each maybe narrowed by a record policy) and deleting one.

Built-in sets (each entity's View and Maintain) are shown but never edited. The service
checks a set against the model (entities, picklist values, user fields); when it refuses, the
form comes back as typed with its message, so nothing typed is lost.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.admin.permission_editor import (
    EntityRow,
    permission_set_of,
    rows_from_form,
    rows_of,
)
from commonground.admin.render import done, page
from commonground.admin.roles import secured, security_path
from commonground.admin.sessions import BASE, checked_form
from commonground.errors import DefinitionError
from commonground.security.permissions import Operation, PermissionSet
from commonground.service.environment import Environment
from commonground.service.environments import Environments


class PermissionSetPages:
    """The permission set editor over an installation's environments."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    async def new(self, request: Request) -> Response:
        """An empty editor for a new custom set."""
        env, _ = await secured(self.environments, request)
        return _editor(request, env, "", "", rows_of(env.model, None), new=True)

    async def edit(self, request: Request) -> Response:
        """The editor filled with a custom set."""
        env, _ = await secured(self.environments, request)
        found = await run_in_threadpool(env.security.permission_set, request.path_params["name"])
        if found.builtin:
            raise DefinitionError(f"built-in permission set '{found.name}' cannot be changed")
        rows = rows_of(env.model, found)
        return _editor(request, env, found.name, found.description, rows, new=False)

    async def save(self, request: Request) -> Response:
        """Create or replace a custom set; a refusal comes back on the form."""
        form = await checked_form(request)
        env, caller = await secured(self.environments, request)
        name, description = form.get("name", "").strip(), form.get("description", "")
        new = bool(form.get("new"))
        rows = rows_from_form(env.model, form)

        def save() -> PermissionSet:
            if new and name.lower() in env.security.definitions().permission_sets:
                raise DefinitionError(f"a permission set named '{name}' exists already")
            checked = permission_set_of(name, description, rows)
            return env.security.save_permission_set(caller, checked)

        try:
            saved = await run_in_threadpool(save)
        except DefinitionError as exc:
            return _editor(request, env, name, description, rows, new, error=str(exc))
        return done(security_path(env), f"Saved permission set {saved.name}.")

    async def delete(self, request: Request) -> Response:
        """Delete a custom set no role uses."""
        await checked_form(request)
        env, caller = await secured(self.environments, request)
        name = request.path_params["name"]
        await run_in_threadpool(env.security.delete_permission_set, caller, name)
        return done(security_path(env), f"Deleted permission set {name}.")


def _editor(
    request: Request,
    env: Environment,
    name: str,
    description: str,
    rows: list[EntityRow],
    new: bool,
    error: str | None = None,
) -> Response:
    return page(
        request,
        "permission_set.html",
        400 if error else 200,
        env=env,
        name=name,
        description=description,
        rows=rows,
        new=new,
        operations=list(Operation),
        error=error,
    )


def permission_set_routes(environments: Environments) -> list[Route]:
    """The permission set editor's routes."""
    pages = PermissionSetPages(environments)
    security = f"{BASE}/environments/{{env}}/security"
    one = f"{security}/permission-sets/{{name}}"
    return [
        Route(f"{security}/new-permission-set", pages.new, methods=["GET"]),
        Route(f"{security}/permission-sets", pages.save, methods=["POST"]),
        Route(f"{one}/edit", pages.edit, methods=["GET"]),
        Route(f"{one}/delete", pages.delete, methods=["POST"]),
    ]
