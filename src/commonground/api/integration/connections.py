"""Connections and connection sets over HTTP, and discovery of a connection's entities.

A connection's secrets (its connector's `SecretStr` settings) are stored encrypted and every
answer shows them masked; a PUT that leaves a secret out, or sends the mask back, keeps the
stored one. Discovery opens the connector with the revealed settings in the thread pool; what
the system says goes back as a 502 with the secrets blotted out of the message.

A connection acts with somebody's rights, so who may define one is limited: an installation
administrator may define any; anyone else may define OData connections (which sign in with
their own credentials) and embedded Common Ground connections, which then act as their author
(`run_as` is set to the caller), never as the local operator or somebody else. SQL and file
connections reach systems below the service's security (an environment's own database file,
say), so only administrators define them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.api.errors import ApiError
from commonground.api.integration.exchange import (
    BASE,
    Handlers,
    in_use,
    json_object,
    location,
    named,
    referenced,
)
from commonground.api.metadata import definition, parse
from commonground.errors import CommonGroundError, DefinitionError, ForbiddenError, NotFoundError
from commonground.integration.catalog.definitions_store import MASK, DefinitionStore
from commonground.integration.contracts import EntityInfo, SchemaError
from commonground.integration.definitions import ConnectionDef, ConnectionSetDef
from commonground.integration.registry import connector_type, open_connector
from commonground.security.caller import Caller, CallerKind, caller_of

log = logging.getLogger(__name__)


OPEN_KINDS = ("commonground", "odata")  # kinds a non-administrator may define


def owned(item: ConnectionDef, caller: Caller) -> ConnectionDef:
    """The connection as its author may define it (see the module docstring)."""
    if caller.admin:
        return item
    if item.kind not in OPEN_KINDS:
        raise ForbiddenError(f"define {item.kind} connections", "this installation")
    if item.kind == "commonground" and not item.settings.get("url"):
        kind = "application" if caller.kind is CallerKind.APPLICATION else "user"
        settings = {**item.settings, "run_as": f"{kind}:{caller.name}"}
        return item.model_copy(update={"settings": settings})
    return item


def require_usable(store: DefinitionStore, names: Iterable[str], caller: Caller) -> None:
    """A non-administrator builds connection sets and projects only on connections that act
    as the caller (so nobody borrows the rights of whoever defined a connection)."""
    if caller.admin:
        return
    for name in names:
        with referenced("connection set", "connections"):
            connection = store.connection(name)
        if owned(connection, caller) != connection:
            raise ForbiddenError(f"use connection {connection.name}", "this installation")


def check_kind(kind: str) -> None:
    """An installed connector kind (400 naming the field otherwise)."""
    try:
        connector_type(kind)
    except NotFoundError as exc:
        raise ApiError(400, "InvalidDefinition", f"connection: kind: {exc}") from exc
    except Exception as exc:  # a plug-in that fails to load is the plug-in's fault, not ours
        log.exception("connector kind %s cannot be loaded", kind)
        raise ApiError(
            400,
            "InvalidDefinition",
            f"connection: kind: the '{kind}' connector cannot be loaded ({type(exc).__name__})",
        ) from exc


def entity_info(info: EntityInfo) -> dict[str, Any]:
    """An entity as discovery reports it."""
    return {
        "name": info.name,
        "fields": [
            {
                "name": f.name,
                "kind": f.kind.value,
                "max_length": f.max_length,
                "required": f.required,
                "read_only": f.read_only,
                "targets": list(f.targets),
            }
            for f in info.fields
        ],
        "keys": [list(k) for k in info.keys],
        "change_tracking": info.change_tracking,
        "cursor": info.cursor,
        "organization_field": info.organization_field,
    }


def redact(message: str, secrets: list[str]) -> str:
    """A message with every secret value replaced by the mask."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            message = message.replace(secret, MASK)
    return message


def keeping_secrets(store: DefinitionStore, name: str, item: ConnectionDef) -> ConnectionDef:
    """A replacement for connection `name` whose secrets left out (or sent back masked) keep
    their stored value (NotFoundError when there is none to replace)."""
    current = store.connection(name)
    settings = dict(item.settings)
    if current.kind == item.kind:
        kept = store.connection(name, reveal=True).settings
        for key, value in current.settings.items():
            if value == MASK and settings.get(key, MASK) == MASK:
                settings[key] = kept[key]
    return item.model_copy(update={"settings": settings})


def secret_values(store: DefinitionStore, name: str) -> list[str]:
    """A connection's secret values, to blot out of what its system says (see `redact`)."""
    revealed = store.connection(name, reveal=True).settings
    masked = store.connection(name).settings
    return [str(v) for k, v in revealed.items() if masked.get(k) == MASK]


def discover(store: DefinitionStore, name: str, wanted: str | None) -> Any:
    """Connect and describe the system's entities (or one); failures as ApiError with the
    connection's secrets blotted out of the message."""
    item = store.connection(name, reveal=True)
    secrets = secret_values(store, name)
    try:
        connector = open_connector(item.kind, item.settings)
        try:
            if wanted:
                return entity_info(connector.describe(wanted))
            return [entity_info(e) for e in connector.entities()]
        finally:
            connector.close()
    except (DefinitionError, NotFoundError) as exc:
        raise ApiError(400, exc.code, redact(str(exc), secrets)) from exc
    except SchemaError as exc:
        raise ApiError(404, "NotFound", redact(str(exc), secrets)) from exc
    except CommonGroundError as exc:
        raise ApiError(502, exc.code, redact(str(exc), secrets)) from exc
    except Exception as exc:  # a connector's own failure: the system behind it, not us
        log.exception("discovery failed on connection %s", name)
        message = redact(f"{type(exc).__name__}: {exc}", secrets)
        raise ApiError(502, "ConnectorError", message) from exc


def save_connection_set(
    store: DefinitionStore, item: ConnectionSetDef, caller: Caller, replace: bool
) -> ConnectionSetDef:
    """Save a connection set whose connections exist and may be used by the caller."""
    for role, connection in item.connections.items():
        with referenced("connection set", f"connections.{role}"):
            store.connection(connection)
    require_usable(store, item.connections.values(), caller)
    return store.save_connection_set(item, replace)


class ConnectionHandlers(Handlers):
    """Connections, connection sets and discovery."""

    async def list_connections(self, request: Request) -> Response:
        """Every connection, secrets masked."""
        store = self.integrator.definitions
        return await self.answer(lambda: [definition(c) for c in store.connections()])

    async def show_connection(self, request: Request) -> Response:
        """One connection, secrets masked."""
        name = request.path_params["name"]
        return await self.answer(lambda: definition(self.integrator.definitions.connection(name)))

    async def create_connection(self, request: Request) -> Response:
        """A new connection (409 when the name is taken)."""
        item = parse(ConnectionDef, await json_object(request, "connection"), "connection")
        check_kind(item.kind)
        item = owned(item, caller_of(request))
        store = self.integrator.definitions
        return await self.answer(
            lambda: definition(store.save_connection(item)),
            201,
            location(request, f"connections/{item.name}"),
        )

    async def update_connection(self, request: Request) -> Response:
        """Replace a connection; secrets left out (or sent back masked) keep their value."""
        name = request.path_params["name"]
        body = named(await json_object(request, "connection"), name, "connection")
        item = parse(ConnectionDef, body, "connection")
        check_kind(item.kind)
        item = owned(item, caller_of(request))
        store = self.integrator.definitions

        def work() -> Any:
            changed = keeping_secrets(store, name, item)
            return definition(store.save_connection(changed, replace=True))

        return await self.answer(work)

    async def delete_connection(self, request: Request) -> Response:
        """Remove a connection (409 while a connection set uses it)."""
        name = request.path_params["name"]

        def work() -> None:
            with in_use():
                self.integrator.definitions.delete_connection(name)

        return await self.answer(work, 204)

    async def entities(self, request: Request) -> Response:
        """Connect and list the system's entities with their fields and keys (or one: ?entity=)."""
        name = request.path_params["name"]
        wanted = request.query_params.get("entity")
        store = self.integrator.definitions
        return await self.answer(lambda: discover(store, name, wanted))

    async def list_sets(self, request: Request) -> Response:
        """Every connection set."""
        store = self.integrator.definitions
        return await self.answer(lambda: [definition(s) for s in store.connection_sets()])

    async def show_set(self, request: Request) -> Response:
        """One connection set."""
        name = request.path_params["name"]
        return await self.answer(
            lambda: definition(self.integrator.definitions.connection_set(name))
        )

    async def create_set(self, request: Request) -> Response:
        """A new connection set whose connections exist."""
        item = parse(
            ConnectionSetDef, await json_object(request, "connection set"), "connection set"
        )
        caller = caller_of(request)
        return await self.answer(
            lambda: self._save_set(item, caller, replace=False),
            201,
            location(request, f"connection-sets/{item.name}"),
        )

    async def update_set(self, request: Request) -> Response:
        """Replace a connection set."""
        name = request.path_params["name"]
        body = named(await json_object(request, "connection set"), name, "connection set")
        item = parse(ConnectionSetDef, body, "connection set")
        caller = caller_of(request)

        def work() -> Any:
            self.integrator.definitions.connection_set(name)  # 404 when there is none
            return self._save_set(item, caller, replace=True)

        return await self.answer(work)

    def _save_set(self, item: ConnectionSetDef, caller: Caller, replace: bool) -> Any:
        return definition(save_connection_set(self.integrator.definitions, item, caller, replace))

    async def delete_set(self, request: Request) -> Response:
        """Remove a connection set (409 while a project uses it)."""
        name = request.path_params["name"]

        def work() -> None:
            with in_use():
                self.integrator.definitions.delete_connection_set(name)

        return await self.answer(work, 204)


def connection_routes(handlers: ConnectionHandlers) -> list[Route]:
    """The routes of connections and connection sets."""
    one = f"{BASE}/connections/{{name}}"
    one_set = f"{BASE}/connection-sets/{{name}}"
    return [
        Route(f"{BASE}/connections", handlers.list_connections, methods=["GET"]),
        Route(f"{BASE}/connections", handlers.create_connection, methods=["POST"]),
        Route(one, handlers.show_connection, methods=["GET"]),
        Route(one, handlers.update_connection, methods=["PUT"]),
        Route(one, handlers.delete_connection, methods=["DELETE"]),
        Route(f"{one}/entities", handlers.entities, methods=["GET"]),
        Route(f"{BASE}/connection-sets", handlers.list_sets, methods=["GET"]),
        Route(f"{BASE}/connection-sets", handlers.create_set, methods=["POST"]),
        Route(one_set, handlers.show_set, methods=["GET"]),
        Route(one_set, handlers.update_set, methods=["PUT"]),
        Route(one_set, handlers.delete_set, methods=["DELETE"]),
    ]
