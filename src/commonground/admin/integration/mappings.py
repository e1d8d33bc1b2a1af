"""The mapping editor of a task's leg, the transform editor of one row (JSON, or rows for the
common transforms: see transform_rows.py), and the advanced query editor with a preview of
the first rows.

A mapping row is a destination field fed by a source field (map type `=`) or by transforms
(`Fn`, a JSON array like the original's, checked by the same parser the engine uses when it
is saved). The advanced query is a DuckDB SELECT over the batch named `source`; "Preview"
reads the first rows of the task's source and runs the query (saved or not) over them, so a
query can be tried before a run.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.admin.integration.transform_rows import (
    NEW_ROWS,
    Rows,
    chain_of,
    posted_rows,
    rows_of,
    uncovered,
)
from commonground.admin.render import done, page
from commonground.admin.sessions import checked_form
from commonground.api.integration.connections import redact, secret_values
from commonground.api.integration.projects import save_project
from commonground.errors import CommonGroundError, DefinitionError, NotFoundError
from commonground.integration.catalog.definitions_store import DefinitionStore
from commonground.integration.contracts import EntityInfo, ReadRequest
from commonground.integration.definitions import FieldMapping, Leg, ProjectDef, TaskDef
from commonground.integration.integrator import Integrator
from commonground.integration.mapping.advanced import check_query, run_advanced_query
from commonground.integration.mapping.transforms import parse_transforms
from commonground.integration.mapping.validation import Problem, validate_leg
from commonground.security.caller import Caller, caller_of

PREVIEW_ROWS = 20
ANY_LENGTH = 1  # stands in for the destination's length when a transform's shape is checked


def task_of(project: ProjectDef, request: Request) -> tuple[int, TaskDef]:
    """The task a page's path names (`{task}` counts from 1), with its number."""
    number = int(request.path_params["task"])
    if not 1 <= number <= len(project.tasks):
        raise NotFoundError("Task", str(number), f"project {project.name}")
    return number, project.tasks[number - 1]


def _leg(task: TaskDef, request: Request) -> tuple[int, Leg]:
    number = int(request.path_params["leg"])
    if not 1 <= number <= len(task.legs):
        raise NotFoundError("Leg", str(number), f"task {task.name}")
    return number, task.legs[number - 1]


def with_task(project: ProjectDef, number: int, task: TaskDef) -> ProjectDef:
    """The project with task `number` (1-based) replaced."""
    tasks = list(project.tasks)
    tasks[number - 1] = task
    return project.model_copy(update={"tasks": tasks})


def with_leg(task: TaskDef, number: int, leg: Leg) -> TaskDef:
    """The task with leg `number` (1-based) replaced."""
    legs = list(task.legs)
    legs[number - 1] = leg
    return task.model_copy(update={"legs": legs})


def posted_mappings(form: dict[str, str], current: list[FieldMapping]) -> list[FieldMapping]:
    """The grid as posted: rows kept (minus removed ones) with their transforms, plus a new row."""
    rows = []
    for n, row in enumerate(current):
        if form.get(f"remove.{n}"):
            continue
        destination = form.get(f"destination.{n}", row.destination).strip()
        source = form.get(f"source.{n}", row.source or "").strip() or None
        if not destination:
            raise DefinitionError(f"mapping row {n + 1}: destination field is required")
        rows.append(FieldMapping(source=source, destination=destination, transform=row.transform))
    destination = form.get("destination.new", "").strip()
    if destination:
        source = form.get("source.new", "").strip() or None
        rows.append(FieldMapping(source=source, destination=destination))
    elif form.get("source.new", "").strip():
        raise DefinitionError("new mapping: destination field is required")
    return rows


def parsed_transform(text: str, row: FieldMapping) -> list[dict[str, Any]] | None:
    """A transform chain from its JSON, checked as the engine will read it (None when empty)."""
    if not text.strip():
        return None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"transform: not valid JSON ({exc})") from exc
    described = f"{row.source or 'None'} -> {row.destination}"
    # The shape is checked here; whether a bare Truncate finds a length on the destination is
    # the validation step's to say (the mapping page's Issues column shows it).
    parse_transforms(spec, mapping=described, field=row.destination, max_length=ANY_LENGTH)
    if not spec:
        return None
    if not all(isinstance(item, dict) for item in spec):
        raise DefinitionError("transform: every item of the array must be an object")
    return list(spec)


def described(integrator: Integrator, connection: str, entity: str) -> EntityInfo:
    """An entity as its connection describes it (failures with the secrets blotted out)."""
    secrets = secret_values(integrator.definitions, connection)
    connector = integrator.connectors.open(connection)
    try:
        return connector.describe(entity)
    except CommonGroundError as exc:
        raise DefinitionError(f"{connection}: {redact(str(exc), secrets)}") from exc
    finally:
        integrator.connectors.release(connector)


class ProjectEditing:
    """Pages that change a project's definition and save it whole."""

    def __init__(self, integrator: Integrator) -> None:
        self.integrator = integrator

    @property
    def store(self) -> DefinitionStore:
        """The installation's definitions."""
        return self.integrator.definitions

    def _save(self, project: ProjectDef, caller: Caller) -> None:
        save_project(self.store, project, caller, replace=True)

    async def _task(self, request: Request) -> tuple[ProjectDef, int, TaskDef]:
        """The project and the task a URL names, with the task's number (404 when missing)."""
        project = await run_in_threadpool(self.store.project, request.path_params["name"])
        number, task = task_of(project, request)
        return project, number, task

    async def _task_page(
        self, request: Request, template: str, edits: str | None = None
    ) -> Response:
        """A form about one task; `edits` names the task's field the form shows as `text`."""
        project, number, task = await self._task(request)
        text = None if edits is None else getattr(task, edits) or ""
        return page(request, template, project=project, number=number, task=task, text=text)


class MappingPages(ProjectEditing):
    """Field mappings, transforms and advanced queries of a project's tasks."""

    async def mapping(self, request: Request) -> Response:
        """The mapping grid of one leg."""
        project, number, task, leg_number, leg = await self._leg_of(request)
        problems = await run_in_threadpool(self._issues, project, task, leg_number - 1)
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            if problem.field:
                by_field.setdefault(problem.field.lower(), []).append(
                    f"{problem.code}: {problem.message}"
                )
        shown = {m.destination.lower() for m in leg.mappings}
        banner = [
            f"{p.code}: {p.message}"
            for p in problems
            if not p.field or p.field.lower() not in shown
        ]
        return page(
            request,
            "integration/mapping.html",
            project=project,
            number=number,
            task=task,
            leg_number=leg_number,
            leg=leg,
            issues=by_field,
            banner=banner,
        )

    def _issues(self, project: ProjectDef, task: TaskDef, index: int) -> list[Problem]:
        """What the run's validation step would say of this leg (a connection that fails
        is one problem, its secrets blotted out)."""
        leg = task.legs[index]
        links = self.store.connection_set(project.connection_set)
        try:
            source = self._describe(links.connections[leg.source], leg.source_entity)
            destination = self._describe(links.connections[leg.destination], leg.destination_entity)
        except (CommonGroundError, KeyError) as exc:
            return [Problem("DIPV1000", task.name, None, f"Could not check the mapping: {exc}")]
        key = links.key_for(leg.destination, destination.name)
        query = task.query if index == 0 else None
        return validate_leg(
            task.name, leg, source, destination, key, task.source_filter(index), query
        )

    def _describe(self, connection: str, entity: str) -> EntityInfo:
        return described(self.integrator, connection, entity)

    async def save_mapping(self, request: Request) -> Response:
        """Save the grid: edited rows, removed rows, one new row."""
        form = await checked_form(request)
        caller = caller_of(request)
        name = request.path_params["name"]
        project, number, task, leg_number, leg = await self._leg_of(request)
        changed = leg.model_copy(update={"mappings": posted_mappings(form, leg.mappings)})
        updated = with_task(project, number, with_leg(task, leg_number, changed))
        await run_in_threadpool(self._save, updated, caller)
        return done(
            f"/integration/projects/{name}/tasks/{number}/legs/{leg_number}",
            f"Saved the field mapping of {task.name}.",
        )

    async def _leg_of(self, request: Request) -> tuple[ProjectDef, int, TaskDef, int, Leg]:
        """The project, task and leg a URL names (404 when one is missing)."""
        project, number, task = await self._task(request)
        leg_number, leg = _leg(task, request)
        return project, number, task, leg_number, leg

    def _row(self, leg: Leg, request: Request) -> tuple[int, FieldMapping]:
        row = int(request.path_params["row"])
        if not 1 <= row <= len(leg.mappings):
            raise NotFoundError("Mapping row", str(row), f"leg {leg.source} > {leg.destination}")
        return row, leg.mappings[row - 1]

    async def transform(self, request: Request) -> Response:
        """The transform chain of one mapping row as JSON."""
        project, number, task, leg_number, leg = await self._leg_of(request)
        row_number, row = self._row(leg, request)
        text = json.dumps(row.transform, indent=2, ensure_ascii=False) if row.transform else ""
        return self._transform_page(
            request, project, number, task, leg_number, row_number, row, text
        )

    def _transform_page(
        self,
        request: Request,
        project: ProjectDef,
        number: int,
        task: TaskDef,
        leg_number: int,
        row_number: int,
        row: FieldMapping,
        text: str,
        problem: str | None = None,
        rows: Rows | None = None,
        extra: int = NEW_ROWS,
    ) -> Response:
        return page(
            request,
            "integration/transform.html",
            400 if problem else 200,
            project=project,
            number=number,
            task=task,
            leg_number=leg_number,
            row_number=row_number,
            row=row,
            text=text,
            problem=problem,
            uncovered=None if rows else uncovered(row.transform),
            rows=rows or rows_of(None if uncovered(row.transform) else row.transform),
            extra=extra,
        )

    async def save_transform(self, request: Request) -> Response:
        """Save the transform chain if the engine can read it; else show why, text kept."""
        form = await checked_form(request)
        caller = caller_of(request)
        name = request.path_params["name"]
        project, number, task, leg_number, leg = await self._leg_of(request)
        row_number, row = self._row(leg, request)
        text = form.get("transform", "")
        shown = (request, project, number, task, leg_number, row_number, row)
        edited = None
        try:
            if form.get("editor") == "rows":
                edited = posted_rows(form, rows_of(row.transform))
                if form.get("action") == "add":
                    count = form.get("map.count", "")
                    empty = int(count) - len(edited.pairs) if count.isdigit() else 0
                    extra = max(empty, 0) + 1
                    return self._transform_page(*shown, text, rows=edited, extra=extra)
                text = json.dumps(chain_of(edited), indent=2, ensure_ascii=False)
            chain = parsed_transform(text, row)
        except DefinitionError as exc:
            return self._transform_page(*shown, text, str(exc), edited)
        rows = list(leg.mappings)
        rows[row_number - 1] = row.model_copy(update={"transform": chain})
        changed = leg.model_copy(update={"mappings": rows})
        updated = with_task(project, number, with_leg(task, leg_number, changed))
        await run_in_threadpool(self._save, updated, caller)
        return done(
            f"/integration/projects/{name}/tasks/{number}/legs/{leg_number}",
            f"Saved the transform of {row.destination}.",
        )

    async def query(self, request: Request) -> Response:
        """The advanced query editor of a task."""
        return await self._task_page(request, "integration/query.html", edits="query")

    async def save_query(self, request: Request) -> Response:
        """Save the query (one SELECT, or empty for none), or preview its first rows."""
        form = await checked_form(request)
        caller = caller_of(request)
        project, number, task = await self._task(request)
        name = request.path_params["name"]
        text = form.get("query", "").strip()
        context: dict[str, Any] = {"project": project, "number": number, "task": task, "text": text}
        try:
            if text:
                check_query(text, task.name)
            if form.get("action") == "preview":
                rows = await run_in_threadpool(self._preview, project, task, text or None)
                return page(request, "integration/query.html", rows=rows, **context)
        except CommonGroundError as exc:
            return page(request, "integration/query.html", 400, problem=str(exc), **context)
        updated = with_task(project, number, task.model_copy(update={"query": text or None}))
        await run_in_threadpool(self._save, updated, caller)
        return done(
            f"/integration/projects/{name}/tasks/{number}/query",
            f"Saved the advanced query of {task.name}.",
        )

    def _preview(self, project: ProjectDef, task: TaskDef, query: str | None) -> list[Any]:
        """The first rows of the task's source, through the query when there is one."""
        leg = task.legs[0]
        links = self.store.connection_set(project.connection_set)
        connection = links.connections.get(leg.source)
        if connection is None:
            raise DefinitionError(f"connection set {links.name} has no role {leg.source}")
        organization = None
        if project.organization is not None and project.organization < len(links.organizations):
            organization = links.organizations[project.organization].get(leg.source)
        secrets = secret_values(self.store, connection)
        request = ReadRequest(
            leg.source_entity,
            filter=task.source_filter(0),
            organization=organization,
            batch_size=PREVIEW_ROWS,
            stamps=False,
        )
        connector = self.integrator.connectors.open(connection)
        try:
            records = [r for b in islice(connector.read(request), 1) for r in b.records]
        except CommonGroundError as exc:
            problem = redact(str(exc), secrets)
            raise DefinitionError(f"reading {leg.source}.{leg.source_entity}: {problem}") from exc
        finally:
            self.integrator.connectors.release(connector)
        records = records[:PREVIEW_ROWS]
        if query:
            records = run_advanced_query(query, records, task.name)[:PREVIEW_ROWS]
        return records
