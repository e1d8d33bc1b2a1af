"""A project's tasks from the pages: add one, delete one, move one up or down, edit its source
filter.

Add task follows the original's dialog (data-integrator.md section 9): a name, then the entity
on each side, picked from what the connection set's connections discover (`discover`, the
integration API's, with secrets blotted out of failures). A task goes in one leg, or in two
through a hub entity. Its first mapping copies every field whose name both sides share
(case-insensitively) and the destination accepts; a second leg maps only the hub fields the
first leg writes, so `direct_mapping` composes the two into source > destination, and the page
says how many fields that direct mapping has.

Tasks run in list order, so order is edited here too. A source filter is an OData `$filter`,
checked against the source's fields by the same parse the run's validation step uses (DIPV1012).
How a task writes (upsert, insert only, update only) and whether it deletes at the destination
what was deleted at the source are chosen when it is added and changed on its Writing page.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.admin.integration.mappings import (
    ProjectEditing,
    described,
    with_task,
)
from commonground.admin.render import done, page
from commonground.admin.sessions import checked_form
from commonground.api.errors import ApiError
from commonground.api.integration.connections import discover
from commonground.api.metadata import parse
from commonground.errors import DefinitionError
from commonground.integration.contracts import WriteMode
from commonground.integration.definitions import FieldMapping, Leg, ProjectDef, TaskDef
from commonground.integration.mapping.filters import filter_problem
from commonground.integration.templates.compose import direct_mapping
from commonground.security.caller import Caller, caller_of

Entities = dict[str, list[dict[str, Any]]]  # role -> entities as discovery reports them


def initial_mapping(
    source: dict[str, Any], destination: dict[str, Any], only: set[str] | None = None
) -> list[FieldMapping]:
    """Copy rows for the fields both entities share by name (case-insensitively) that the
    destination accepts (not read-only); `only` limits the source fields (lower case)."""
    by_name = {f["name"].lower(): f for f in destination["fields"] if not f["read_only"]}
    rows = []
    for field in source["fields"]:
        name = field["name"].lower()
        if name in by_name and (only is None or name in only):
            rows.append(FieldMapping(source=field["name"], destination=by_name[name]["name"]))
    return rows


def _entity(entities: Entities, choice: str, what: str) -> tuple[str, dict[str, Any]]:
    """The role and discovered entity a `role.Entity` choice names."""
    role, dot, name = choice.partition(".")
    found = next((e for e in entities.get(role, []) if e["name"] == name), None)
    if not dot or found is None:
        raise DefinitionError(f"task: {what}: pick an entity of the connection set ({choice!r})")
    return role, found


def posted_writing(form: dict[str, str]) -> dict[str, Any]:
    """The write mode and delete propagation a task form posts (a checkbox absent is off)."""
    mode = form.get("mode", WriteMode.UPSERT.value)
    if mode not in {m.value for m in WriteMode}:
        choices = ", ".join(m.value for m in WriteMode)
        raise DefinitionError(f"task: mode: choose one of {choices} (got {mode!r})")
    return {"mode": WriteMode(mode), "propagate_deletes": form.get("propagate_deletes") == "on"}


def posted_task(form: dict[str, str], entities: Entities) -> TaskDef:
    """A new task from the Add task form, with its initial mapping."""
    source_role, source = _entity(entities, form.get("source", ""), "source")
    target_role, target = _entity(entities, form.get("destination", ""), "destination")
    legs: list[Leg] = []
    if form.get("legs") == "2":
        hub_role, hub = _entity(entities, form.get("hub", ""), "hub")
        first = initial_mapping(source, hub)
        written = {m.destination.lower() for m in first}
        legs.append(
            Leg(
                source=source_role,
                source_entity=source["name"],
                destination=hub_role,
                destination_entity=hub["name"],
                mappings=first,
            )
        )
        source_role, source = hub_role, hub
        rows = initial_mapping(hub, target, written)
    else:
        rows = initial_mapping(source, target)
    legs.append(
        Leg(
            source=source_role,
            source_entity=source["name"],
            destination=target_role,
            destination_entity=target["name"],
            mappings=rows,
        )
    )
    fields = {"name": form.get("name", "").strip(), "legs": legs, **posted_writing(form)}
    return parse(TaskDef, fields, "task")


class TaskPages(ProjectEditing):
    """Adding, removing, ordering and filtering a project's tasks."""

    def _entities(self, project: ProjectDef) -> tuple[Entities, dict[str, str]]:
        """Each role's discovered entities, and each role's discovery failure."""
        links = self.store.connection_set(project.connection_set)
        found: Entities = {}
        failed: dict[str, str] = {}
        for role, connection in links.connections.items():
            try:
                found[role] = sorted(
                    discover(self.store, connection, None), key=lambda e: e["name"]
                )
            except ApiError as exc:
                failed[role] = exc.message
        return found, failed

    async def new(self, request: Request) -> Response:
        """The Add task form: name, legs, and the entities picked from discovery."""
        project = await run_in_threadpool(self.store.project, request.path_params["name"])
        entities, failed = await run_in_threadpool(self._entities, project)
        return page(
            request,
            "integration/task.html",
            project=project,
            entities=entities,
            failed=failed,
            form={},
        )

    async def add(self, request: Request) -> Response:
        """Add the task at the end of the list, with its initial mapping."""
        form = await checked_form(request)
        caller = caller_of(request)
        name = request.path_params["name"]
        project = await run_in_threadpool(self.store.project, name)
        entities, failed = await run_in_threadpool(self._entities, project)
        try:
            task = posted_task(form, entities)
            if any(t.name.lower() == task.name.lower() for t in project.tasks):
                raise DefinitionError(f"task: name: the project already has a task {task.name}")
            fields = len(direct_mapping(task))
        except DefinitionError as exc:
            return page(
                request,
                "integration/task.html",
                400,
                project=project,
                entities=entities,
                failed=failed,
                form=form,
                problem=str(exc),
            )
        updated = project.model_copy(update={"tasks": [*project.tasks, task]})
        await run_in_threadpool(self._save, updated, caller)
        return done(
            f"/integration/projects/{name}",
            f"Added task {task.name} ({fields} fields mapped by name).",
        )

    async def delete(self, request: Request) -> Response:
        """Remove a task from the project."""
        await checked_form(request)
        caller = caller_of(request)
        project, number, task = await self._task(request)
        name = request.path_params["name"]
        tasks = [t for n, t in enumerate(project.tasks, 1) if n != number]
        await run_in_threadpool(self._save, project.model_copy(update={"tasks": tasks}), caller)
        return done(f"/integration/projects/{name}", f"Deleted task {task.name}.")

    async def move(self, request: Request) -> Response:
        """Move a task one place up or down (runs go in task order)."""
        form = await checked_form(request)
        caller = caller_of(request)
        project, number, _ = await self._task(request)
        name = request.path_params["name"]
        direction = form.get("direction", "")
        if direction not in ("up", "down"):
            raise DefinitionError("task: direction: choose up or down")
        other = number - 1 if direction == "up" else number + 1
        if not 1 <= other <= len(project.tasks):
            raise DefinitionError(f"task {number}: cannot move {direction} from where it is")
        tasks = list(project.tasks)
        tasks[number - 1], tasks[other - 1] = tasks[other - 1], tasks[number - 1]
        await run_in_threadpool(self._save, project.model_copy(update={"tasks": tasks}), caller)
        return done(
            f"/integration/projects/{name}",
            f"Moved task {tasks[other - 1].name} to place {other}.",
        )

    async def filter(self, request: Request) -> Response:
        """The source filter form of a task."""
        return await self._task_page(request, "integration/filter.html", edits="filter")

    def _problem(self, project: ProjectDef, task: TaskDef, text: str) -> str | None:
        """Why the filter does not parse against the task's source (None when it does)."""
        leg = task.legs[0]
        links = self.store.connection_set(project.connection_set)
        connection = links.connections.get(leg.source)
        if connection is None:
            return f"connection set {links.name} has no role {leg.source}"
        return filter_problem(described(self.integrator, connection, leg.source_entity), text)

    async def _posted(
        self, request: Request
    ) -> tuple[dict[str, str], Caller, ProjectDef, int, TaskDef]:
        """A task form's fields (CSRF checked), the caller, the project, the task's number."""
        form = await checked_form(request)
        project, number, task = await self._task(request)
        return form, caller_of(request), project, number, task

    async def save_filter(self, request: Request) -> Response:
        """Save the source filter if it parses against the source (empty for none)."""
        form, caller, project, number, task = await self._posted(request)
        name = request.path_params["name"]
        text = form.get("filter", "").strip()
        problem = await run_in_threadpool(self._problem, project, task, text) if text else None
        if problem:
            return page(
                request,
                "integration/filter.html",
                400,
                project=project,
                number=number,
                task=task,
                text=text,
                problem=f"DIPV1012: Source filter cannot be parsed: {problem}",
            )
        updated = with_task(project, number, task.model_copy(update={"filter": text or None}))
        await run_in_threadpool(self._save, updated, caller)
        shown = "Saved the source filter" if text else "Removed the source filter"
        return done(f"/integration/projects/{name}", f"{shown} of {task.name}.")

    async def writing(self, request: Request) -> Response:
        """The Writing form of a task: write mode and delete propagation."""
        return await self._task_page(request, "integration/writing.html")

    async def save_writing(self, request: Request) -> Response:
        """Save how a task writes."""
        form, caller, project, number, task = await self._posted(request)
        name = request.path_params["name"]
        updated = with_task(project, number, task.model_copy(update=posted_writing(form)))
        await run_in_threadpool(self._save, updated, caller)
        saved = updated.tasks[number - 1]
        deletes = "propagates deletes" if saved.propagate_deletes else "keeps deleted records"
        return done(
            f"/integration/projects/{name}",
            f"Task {task.name} now writes by {saved.mode} and {deletes}.",
        )
