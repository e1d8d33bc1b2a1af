"""Connection and connection-set pages: list, create and edit by kind, delete, test.

The rules are the integration API's: who may define which kind (`owned`), secrets kept when
left empty (`keeping_secrets`), a set's connections usable by its author
(`save_connection_set`), discovery with the secrets blotted out (`discover`).

Refresh entities (the original's command for a changed schema) discovers again and lists each
entity with its fields; the page keeps what it showed in a hidden field, so the next refresh
says what changed since that look (entities and fields added or removed) with no state kept
on the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.admin.integration.settings_form import posted_settings, setting_fields
from commonground.admin.render import done, page
from commonground.admin.sessions import checked_form
from commonground.api.errors import ApiError
from commonground.api.integration.connections import (
    OPEN_KINDS,
    check_kind,
    discover,
    keeping_secrets,
    owned,
    save_connection_set,
)
from commonground.api.integration.exchange import in_use
from commonground.api.metadata import parse
from commonground.errors import DefinitionError
from commonground.integration.catalog.definitions_store import DefinitionStore
from commonground.integration.definitions import ConnectionDef, ConnectionSetDef
from commonground.integration.integrator import Integrator
from commonground.integration.registry import connector_types
from commonground.security.caller import Caller, caller_of

ROLES = 3  # role rows on the connection-set form
Look = dict[str, list[str]]  # entity -> field names, as a refresh saw them


@dataclass(frozen=True)
class Changes:
    """What changed between two looks at a connection's entities."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    fields: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # added, removed

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.fields)


def look_of(entities: list[dict[str, Any]]) -> Look:
    """Entity and field names of a discovery."""
    return {e["name"]: [f["name"] for f in e["fields"]] for e in entities}


def parsed_look(text: str) -> Look | None:
    """The look a page posted back (None when there was none, or it is not one)."""
    try:
        data = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): [str(f) for f in v] for k, v in data.items() if isinstance(v, list)}


def changes(before: Look, after: Look) -> Changes:
    """Entities added and removed, and each kept entity's fields added and removed."""
    fields = {}
    for name in sorted(before.keys() & after.keys()):
        added = [f for f in after[name] if f not in before[name]]
        removed = [f for f in before[name] if f not in after[name]]
        if added or removed:
            fields[name] = (added, removed)
    return Changes(
        sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys()), fields
    )


def organizations_text(item: ConnectionSetDef) -> str:
    """Organization mappings, one a line: `role: organization, role: organization`."""
    return "\n".join(", ".join(f"{r}: {o}" for r, o in m.items()) for m in item.organizations)


def keys_text(item: ConnectionSetDef) -> str:
    """Integration keys, one a line: `role.Entity: field, field`."""
    return "\n".join(f"{k}: {', '.join(v)}" for k, v in item.keys.items())


def _pairs(line: str, what: str) -> list[tuple[str, str]]:
    pairs = []
    for part in line.split(","):
        name, colon, value = part.partition(":")
        if not colon or not name.strip() or not value.strip():
            raise DefinitionError(f"connection set: {what}: write 'role: value' ({line!r})")
        pairs.append((name.strip(), value.strip()))
    return pairs


def posted_set(form: dict[str, str]) -> ConnectionSetDef:
    """A connection set from its form."""
    connections = {
        form[f"role.{n}"].strip(): form.get(f"connection.{n}", "")
        for n in range(ROLES)
        if form.get(f"role.{n}", "").strip()
    }
    organizations = [
        dict(_pairs(line, "organizations"))
        for line in form.get("organizations", "").splitlines()
        if line.strip()
    ]
    keys: dict[str, list[str]] = {}
    for line in form.get("keys", "").splitlines():
        if line.strip():
            entity, colon, fields = line.partition(":")
            names = [f.strip() for f in fields.split(",") if f.strip()]
            if not colon or not names:
                raise DefinitionError(
                    f"connection set: keys: write 'role.Entity: field' ({line!r})"
                )
            keys[entity.strip()] = names
    data = {
        "name": form.get("name", "").strip(),
        "connections": connections,
        "organizations": organizations,
        "keys": keys,
    }
    return parse(ConnectionSetDef, data, "connection set")


class ConnectionPages:
    """Connections and connection sets."""

    def __init__(self, integrator: Integrator) -> None:
        self.integrator = integrator

    @property
    def store(self) -> DefinitionStore:
        """The installation's definitions."""
        return self.integrator.definitions

    def _kinds(self, caller: Caller) -> list[str]:
        return [k for k in connector_types() if caller.admin or k in OPEN_KINDS]

    async def list(self, request: Request) -> Response:
        """Every connection, with a form to start a new one of a kind."""
        connections = await run_in_threadpool(self.store.connections)
        kinds = await run_in_threadpool(self._kinds, caller_of(request))
        return page(request, "integration/connections.html", connections=connections, kinds=kinds)

    async def new(self, request: Request) -> Response:
        """The settings form of a new connection of one kind."""
        kind = request.query_params.get("kind", "")
        check_kind(kind)
        fields = await run_in_threadpool(setting_fields, kind)
        return page(request, "integration/connection.html", item=None, kind=kind, fields=fields)

    async def show(self, request: Request) -> Response:
        """One connection's settings (secrets never shown back)."""
        name = request.path_params["name"]
        item = await run_in_threadpool(self.store.connection, name)
        return await self._shown(request, item)

    async def _shown(
        self, request: Request, item: ConnectionDef, status: int = 200, **extra: Any
    ) -> Response:
        fields = await run_in_threadpool(setting_fields, item.kind, item.settings)
        return page(
            request,
            "integration/connection.html",
            status,
            item=item,
            kind=item.kind,
            fields=fields,
            **extra,
        )

    async def save(self, request: Request) -> Response:
        """Create (no name in the path) or replace a connection."""
        form = await checked_form(request)
        caller = caller_of(request)
        current = request.path_params.get("name")
        kind = form.get("kind", "")
        check_kind(kind)
        data = {
            "name": current or form.get("name", "").strip(),
            "kind": kind,
            "settings": posted_settings(kind, form),
            "description": form.get("description", ""),
        }
        item = owned(parse(ConnectionDef, data, "connection"), caller)

        def work() -> ConnectionDef:
            if current is None:
                return self.store.save_connection(item)
            return self.store.save_connection(keeping_secrets(self.store, current, item), True)

        saved = await run_in_threadpool(work)
        return done(f"/integration/connections/{saved.name}", f"Saved connection {saved.name}.")

    async def delete(self, request: Request) -> Response:
        """Remove a connection (refused while a connection set uses it)."""
        await checked_form(request)
        name = request.path_params["name"]

        def work() -> None:
            with in_use():
                self.store.delete_connection(name)

        await run_in_threadpool(work)
        return done("/integration/connections", f"Deleted connection {name}.")

    async def test(self, request: Request) -> Response:
        """Open the connector and list its entities, or show what went wrong."""
        await checked_form(request)
        name = request.path_params["name"]
        item = await run_in_threadpool(self.store.connection, name)
        try:
            found = await run_in_threadpool(discover, self.store, name, None)
        except ApiError as exc:
            return await self._shown(request, item, test_error=exc.message)
        return await self._shown(request, item, test_entities=found)

    async def refresh(self, request: Request) -> Response:
        """Discover the entities again; what changed since the look the page posted back."""
        form = await checked_form(request)
        name = request.path_params["name"]
        item = await run_in_threadpool(self.store.connection, name)
        try:
            found = await run_in_threadpool(discover, self.store, name, None)
        except ApiError as exc:
            return await self._shown(request, item, test_error=exc.message)
        look = look_of(found)
        before = parsed_look(form.get("seen", ""))
        return await self._shown(
            request,
            item,
            refreshed=sorted(found, key=lambda e: e["name"]),
            seen=json.dumps(look, separators=(",", ":")),
            changed=changes(before, look) if before is not None else None,
        )

    async def sets(self, request: Request) -> Response:
        """Every connection set."""
        found = await run_in_threadpool(self.store.connection_sets)
        return page(request, "integration/sets.html", sets=found)

    async def set_form(self, request: Request) -> Response:
        """A new connection set's form, or an existing one's."""
        name = request.path_params.get("name")
        item = await run_in_threadpool(self.store.connection_set, name) if name else None
        connections = await run_in_threadpool(self.store.connections)
        roles = list(item.connections.items()) if item else []
        roles += [("", "")] * (ROLES - len(roles))
        return page(
            request,
            "integration/set.html",
            item=item,
            roles=roles,
            connections=connections,
            organizations=organizations_text(item) if item else "",
            keys=keys_text(item) if item else "",
        )

    async def save_set(self, request: Request) -> Response:
        """Create or replace a connection set."""
        form = await checked_form(request)
        current = request.path_params.get("name")
        if current:
            form = {**form, "name": current}
        item = posted_set(form)
        caller = caller_of(request)

        def work() -> ConnectionSetDef:
            if current:
                self.store.connection_set(current)
            return save_connection_set(self.store, item, caller, replace=bool(current))

        await run_in_threadpool(work)
        return done(
            f"/integration/connection-sets/{item.name}", f"Saved connection set {item.name}."
        )

    async def delete_set(self, request: Request) -> Response:
        """Remove a connection set (refused while a project uses it)."""
        await checked_form(request)
        name = request.path_params["name"]

        def work() -> None:
            with in_use():
                self.store.delete_connection_set(name)

        await run_in_threadpool(work)
        return done("/integration/connection-sets", f"Deleted connection set {name}.")
