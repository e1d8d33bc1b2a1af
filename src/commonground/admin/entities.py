"""Entity pages: the list of standard and custom entities and the entity designer (fields,
keys, relationships, field groups), with forms to create and delete entities, add and change
fields, add keys and create picklists, and the list of the environment's picklists.

Schema forms are shown only to callers whose roles carry the Schema capability, and the
service checks it again on every change. A rejected change (a taken name, a bad length) is
shown on the page it came from, with the form still there to correct it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.admin.field_changes import changeable_fields, changed_field
from commonground.admin.opened import built, entity_of, environment_of
from commonground.admin.record_form import record_routes
from commonground.admin.record_list import record_list_routes
from commonground.admin.render import done, page
from commonground.admin.sessions import BASE, checked_form
from commonground.admin.transfers import transfer_routes
from commonground.errors import (
    AlreadyExistsError,
    DefinitionError,
    NotFoundError,
    SchemaChangeError,
)
from commonground.model.datamodel import Relationship
from commonground.model.entity import DEFAULT_FIELD_GROUPS, Entity
from commonground.model.field import Field
from commonground.model.picklist import Picklist
from commonground.model.types import FieldType, Storage, spec_of
from commonground.security.caller import caller_of
from commonground.security.permissions import Capability, Operation
from commonground.service.environment import Environment
from commonground.service.environments import Environments

# Problems with a schema change that the person can fix in the form they sent.
SCHEMA_PROBLEMS = (AlreadyExistsError, DefinitionError, NotFoundError, SchemaChangeError)
KINDS = ("all", "standard", "custom")
SchemaChange = Callable[[Environment, Entity, dict[str, str]], None]
CREATABLE_TYPES = tuple(t for t in FieldType if spec_of(t).user_creatable)
KEY_FIELD = "key_field:"  # a key form's checkbox per field: key_field:<Field>
GROUP_FIELD = "group_field:"  # a field group form's checkbox per field: group_field:<Field>


@dataclass(frozen=True)
class FieldProblem:
    """A refused change of one field: the service's message and the form as it was sent."""

    field: str
    message: str
    sent: dict[str, str]


@dataclass(frozen=True)
class Listed:
    """One entity as the list shows it."""

    entity: Entity
    readable: bool


class EntityPages:
    """The entity list and designer of every environment."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    def _list(
        self, request: Request, env: Environment, status: int = 200, error: str | None = None
    ) -> Response:
        kind = request.query_params.get("kind", "all")
        kind = kind if kind in KINDS else "all"
        access = env.access(caller_of(request))
        listed = [
            Listed(e, access.allows(e.name, Operation.READ))
            for e in sorted(env.model.entities, key=lambda e: e.name.lower())
            if kind == "all" or e.standard == (kind == "standard")
        ]
        return page(
            request,
            "entities.html",
            status,
            env=env,
            entities=listed,
            kind=kind,
            kinds=KINDS,
            may_schema=Capability.SCHEMA in access.capabilities,
            error=error,
        )

    async def list(self, request: Request) -> Response:
        """Every entity of the environment, standard or custom."""
        env = await environment_of(self.environments, request)
        return self._list(request, env)

    async def create(self, request: Request) -> Response:
        """A new custom entity (it gets a Title field as its primary name)."""
        form = await checked_form(request)
        env = await environment_of(self.environments, request)
        caller = caller_of(request)
        try:
            entity = built(
                Entity,
                {"name": form.get("name", ""), "description": form.get("description") or None},
                "entity",
            )
            created = await run_in_threadpool(env.create_entity, entity, caller)
        except SCHEMA_PROBLEMS as exc:
            return self._list(request, env, 400, str(exc))
        return done(
            f"/environments/{env.name}/entities/{created.name}", f"Created entity {created.name}."
        )

    def _designer(
        self,
        request: Request,
        env: Environment,
        status: int = 200,
        error: str | None = None,
        at_field: FieldProblem | None = None,
    ) -> Response:
        """The designer, with a refused field change shown at its field when there is one."""
        entity = entity_of(env, request)
        access = env.access(caller_of(request))
        return page(
            request,
            "entity.html",
            status,
            env=env,
            entity=entity,
            children=env.model.children_of(entity.name),
            lookups=[
                Relationship(f.target or "", entity.name, f.name, f.kind) for f in entity.lookups
            ],
            types=CREATABLE_TYPES,
            picklists=sorted(p.name for p in env.model.picklists),
            targets=sorted(e.name for e in env.model.entities),
            may_schema=Capability.SCHEMA in access.capabilities,
            readable=access.allows(entity.name, Operation.READ),
            changeable=changeable_fields(entity),
            key_field=KEY_FIELD,
            group_field=GROUP_FIELD,
            groups=[(g, group_choices(entity, g)) for g in DEFAULT_FIELD_GROUPS],
            field_problem=at_field,
            error=error,
        )

    async def designer(self, request: Request) -> Response:
        """One entity's fields, keys, relationships and field groups."""
        env = await environment_of(self.environments, request)
        return self._designer(request, env)

    async def _change(
        self, request: Request, change: SchemaChange, message: str, field: str | None = None
    ) -> Response:
        """Run a schema change from a form; back to the designer with what it did or why not
        (at the field the form was about, when it was about one)."""
        form = await checked_form(request)
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        try:
            await run_in_threadpool(change, env, entity, form)
        except SCHEMA_PROBLEMS as exc:
            if field is not None:
                problem = FieldProblem(field, str(exc), form)
                return self._designer(request, env, 400, at_field=problem)
            return self._designer(request, env, 400, str(exc))
        return done(f"/environments/{env.name}/entities/{entity.name}", message)

    async def add_field(self, request: Request) -> Response:
        """A new field on the entity."""
        caller = caller_of(request)

        def change(env: Environment, entity: Entity, form: dict[str, str]) -> None:
            env.add_field(entity.name, field_from(form), caller)

        return await self._change(request, change, "Added the field.")

    async def change_field(self, request: Request) -> Response:
        """New properties or a wider type for one field; stored values must still fit."""
        caller = caller_of(request)
        name: str = request.path_params["field"]

        def change(env: Environment, entity: Entity, form: dict[str, str]) -> None:
            current = entity.field_or_none(name)
            if current is None:
                raise NotFoundError("Field", name, entity.name)
            env.change_field(entity.name, changed_field(current, form), caller)

        return await self._change(request, change, f"Changed the field {name}.", name)

    async def drop_entity(self, request: Request) -> Response:
        """Delete a custom entity and its records, once the confirmation box is ticked."""
        form = await checked_form(request)
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        try:
            if form.get("confirm") != "yes":
                raise DefinitionError(
                    f"tick the box to confirm that {entity.name} and its records go"
                )
            await run_in_threadpool(env.drop_entity, entity.name, caller_of(request))
        except SCHEMA_PROBLEMS as exc:
            return self._designer(request, env, 400, str(exc))
        return done(f"/environments/{env.name}/entities", f"Deleted entity {entity.name}.")

    async def picklists(self, request: Request) -> Response:
        """Every picklist of the environment, standard and custom, with its items."""
        env = await environment_of(self.environments, request)
        listed = sorted(env.model.picklists, key=lambda p: p.name.lower())
        return page(request, "picklists.html", env=env, picklists=listed)

    async def add_key(self, request: Request) -> Response:
        """A new alternate key (refused when stored records share a value)."""
        caller = caller_of(request)

        def change(env: Environment, entity: Entity, form: dict[str, str]) -> None:
            fields = [k.removeprefix(KEY_FIELD) for k in form if k.startswith(KEY_FIELD)]
            if not fields:
                raise DefinitionError("key: tick at least one field")
            env.add_key(entity.name, form.get("key", "").strip(), fields, caller)

        return await self._change(request, change, "Added the key.")

    async def set_field_group(self, request: Request) -> Response:
        """The fields of one field group, in the order ticked (none removes the group)."""
        caller = caller_of(request)
        group: str = request.path_params["group"]

        def change(env: Environment, entity: Entity, form: dict[str, str]) -> None:
            fields = [k.removeprefix(GROUP_FIELD) for k in form if k.startswith(GROUP_FIELD)]
            env.set_field_group(entity.name, group, fields, caller)

        return await self._change(request, change, f"Saved the field group {group}.")

    async def create_picklist(self, request: Request) -> Response:
        """A new custom picklist, its items one per line (stored as 0, 1, 2, ...)."""
        caller = caller_of(request)

        def change(env: Environment, entity: Entity, form: dict[str, str]) -> None:
            items = [line.strip() for line in form.get("items", "").splitlines() if line.strip()]
            data = {"name": form.get("picklist", "").strip(), "items": items}
            env.create_picklist(built(Picklist, data, "picklist"), caller)

        return await self._change(request, change, "Created the picklist.")


def group_choices(entity: Entity, group: str) -> list[tuple[str, bool]]:
    """A field group form's fields, (name, in the group): its members first, in their order,
    then the entity's other fields."""
    members = list(entity.field_groups.get(group, ()))
    others = [f.name for f in entity.fields if f.name not in members]
    return [(name, True) for name in members] + [(name, False) for name in others]


def field_from(form: dict[str, str]) -> Field:
    """A field from the designer's form; properties that do not apply to the chosen type
    (a picklist for a Text field, say) are ignored rather than refused."""
    kind = form.get("type", "")
    data: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "type": kind,
        "required": bool(form.get("required")),
        "description": form.get("description") or None,
    }
    chosen = next((t for t in CREATABLE_TYPES if t.value == kind), None)
    length = form.get("max_length", "").strip()
    if chosen is not None and spec_of(chosen).storage is Storage.STRING and length:
        if not length.isdigit():
            raise DefinitionError("field: max length must be a whole number")
        data["max_length"] = int(length)
    if chosen is FieldType.PICKLIST:
        data["picklist"] = form.get("picklist") or None
    if chosen is FieldType.LOOKUP:
        data["target"] = form.get("target") or None
    return built(Field, data, "field")


def entity_routes(environments: Environments) -> list[Route]:
    """The routes of the entity, data, import and export pages."""
    pages = EntityPages(environments)
    one = f"{BASE}/environments/{{env}}/entities/{{entity}}"
    return [
        Route(f"{BASE}/environments/{{env}}/entities", pages.list, methods=["GET"]),
        Route(f"{BASE}/environments/{{env}}/entities", pages.create, methods=["POST"]),
        Route(one, pages.designer, methods=["GET"]),
        Route(f"{BASE}/environments/{{env}}/picklists", pages.picklists, methods=["GET"]),
        Route(f"{one}/fields", pages.add_field, methods=["POST"]),
        Route(f"{one}/fields/{{field}}", pages.change_field, methods=["POST"]),
        Route(f"{one}/delete", pages.drop_entity, methods=["POST"]),
        Route(f"{one}/keys", pages.add_key, methods=["POST"]),
        Route(f"{one}/groups/{{group}}", pages.set_field_group, methods=["POST"]),
        Route(f"{one}/picklists", pages.create_picklist, methods=["POST"]),
        *record_list_routes(environments),
        *transfer_routes(environments),
        *record_routes(environments),
    ]
