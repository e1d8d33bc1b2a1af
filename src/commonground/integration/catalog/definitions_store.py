"""Connections, connection sets, projects and templates: stored, listed, changed, removed.

A connection's settings are validated by its connector's Settings model; fields typed
SecretStr are split off and sealed with the installation's key, and come back masked.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import delete, insert, select, update

from commonground.errors import AlreadyExistsError, DefinitionError, NotFoundError
from commonground.integration.catalog.database import CatalogDatabase, as_text, utc_now
from commonground.integration.definitions import (
    ConnectionDef,
    ConnectionSetDef,
    Definition,
    ProjectDef,
)
from commonground.integration.registry import connector_type
from commonground.integration.secrets import SecretBox

MASK = "********"
D = TypeVar("D", bound=Definition)


def _invalid(kind: str, name: str, exc: ValidationError) -> DefinitionError:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or kind}: {err['msg']}" for err in exc.errors()
    )
    return DefinitionError(f"{kind} '{name}' is invalid: {problems}")


def split_secrets(
    kind: str, name: str, settings: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate a connection's settings; return (plain settings, secrets)."""
    cls = connector_type(kind)
    try:
        parsed: BaseModel = cls.Settings.model_validate(settings)
    except ValidationError as exc:
        raise _invalid("Connection", name, exc) from exc
    plain: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    dumped = parsed.model_dump(mode="python", exclude_unset=True)
    json_dumped = parsed.model_dump(mode="json", exclude_unset=True)
    for key, value in dumped.items():
        if isinstance(value, SecretStr):
            secrets[key] = value.get_secret_value()
        else:
            plain[key] = json_dumped[key]
    return plain, secrets


def _fits(kind: str, settings: dict[str, Any]) -> bool:
    try:
        connector_type(kind).Settings.model_validate(settings)
    except ValidationError:
        return False
    return True


class DefinitionStore:
    """Stored definitions of one installation."""

    def __init__(self, db: CatalogDatabase, box: SecretBox) -> None:
        self.db = db
        self.box = box

    # -- connections ---------------------------------------------------------------------

    def save_connection(self, connection: ConnectionDef, replace: bool = False) -> ConnectionDef:
        """Store a connection; on replace, secrets not given again are kept, unless the new
        settings do not take them (a remote connection made embedded drops its credentials)."""
        plain, secrets = split_secrets(connection.kind, connection.name, connection.settings)
        table = self.db.table("connections")
        with self.db.engine.begin() as conn:
            row = conn.execute(select(table).where(table.c.name == connection.name)).first()
            if row is not None and not replace:
                raise AlreadyExistsError("Connection", connection.name)
            if row is not None and row.secrets and row.kind == connection.kind:
                merged = {**orjson.loads(self.box.open(row.secrets)), **secrets}
                if _fits(connection.kind, {**plain, **merged}):  # not after a change of shape
                    secrets = merged
            values = {
                "kind": connection.kind,
                "settings": orjson.dumps(plain).decode(),
                "secrets": self.box.seal(orjson.dumps(secrets).decode()) if secrets else None,
                "description": connection.description,
                "modified_on": as_text(utc_now()),
            }
            if row is None:
                conn.execute(insert(table).values(name=connection.name, **values))
            else:
                conn.execute(update(table).where(table.c.name == connection.name).values(**values))
        return self.connection(connection.name)

    def connection(self, name: str, reveal: bool = False) -> ConnectionDef:
        """A connection; its secrets masked unless `reveal` (only the engine reveals them)."""
        table = self.db.table("connections")
        with self.db.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.name == name)).first()
        if row is None:
            raise NotFoundError("Connection", name)
        settings = orjson.loads(row.settings)
        if row.secrets:
            secrets = orjson.loads(self.box.open(row.secrets))
            settings.update(secrets if reveal else dict.fromkeys(secrets, MASK))
        return ConnectionDef(
            name=row.name, kind=row.kind, settings=settings, description=row.description
        )

    def connections(self) -> list[ConnectionDef]:
        """Every connection, secrets masked, by name."""
        table = self.db.table("connections")
        with self.db.engine.connect() as conn:
            names = conn.execute(select(table.c.name).order_by(table.c.name)).scalars().all()
        return [self.connection(n) for n in names]

    def delete_connection(self, name: str) -> None:
        """Remove a connection that no connection set uses."""
        users = [s.name for s in self.connection_sets() if name in s.connections.values()]
        if users:
            raise DefinitionError(
                f"connection '{name}' is used by connection set(s) {', '.join(users)}"
            )
        self._delete("connections", "Connection", name)

    # -- connection sets, projects, templates ----------------------------------------------

    def save_connection_set(
        self, item: ConnectionSetDef, replace: bool = False
    ) -> ConnectionSetDef:
        """Store a connection set whose connections exist."""
        for connection in item.connections.values():
            self.connection(connection)
        self._save("connection_sets", "Connection set", item, replace)
        return item

    def connection_set(self, name: str) -> ConnectionSetDef:
        """One connection set."""
        return self._load("connection_sets", "Connection set", name, ConnectionSetDef)

    def connection_sets(self) -> list[ConnectionSetDef]:
        """Every connection set."""
        return self._all("connection_sets", ConnectionSetDef)

    def delete_connection_set(self, name: str) -> None:
        """Remove a connection set that no project uses."""
        users = [p.name for p in self.projects() if p.connection_set == name]
        if users:
            raise DefinitionError(
                f"connection set '{name}' is used by project(s) {', '.join(users)}"
            )
        self._delete("connection_sets", "Connection set", name)

    def save_project(self, item: ProjectDef, user: str, replace: bool = False) -> ProjectDef:
        """Store a project; consent is required and logged (who, when)."""
        if not item.consent:
            raise DefinitionError(
                f"project '{item.name}' needs consent: data may move to a system with other "
                "compliance commitments or another region (set consent: true)"
            )
        links = self.connection_set(item.connection_set)
        if item.organization is not None and not 0 <= item.organization < len(links.organizations):
            raise DefinitionError(
                f"project '{item.name}': organization mapping {item.organization} does not exist "
                f"in connection set '{links.name}' ({len(links.organizations)} mappings)"
            )
        self._save("projects", "Project", item, replace)
        with self.db.engine.begin() as conn:
            conn.execute(
                insert(self.db.table("consents")).values(
                    project=item.name, given_by=user, given_on=as_text(utc_now())
                )
            )
        return item

    def project(self, name: str) -> ProjectDef:
        """One project."""
        return self._load("projects", "Project", name, ProjectDef)

    def projects(self) -> list[ProjectDef]:
        """Every project."""
        return self._all("projects", ProjectDef)

    def delete_project(self, name: str) -> None:
        """Remove a project (its history stays until purged)."""
        self._delete("projects", "Project", name)

    def save_document(
        self, table_name: str, kind: str, name: str, document: dict[str, Any], replace: bool
    ) -> None:
        """Store a JSON document under a name (templates use this)."""
        table = self.db.table(table_name)
        values = {"definition": orjson.dumps(document).decode(), "modified_on": as_text(utc_now())}
        with self.db.engine.begin() as conn:
            exists = conn.execute(select(table.c.name).where(table.c.name == name)).first()
            if exists is not None and not replace:
                raise AlreadyExistsError(kind, name)
            if exists is None:
                conn.execute(insert(table).values(name=name, **values))
            else:
                conn.execute(update(table).where(table.c.name == name).values(**values))

    def documents(self, table_name: str) -> list[dict[str, Any]]:
        """Every stored JSON document of a table, by name."""
        table = self.db.table(table_name)
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(table.c.definition).order_by(table.c.name)).scalars()
            return [orjson.loads(r) for r in rows]

    def document(self, table_name: str, kind: str, name: str) -> dict[str, Any]:
        """One stored JSON document."""
        table = self.db.table(table_name)
        with self.db.engine.connect() as conn:
            found = conn.execute(select(table.c.definition).where(table.c.name == name)).scalar()
        if found is None:
            raise NotFoundError(kind, name)
        result: dict[str, Any] = orjson.loads(found)
        return result

    def delete_document(self, table_name: str, kind: str, name: str) -> None:
        """Remove a stored JSON document (NotFoundError when there is none)."""
        self._delete(table_name, kind, name)

    def _save(self, table_name: str, kind: str, item: Definition, replace: bool) -> None:
        document = item.model_dump(mode="json")
        self.save_document(table_name, kind, str(document["name"]), document, replace)

    def _load(self, table_name: str, kind: str, name: str, model: type[D]) -> D:
        document = self.document(table_name, kind, name)
        try:
            return model.model_validate(document)
        except ValidationError as exc:
            raise _invalid(kind, name, exc) from exc

    def _all(self, table_name: str, model: type[D]) -> list[D]:
        return [model.model_validate(d) for d in self.documents(table_name)]

    def _delete(self, table_name: str, kind: str, name: str) -> None:
        table = self.db.table(table_name)
        with self.db.engine.begin() as conn:
            if conn.execute(delete(table).where(table.c.name == name)).rowcount == 0:
                raise NotFoundError(kind, name)
