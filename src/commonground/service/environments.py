"""The environments of one installation: create, list, open, copy, delete, back up, restore.

Environments live in SQLite files under a home folder (the embedded default) or in schemas
of one PostgreSQL database. Each has its own copy of the model, so a custom entity in one
never appears in another. A backup is one zip file holding the model and every row in a
portable form, so it restores on either database; a copy is a backup restored at once.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select

from commonground.errors import AlreadyExistsError, DefinitionError, NotFoundError
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.picklist import Picklist
from commonground.model.yaml_loader import standard_model
from commonground.security.caller import SYSTEM, Caller
from commonground.security.permissions import Member
from commonground.service import security
from commonground.service.codec import EntityCodec
from commonground.service.environment import Environment, EnvironmentSettings
from commonground.service.security import AuditTrail
from commonground.store import records as rows_store
from commonground.store import schema as ddl
from commonground.store.database import Database
from commonground.store.dialects.base import EnvironmentLocator
from commonground.store.dialects.postgresql import PostgreSQLLocator
from commonground.store.dialects.sqlite import SQLiteLocator

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}$")
BACKUP_FORMAT = 1
BATCH = 5000
SECURITY_TABLES = ("security", "role_members")


def check_name(name: str) -> str:
    """An environment name: a letter, then letters, digits or '_' (at most 41 characters)."""
    if not NAME_PATTERN.match(name):
        raise DefinitionError(
            f"invalid environment name '{name}': use a letter, then letters, digits or '_' "
            "(at most 41 characters)"
        )
    return name


class Environments:
    """All environments of one installation."""

    def __init__(
        self,
        home: Path | None = None,
        database_url: str | None = None,
        audit_trail: AuditTrail | None = None,
    ) -> None:
        """`audit_trail` (the installation's directory) records security changes."""
        self.audit_trail = audit_trail
        self.locator: EnvironmentLocator
        if database_url:
            self.locator = PostgreSQLLocator(database_url)
        else:
            self.locator = SQLiteLocator(home or Path(".commonground"))
        self._open: dict[str, Environment] = {}

    def close(self) -> None:
        """Release every database connection."""
        self._open.clear()
        self.locator.dispose()

    def names(self) -> list[str]:
        """Names of the environments, sorted."""
        return self.locator.names()

    def create(
        self,
        name: str,
        settings: EnvironmentSettings | None = None,
        model: DataModel | None = None,
        owner: Caller = SYSTEM,
    ) -> Environment:
        """A new environment holding the standard entities (or the given model); its owner
        (the creator) holds Database Owner and Environment Admin there."""
        check_name(name)
        if self.locator.exists(name):
            raise AlreadyExistsError("Environment", name)
        settings = settings or EnvironmentSettings()
        model = model or standard_model()
        engine, schema = self.locator.create(name)
        db = Database(engine, schema, self.locator.dialect)
        try:
            with db.write(installing=True) as conn:
                ddl.install(db, conn, name, settings.to_json(), model)
                security.install(db, conn, model, owner)
        except BaseException:
            self.locator.drop(name)
            raise
        env = self._opened(Environment(name, db, model, settings))
        if self.audit_trail is not None:
            detail = {"access_mode": settings.access_mode}
            self.audit_trail.audit(owner.name, "environment created", name, detail, name)
        return env

    def _opened(self, env: Environment) -> Environment:
        env.security.audit_trail = self.audit_trail
        self._open[env.name.lower()] = env
        return env

    def opened(self, name: str) -> Environment | None:
        """The environment if this object has it open already (no database access)."""
        return self._open.get(name.lower())

    def open(self, name: str) -> Environment:
        """An existing environment, with its model read from its own database."""
        check_name(name)
        cached = self._open.get(name.lower())
        if cached is not None:
            return cached
        engine, schema = self.locator.open(name)
        db = Database(engine, schema, self.locator.dialect)
        with db.read() as conn:
            row = conn.execute(select(db.system["environment"])).one()
            picklists = [
                Picklist.model_validate_json(d)
                for d in conn.execute(select(db.system["picklists"].c.definition)).scalars()
            ]
            entities = [
                Entity.model_validate_json(d)
                for d in conn.execute(select(db.system["entities"].c.definition)).scalars()
            ]
            installed = security.is_installed(db, conn)
        model = DataModel(entities, picklists)
        if not installed:  # made before security existed: it gets the built-in objects
            with db.write() as conn:
                security.install(db, conn, model)
        return self._opened(
            Environment(row.name, db, model, EnvironmentSettings.from_json(row.settings))
        )

    def drop_member(self, member: Member, actor: str) -> None:
        """A deleted identity loses its roles in every environment."""
        for name in self.names():
            self.open(name).security.drop_member(member, actor)

    def delete(self, name: str) -> None:
        """Delete an environment with all its data."""
        check_name(name)
        if not self.locator.exists(name):
            raise NotFoundError("Environment", name)
        self._open.pop(name.lower(), None)
        self.locator.drop(name)

    def copy(self, source: str, target: str) -> Environment:
        """A new environment with the schema and data of another (e.g. a sandbox)."""
        check_name(target)
        if self.locator.exists(target):
            raise AlreadyExistsError("Environment", target)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "copy.zip"
            self.backup(source, path)
            return self.restore(path, target)

    def backup(self, name: str, path: Path) -> int:
        """Write an environment to one zip file; returns the number of records saved."""
        env = self.open(name)
        total = 0
        with (
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            env.reading() as conn,
        ):
            sequences: dict[str, int] = {
                row.name: row.value
                for row in conn.execute(select(env.db.system["sequences"]).order_by("name"))
            }
            manifest = {
                "format": BACKUP_FORMAT,
                "name": env.name,
                "settings": json.loads(env.settings.to_json()),
                "picklists": [json.loads(p.model_dump_json()) for p in env.model.picklists],
                "entities": [json.loads(e.model_dump_json()) for e in env.model.entities],
                "sequences": sequences,
                "security": {
                    key: [dict(row._mapping) for row in conn.execute(select(env.db.system[key]))]
                    for key in SECURITY_TABLES
                },
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))
            for entity in env.model.entities:
                table = env.db.table(entity.name)
                with archive.open(f"data/{entity.name}.jsonl", "w") as out:
                    for row in conn.execute(select(table).order_by(table.c.RecordId)).yield_per(
                        BATCH
                    ):
                        out.write(json.dumps([_portable(v) for v in row]).encode() + b"\n")
                        total += 1
            stones = env.db.system["tombstones"]
            with archive.open("data/_tombstones.jsonl", "w") as out:
                for row in conn.execute(select(stones).order_by(stones.c.position)):
                    out.write(json.dumps([_portable(v) for v in row]).encode() + b"\n")
        return total

    def restore(self, path: Path, name: str | None = None) -> Environment:
        """A new environment from a backup file, under its own name or the given one."""
        try:
            archive = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise DefinitionError(f"{path} is not a Common Ground backup: {exc}") from exc
        with archive:
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != BACKUP_FORMAT:
                raise DefinitionError(f"{path}: unsupported backup format {manifest.get('format')}")
            model = DataModel(
                [Entity.model_validate(e) for e in manifest["entities"]],
                [Picklist.model_validate(p) for p in manifest["picklists"]],
            )
            settings = EnvironmentSettings(**manifest["settings"])
            env = self.create(check_name(name or manifest["name"]), settings, model)
            try:
                self._load(env, archive, manifest["sequences"], manifest.get("security", {}))
                env.security.forget()
            except BaseException:
                self.delete(env.name)
                raise
        return env

    def _load(
        self,
        env: Environment,
        archive: zipfile.ZipFile,
        sequences: dict[str, int],
        security_rows: dict[str, list[dict[str, Any]]],
    ) -> None:
        with env.db.write() as conn:
            for key, saved in security_rows.items():  # older backups keep the built-in ones
                conn.execute(env.db.system[key].delete())
                if saved:
                    conn.execute(env.db.system[key].insert(), saved)
            for entity in env.model.entities:
                table = env.db.table(entity.name)
                columns = [c.name for c in table.columns]
                codec = EntityCodec(env.model, entity, env.db.dialect)
                rows = []
                for values in _lines(archive, f"data/{entity.name}.jsonl"):
                    rows.append(
                        tuple(
                            codec.canonical_param(c, v)
                            for c, v in zip(columns, values, strict=True)
                        )
                    )
                    if len(rows) >= BATCH:
                        rows_store.insert_rows(env.db, conn, table, columns, rows)
                        rows = []
                rows_store.insert_rows(env.db, conn, table, columns, rows)
            stones = env.db.system["tombstones"]
            tomb_rows = [
                dict(zip(stones.columns.keys(), v, strict=True))
                for v in _lines(archive, "data/_tombstones.jsonl")
            ]
            if tomb_rows:
                conn.execute(stones.insert(), tomb_rows)
            table = env.db.system["sequences"]
            conn.execute(table.delete())
            conn.execute(table.insert(), [{"name": k, "value": v} for k, v in sequences.items()])


def _lines(archive: zipfile.ZipFile, member: str) -> Iterator[list[Any]]:
    with archive.open(member) as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def _portable(value: Any) -> Any:
    """A stored value in a JSON form that reads back exactly."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value
