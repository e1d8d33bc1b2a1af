"""Project pages: the project list, templates, the new-project wizard, a project's tasks and
legs, its schedule, and deleting it.

The wizard follows the original's steps without script: the first form picks the template,
name and connection set; the second (a GET with those choices) offers the set's organization
mappings and the consent, without which no project is created.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.admin.render import done, page
from commonground.admin.sessions import checked_form
from commonground.api.integration.projects import (
    FromTemplate,
    next_sync,
    project_from_template,
    project_list,
    save_schedule,
)
from commonground.api.metadata import parse
from commonground.errors import DefinitionError
from commonground.integration.catalog.definitions_store import DefinitionStore
from commonground.integration.definitions import ProjectDef, ScheduleDef, ScheduleUnit
from commonground.integration.integrator import Integrator, RunInProgressError
from commonground.integration.templates.library import Templates
from commonground.security.caller import caller_of


def posted_schedule(form: dict[str, str]) -> ScheduleDef:
    """A schedule from its form: manual, or every N units from a start until an optional end."""
    every = form.get("every", "").strip()
    data: dict[str, Any] = {
        "notify": [a.strip() for a in form.get("notify", "").split(",") if a.strip()]
    }
    if form.get("recur") == "every":
        data["every"] = every or None
        data["unit"] = form.get("unit") or None
        data["start"] = _moment(form.get("start_date", ""), form.get("start_time", ""), "start")
        data["end"] = _moment(form.get("end_date", ""), form.get("end_time", ""), "end")
    return parse(ScheduleDef, data, "schedule")


def _moment(day: str, time: str, what: str) -> datetime | None:
    """A UTC moment from a date input and a time input (the time defaults to midnight)."""
    if not day.strip():
        return None
    try:
        return datetime.fromisoformat(f"{day.strip()}T{time.strip() or '00:00'}").replace(
            tzinfo=UTC
        )
    except ValueError as exc:
        raise DefinitionError(f"schedule: {what}: not a date and time ({day} {time})") from exc


class ProjectPages:
    """Projects, templates and the new-project wizard."""

    def __init__(self, integrator: Integrator) -> None:
        self.integrator = integrator

    @property
    def store(self) -> DefinitionStore:
        """The installation's definitions."""
        return self.integrator.definitions

    async def index(self, request: Request) -> Response:
        """The project list: name, connections, latest sync, next sync."""
        rows = await run_in_threadpool(project_list, self.integrator)
        return page(request, "integration/index.html", projects=rows)

    async def templates(self, request: Request) -> Response:
        """Every template with the picker's columns."""
        found = await run_in_threadpool(Templates(self.store).list)
        return page(request, "integration/templates.html", templates=found)

    async def wizard(self, request: Request) -> Response:
        """The new-project wizard: step one, or step two once a set is chosen."""
        query = request.query_params
        chosen = {k: query.get(k, "") for k in ("template", "name", "connection_set")}

        def load() -> dict[str, Any]:
            sets = self.store.connection_sets()
            found = next((s for s in sets if s.name == chosen["connection_set"]), None)
            templates = Templates(self.store).list()
            template = next((t for t in templates if t.name == chosen["template"]), None)
            needed = template.roles if template else []
            missing = [r for r in needed if found and r not in found.connections]
            return {
                "templates": templates,
                "sets": sets,
                "chosen_set": found,
                "missing_roles": missing,
            }

        context = await run_in_threadpool(load)
        step = 2 if context["chosen_set"] and chosen["template"] and chosen["name"] else 1
        return page(request, "integration/wizard.html", step=step, chosen=chosen, **context)

    async def create(self, request: Request) -> Response:
        """Create the project from the wizard's choices (consent required)."""
        form = await checked_form(request)
        organization = form.get("organization", "")
        choice = parse(
            FromTemplate,
            {
                "template": form.get("template", ""),
                "name": form.get("name", "").strip(),
                "connection_set": form.get("connection_set", ""),
                "organization": int(organization) if organization.isdigit() else None,
                "consent": form.get("consent") == "yes",
            },
            "project",
        )
        if not choice.consent:
            raise DefinitionError(
                "project: consent: agree that data may move between these systems to create "
                "the project"
            )
        caller = caller_of(request)
        created = await run_in_threadpool(project_from_template, self.store, choice, caller)
        return done(
            f"/integration/projects/{created.name}",
            f"Created project {created.name} from {choice.template}.",
        )

    async def show(self, request: Request) -> Response:
        """A project: its tasks in order with their legs, runs, schedule."""
        name = request.path_params["name"]

        def load() -> dict[str, Any]:
            project = self.store.project(name)
            return {
                "project": project,
                "connection_set": self.store.connection_set(project.connection_set),
                "latest": self.integrator.history.list(name, 5),
                "running": self.integrator.is_running(name),
                "next_sync": next_sync(project.schedule, datetime.now(UTC)),
                "units": [u.value for u in ScheduleUnit],
            }

        return page(request, "integration/project.html", **await run_in_threadpool(load))

    async def schedule(self, request: Request) -> Response:
        """Save the schedule (and whom to notify on warnings and errors)."""
        form = await checked_form(request)
        name = request.path_params["name"]
        schedule = posted_schedule(form)
        caller = caller_of(request)
        await run_in_threadpool(save_schedule, self.store, name, schedule, caller)
        shown = f"every {schedule.every} {schedule.unit}" if schedule.every else "run manually"
        return done(f"/integration/projects/{name}", f"Saved the schedule ({shown}).")

    async def delete(self, request: Request) -> Response:
        """Remove a project (not while it runs); its history stays until purged."""
        await checked_form(request)
        name = request.path_params["name"]

        def work() -> ProjectDef:
            project = self.store.project(name)
            if self.integrator.is_running(name):
                raise RunInProgressError(name, None)
            self.store.delete_project(name)
            return project

        await run_in_threadpool(work)
        return done("/integration", f"Deleted project {name}.")
