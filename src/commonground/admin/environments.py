"""Environment pages: list, create, copy, back up, restore, delete, open or restricted.

Creating, copying, restoring and deleting environments is for administrators; switching the
access mode needs the Security capability in that environment (the service layer checks it).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from commonground.admin.render import done, page
from commonground.admin.sessions import BASE, checked_form, checked_upload
from commonground.errors import DefinitionError, ForbiddenError
from commonground.security.caller import Caller, caller_of
from commonground.security.permissions import Capability
from commonground.service.environment import Environment, EnvironmentSettings
from commonground.service.environments import Environments


@dataclass(frozen=True)
class Listed:
    """One environment as the list shows it."""

    name: str
    settings: EnvironmentSettings
    entities: int
    may_secure: bool


def require_admin(caller: Caller, what: str) -> None:
    """Only installation administrators manage environments themselves."""
    if not caller.admin:
        raise ForbiddenError(what, "this installation")


class EnvironmentPages:
    """The environment pages over one installation."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    def _listed(self, caller: Caller) -> list[Listed]:
        out = []
        for name in self.environments.names():
            env = self.environments.open(name)
            may = Capability.SECURITY in env.access(caller).capabilities
            out.append(Listed(env.name, env.settings, len(env.model.entities), may))
        return out

    async def list(self, request: Request) -> Response:
        """Every environment with its access mode and what may be done with it."""
        listed = await run_in_threadpool(self._listed, caller_of(request))
        return page(request, "environments.html", environments=listed)

    async def create(self, request: Request) -> Response:
        """A new environment; its creator owns it."""
        form = await checked_form(request)
        caller = caller_of(request)
        require_admin(caller, "create environments")
        mode = "open" if form.get("open") else "restricted"
        settings = EnvironmentSettings(mode, form.get("description", ""))
        name = form.get("name", "")
        await run_in_threadpool(self.environments.create, name, settings, None, caller)
        return done("/environments", f"Created environment {name} ({mode} access).")

    async def copy(self, request: Request) -> Response:
        """A copy of an environment under a new name (a sandbox, say)."""
        form = await checked_form(request)
        require_admin(caller_of(request), "copy environments")
        source, target = request.path_params["env"], form.get("target", "")
        await run_in_threadpool(self.environments.copy, source, target)
        return done("/environments", f"Copied {source} to {target}.")

    async def backup(self, request: Request) -> Response:
        """The environment as one zip file, downloaded."""
        require_admin(caller_of(request), "back up environments")
        name = request.path_params["env"]
        folder = Path(tempfile.mkdtemp(prefix="cg-backup-"))
        path = folder / f"{name}.zip"
        await run_in_threadpool(self.environments.backup, name, path)
        return FileResponse(
            path,
            filename=path.name,
            media_type="application/zip",
            background=BackgroundTask(_remove, folder),
        )

    async def restore(self, request: Request) -> Response:
        """A new environment from an uploaded backup."""
        form, content = await checked_upload(request, "backup")
        require_admin(caller_of(request), "restore environments")
        if not content:
            raise DefinitionError("choose a backup file (.zip) to restore")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "backup.zip"
            path.write_bytes(content)
            env: Environment = await run_in_threadpool(
                self.environments.restore, path, form.get("name") or None
            )
        return done("/environments", f"Restored environment {env.name}.")

    async def delete(self, request: Request) -> Response:
        """Delete an environment with all its data."""
        await checked_form(request)
        require_admin(caller_of(request), "delete environments")
        name = request.path_params["env"]
        await run_in_threadpool(self.environments.delete, name)
        return done("/environments", f"Deleted environment {name}.")

    async def access(self, request: Request) -> Response:
        """Open or restricted access."""
        form = await checked_form(request)
        mode = form.get("mode", "")
        if mode not in ("open", "restricted"):
            raise DefinitionError("access mode: choose open or restricted")
        env = await run_in_threadpool(self.environments.open, request.path_params["env"])
        settings = replace(env.settings, access_mode=mode)
        await run_in_threadpool(env.set_settings, settings, caller_of(request))
        return done("/environments", f"{env.name} now has {mode} access.")


def _remove(folder: Path) -> None:
    for item in folder.iterdir():
        item.unlink()
    folder.rmdir()


def environment_routes(environments: Environments) -> list[Route]:
    """The environment pages' routes."""
    pages = EnvironmentPages(environments)
    one = f"{BASE}/environments/{{env}}"
    return [
        Route(f"{BASE}/environments", pages.list, methods=["GET"]),
        Route(f"{BASE}/environments", pages.create, methods=["POST"]),
        Route(f"{BASE}/environments/restore", pages.restore, methods=["POST"]),
        Route(f"{one}/copy", pages.copy, methods=["POST"]),
        Route(f"{one}/backup", pages.backup, methods=["GET"]),
        Route(f"{one}/delete", pages.delete, methods=["POST"]),
        Route(f"{one}/access", pages.access, methods=["POST"]),
    ]
