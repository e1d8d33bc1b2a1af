"""The record form: one record's fields laid out by field group, to create, edit or delete it.

Buttons appear only for what the caller may do; the service decides again when the form is
sent. A rejected record comes back as the same form with the caller's input kept and each
message under the input it is about; a stale edit (someone saved in between) is refused by
the version the form carries.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.admin.lookup_choices import with_record_choices
from commonground.admin.opened import entity_of, environment_of
from commonground.admin.record_inputs import (
    errors_by_input,
    form_values,
    layout,
    record_from,
)
from commonground.admin.render import done, page
from commonground.admin.sessions import BASE, checked_form
from commonground.errors import DefinitionError, RecordError, RecordValidationError
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.security.caller import caller_of
from commonground.security.permissions import Operation
from commonground.service.environment import Environment
from commonground.service.environments import Environments


class RecordFormPages:
    """The record forms of every entity."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    async def _form(
        self,
        request: Request,
        env: Environment,
        entity: Entity,
        values: dict[str, str],
        record: dict[str, Any] | None = None,
        errors: list[RecordError] | None = None,
    ) -> Response:
        caller = caller_of(request)
        access = env.access(caller)
        sections = await run_in_threadpool(
            with_record_choices, env, layout(env.model, entity), values, caller
        )
        at_field, general = errors_by_input(sections, errors or [])
        creating = record is None
        editable = access.allows(entity.name, Operation.CREATE if creating else Operation.UPDATE)
        return page(
            request,
            "record.html",
            400 if errors else 200,
            env=env,
            entity=entity,
            sections=sections,
            values=values,
            record=record,
            field_errors=at_field,
            general=general,
            error="The record was not saved; see the messages below." if errors else None,
            editable=editable,
            may_delete=not creating and access.allows(entity.name, Operation.DELETE),
        )

    async def new(self, request: Request) -> Response:
        """An empty form for a new record."""
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        env.access(caller_of(request)).require(entity.name, Operation.CREATE)
        return await self._form(request, env, entity, {})

    async def create(self, request: Request) -> Response:
        """Create the record the form describes."""
        form = await checked_form(request)
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        record = record_from(entity, form, creating=True)
        try:
            result = await run_in_threadpool(env.create, entity.name, [record], caller_of(request))
        except RecordValidationError as exc:
            return await self._form(request, env, entity, form, errors=exc.errors)
        record_id = result.record_ids[0]
        where = f"/environments/{env.name}/data/{entity.name}"
        return done(f"{where}/{record_id}" if record_id else where, "Created the record.")

    async def show(self, request: Request) -> Response:
        """One record in its form (read-only without the Update privilege)."""
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        record_id: int = request.path_params["id"]
        record = await run_in_threadpool(env.get, entity.name, record_id, caller_of(request))
        return await self._form(request, env, entity, form_values(entity, record), dict(record))

    async def update(self, request: Request) -> Response:
        """Save the form's values over the version of the record it showed."""
        form = await checked_form(request)
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        caller = caller_of(request)
        record_id: int = request.path_params["id"]
        record = record_from(entity, form, creating=False)
        version = form.get("version", "")
        record[RECORD_ID] = record_id
        if version.isdigit():
            record[VERSION] = int(version)
        try:
            await run_in_threadpool(env.update, entity.name, [record], None, caller)
        except RecordValidationError as exc:
            current = await run_in_threadpool(env.get, entity.name, record_id, caller)
            return await self._form(request, env, entity, form, dict(current), exc.errors)
        return done(f"/environments/{env.name}/data/{entity.name}/{record_id}", "Saved the record.")

    async def delete(self, request: Request) -> Response:
        """Delete the record (refused while other records look it up)."""
        form = await checked_form(request)
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        record_id: int = request.path_params["id"]
        if form.get("confirm") != "yes":
            raise DefinitionError("tick the box to confirm that the record should be deleted")
        version = form.get("version", "")
        versions = [int(version)] if version.isdigit() else None
        await run_in_threadpool(env.delete, entity.name, [record_id], versions, caller_of(request))
        return done(f"/environments/{env.name}/data/{entity.name}", f"Deleted record {record_id}.")


def record_routes(environments: Environments) -> list[Route]:
    """The record form's routes."""
    pages = RecordFormPages(environments)
    data = f"{BASE}/environments/{{env}}/data/{{entity}}"
    return [
        Route(f"{data}/new", pages.new, methods=["GET"]),
        Route(f"{data}/new", pages.create, methods=["POST"]),
        Route(f"{data}/{{id:int}}", pages.show, methods=["GET"]),
        Route(f"{data}/{{id:int}}", pages.update, methods=["POST"]),
        Route(f"{data}/{{id:int}}/delete", pages.delete, methods=["POST"]),
    ]
