"""Projects over HTTP: the project list, definitions, YAML export and import, the schedule and
Save as template.

A project is created from a ProjectDef body, or from a template with the new-project
wizard's choices (`template`, `name`, `connection_set`, `organization`, `consent`). Consent is
required either way and logged by the catalog. The list carries the original's columns:
name, connections, latest sync (status and time, or null) and next sync (a time, or
"Not scheduled").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.api.errors import ApiError
from commonground.api.integration.connections import require_usable
from commonground.api.integration.exchange import (
    BASE,
    YAML_MEDIA,
    Handlers,
    document_body,
    json_object,
    location,
    named,
    query_bool,
    referenced,
)
from commonground.api.integration.templates import template_summary
from commonground.api.metadata import definition, parse
from commonground.integration.catalog.database import utc_now
from commonground.integration.catalog.definitions_store import DefinitionStore
from commonground.integration.definitions import (
    NAME,
    ConnectionSetDef,
    Definition,
    ProjectDef,
    ScheduleDef,
)
from commonground.integration.integrator import Integrator, RunInProgressError
from commonground.integration.schedules import next_occurrence
from commonground.integration.templates.library import Templates, project_file
from commonground.security.caller import Caller, caller_of

NOT_SCHEDULED = "Not scheduled"


class FromTemplate(Definition):
    """The new-project wizard's choices: a template, a name, a connection set, consent."""

    template: str
    name: str = Field(pattern=NAME)
    connection_set: str
    organization: int | None = None
    consent: StrictBool = False


class SaveAsTemplate(Definition):
    """Save as template: the new template's name and the picker's columns."""

    name: str = Field(pattern=NAME)
    description: str = ""
    author: str = ""
    version: str = "1.0.0.0"
    replace: StrictBool = False


def next_sync(schedule: ScheduleDef, now: datetime) -> datetime | str:
    """The next scheduled run, or "Not scheduled"."""
    return next_occurrence(schedule, now) or NOT_SCHEDULED


def check_schedule(schedule: ScheduleDef) -> None:
    """A schedule that can run: every with a unit, a start, an end after the start."""
    if (schedule.every is None) != (schedule.unit is None):
        missing = "unit" if schedule.unit is None else "every"
        raise ApiError(400, "InvalidDefinition", f"schedule: {missing}: every and unit go together")
    if schedule.every is not None and schedule.start is None:
        raise ApiError(
            400, "InvalidDefinition", "schedule: start: a recurring schedule needs a start"
        )
    if schedule.start and schedule.end and schedule.end <= schedule.start:
        raise ApiError(400, "InvalidDefinition", "schedule: end: must be after the start")


def require_usable_set(store: DefinitionStore, name: str, caller: Caller) -> None:
    """The connection set exists and its connections act as the caller (see
    `require_usable`)."""
    with referenced("project", "connection_set"):
        connection_set = store.connection_set(name)
    require_usable(store, connection_set.connections.values(), caller)


def project_from_template(
    store: DefinitionStore, choice: FromTemplate, caller: Caller
) -> ProjectDef:
    """The new-project wizard's project (consent required, and logged by the catalog)."""
    templates = Templates(store)
    with referenced("project", "template"):
        templates.get(choice.template)
    require_usable_set(store, choice.connection_set, caller)
    return templates.create_project(
        choice.template,
        choice.name,
        choice.connection_set,
        choice.organization,
        choice.consent,
        caller.name,
    )


def save_project(
    store: DefinitionStore, project: ProjectDef, caller: Caller, replace: bool
) -> ProjectDef:
    """Save a project whose connection set the caller may use."""
    require_usable_set(store, project.connection_set, caller)
    return store.save_project(project, caller.name, replace)


def save_schedule(
    store: DefinitionStore, name: str, schedule: ScheduleDef, caller: Caller
) -> ProjectDef:
    """Set a project's schedule (checked first, see `check_schedule`)."""
    check_schedule(schedule)
    project = store.project(name).model_copy(update={"schedule": schedule})
    return store.save_project(project, caller.name, replace=True)


def project_list(integrator: Integrator) -> list[dict[str, Any]]:
    """The project list: name, connections, latest sync, next sync."""
    store, history = integrator.definitions, integrator.history
    sets = {s.name: s for s in store.connection_sets()}
    now = utc_now()
    rows = []
    for project in store.projects():
        links: ConnectionSetDef | None = sets.get(project.connection_set)
        latest = history.list(project.name, limit=1)
        rows.append(
            {
                "name": project.name,
                "description": project.description,
                "connection_set": project.connection_set,
                "connections": list(links.connections.values()) if links else [],
                "latest_sync": {
                    "status": latest[0].status,
                    "time": latest[0].submitted_on,
                    "execution": latest[0].id,
                }
                if latest
                else None,
                "next_sync": next_sync(project.schedule, now),
            }
        )
    return rows


class ProjectHandlers(Handlers):
    """Projects and what a user does with one, runs aside."""

    async def list_projects(self, request: Request) -> Response:
        """The project list: name, connections, latest sync, next sync."""
        return await self.answer(lambda: project_list(self.integrator))

    async def show_project(self, request: Request) -> Response:
        """One project's definition (what a PUT sends back)."""
        name = request.path_params["name"]
        return await self.answer(lambda: definition(self.integrator.definitions.project(name)))

    async def create_project(self, request: Request) -> Response:
        """A new project, from a ProjectDef body or from a template."""
        body = await json_object(request, "project")
        caller = caller_of(request)
        if "template" in body:
            choice = parse(FromTemplate, body, "project")
            return await self.answer(
                lambda: self._from_template(choice, caller),
                201,
                location(request, f"projects/{choice.name}"),
            )
        project = parse(ProjectDef, body, "project")
        return await self.answer(
            lambda: self._save(project, caller, replace=False),
            201,
            location(request, f"projects/{project.name}"),
        )

    def _from_template(self, choice: FromTemplate, caller: Caller) -> Any:
        return definition(project_from_template(self.integrator.definitions, choice, caller))

    def _save(self, project: ProjectDef, caller: Caller, replace: bool) -> Any:
        return definition(save_project(self.integrator.definitions, project, caller, replace))

    async def update_project(self, request: Request) -> Response:
        """Replace a project's definition."""
        name = request.path_params["name"]
        project = parse(
            ProjectDef, named(await json_object(request, "project"), name, "project"), "project"
        )
        caller = caller_of(request)

        def work() -> Any:
            self.integrator.definitions.project(name)  # 404 when there is none
            return self._save(project, caller, replace=True)

        return await self.answer(work)

    async def delete_project(self, request: Request) -> Response:
        """Remove a project (409 while it runs); its history stays until purged."""
        name = request.path_params["name"]

        def work() -> None:
            self.integrator.definitions.project(name)
            if self.integrator.is_running(name):
                raise RunInProgressError(name, None)
            self.integrator.definitions.delete_project(name)

        return await self.answer(work, 204)

    async def export_project(self, request: Request) -> Response:
        """The project as YAML; `?history=true` adds its executions."""
        name = request.path_params["name"]
        with_history = query_bool(request, "history")
        text = await run_in_threadpool(project_file, self.integrator, name, with_history)
        return Response(
            text,
            media_type=YAML_MEDIA,
            headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'},
        )

    async def import_project(self, request: Request) -> Response:
        """A project from exported YAML (`?replace=true` replaces one of the same name)."""
        data = await document_body(request, "project")
        data.pop("history", None)
        project = parse(ProjectDef, data, "project")
        replace = query_bool(request, "replace")
        caller = caller_of(request)
        return await self.answer(
            lambda: self._save(project, caller, replace),
            201,
            location(request, f"projects/{project.name}"),
        )

    async def set_schedule(self, request: Request) -> Response:
        """Set a project's schedule (a ScheduleDef body; `{}` means run manually)."""
        name = request.path_params["name"]
        schedule = parse(ScheduleDef, await json_object(request, "schedule"), "schedule")
        check_schedule(schedule)
        caller = caller_of(request)

        def work() -> Any:
            save_schedule(self.integrator.definitions, name, schedule, caller)
            return {
                "project": name,
                "schedule": definition(schedule),
                "next_sync": next_sync(schedule, utc_now()),
            }

        return await self.answer(work)

    async def save_as_template(self, request: Request) -> Response:
        """A template from the project's tasks and mappings."""
        name = request.path_params["name"]
        choice = parse(SaveAsTemplate, await json_object(request, "template"), "template")
        templates = Templates(self.integrator.definitions)
        return await self.answer(
            lambda: template_summary(
                templates.save_project_as_template(
                    name,
                    choice.name,
                    choice.description,
                    choice.author,
                    choice.version,
                    choice.replace,
                )
            ),
            201,
            location(request, f"templates/{choice.name}"),
        )


def project_routes(handlers: ProjectHandlers) -> list[Route]:
    """The routes of projects, runs aside."""
    one = f"{BASE}/projects/{{name}}"
    return [
        Route(f"{BASE}/projects", handlers.list_projects, methods=["GET"]),
        Route(f"{BASE}/projects", handlers.create_project, methods=["POST"]),
        Route(f"{BASE}/projects/import", handlers.import_project, methods=["POST"]),
        Route(one, handlers.show_project, methods=["GET"]),
        Route(one, handlers.update_project, methods=["PUT"]),
        Route(one, handlers.delete_project, methods=["DELETE"]),
        Route(f"{one}/export", handlers.export_project, methods=["GET"]),
        Route(f"{one}/schedule", handlers.set_schedule, methods=["PUT"]),
        Route(f"{one}/template", handlers.save_as_template, methods=["POST"]),
    ]
