"""An environment: its data model and the operations on its records and schema.

The API, SDK, CLI and integrator all go through this facade. Writes run in a `Transaction`
(one write transaction of the store, all or nothing); convenience methods on `Environment`
open one transaction per call. Every operation runs for a `Caller` and is checked against
the caller's rights in this environment (data privileges and policies, schema and security
capabilities); the default caller is the local operator, who holds every right.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from commonground.errors import (
    AlreadyExistsError,
    DefinitionError,
    NotFoundError,
    SchemaChangeError,
)
from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, TITLE_FIELD, Entity
from commonground.model.field import Field
from commonground.model.picklist import Picklist
from commonground.model.types import WIDENINGS, FieldType, Storage
from commonground.query.aggregate import Apply
from commonground.query.plan import Order, Query
from commonground.security.access import Access
from commonground.security.caller import SYSTEM, Caller
from commonground.security.permissions import Capability
from commonground.service.codec import EntityCodec, Record, canonical
from commonground.service.context import WriteContext
from commonground.service.deletes import delete_records
from commonground.service.reads import ChangeSet, Reader, resolve_key
from commonground.service.security import EnvironmentSecurity
from commonground.service.writes import BatchWriter, WriteMode, WriteResult
from commonground.store import schema as ddl
from commonground.store.changes import current_position
from commonground.store.database import Database


@dataclass(frozen=True)
class EnvironmentSettings:
    """Settings stored with an environment."""

    access_mode: str = "restricted"
    description: str = ""

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps({"access_mode": self.access_mode, "description": self.description})

    @classmethod
    def from_json(cls, text: str) -> EnvironmentSettings:
        """Read the stored form."""
        data = json.loads(text)
        return cls(
            access_mode=data.get("access_mode", "restricted"),
            description=data.get("description", ""),
        )


class Transaction:
    """Writes and reads inside one write transaction: all of them commit, or none does."""

    def __init__(self, env: Environment, conn: Connection, caller: Caller) -> None:
        self.env = env
        self.access = env.access(caller)
        self.ctx = WriteContext(env.db, conn, env.model, caller.name, self.access, env.reader)

    def write(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        mode: WriteMode,
        key: str | Sequence[str] | None = None,
        skip_errors: bool = False,
    ) -> WriteResult:
        """Create, update or upsert a batch of records of one entity."""
        definition = self.env.model.entity(entity)
        key_fields = self.env.key_fields(definition, key, records, mode)
        writer = BatchWriter(self.ctx, definition, self.env.codec(definition.name))
        return writer.write(records, mode, key_fields, skip_errors)

    def create(
        self, entity: str, records: Sequence[dict[str, Any]], skip_errors: bool = False
    ) -> WriteResult:
        """Insert new records."""
        return self.write(entity, records, WriteMode.CREATE, skip_errors=skip_errors)

    def update(
        self, entity: str, records: Sequence[dict[str, Any]], key: str | Sequence[str] | None = None
    ) -> WriteResult:
        """Change existing records, found by RecordId or by an alternate key."""
        return self.write(entity, records, WriteMode.UPDATE, key)

    def upsert(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        key: str | Sequence[str] | None = None,
        skip_errors: bool = False,
    ) -> WriteResult:
        """Insert or update by an alternate key (the entity's primary key by default)."""
        return self.write(entity, records, WriteMode.UPSERT, key, skip_errors)

    def delete(
        self, entity: str, record_ids: Sequence[int], versions: Sequence[int | None] | None = None
    ) -> int:
        """Delete records by RecordId (optionally only at the given versions)."""
        return delete_records(self.ctx, entity, record_ids, versions)

    def get(self, entity: str, record_id: int) -> Record:
        """Read one record inside this transaction."""
        return self.env.reader.get(self.ctx.conn, entity, record_id, self.access)

    def get_by_key(self, entity: str, key: dict[str, Any]) -> Record:
        """Read one record by alternate key values inside this transaction."""
        return self.env.reader.get_by_key(self.ctx.conn, entity, key, self.access)

    def query(self, query: Query) -> list[Record]:
        """Records selected by a query plan, inside this transaction."""
        return self.env.reader.query(self.ctx.conn, query, self.access)


class Environment:
    """One environment's model, data and schema operations."""

    def __init__(
        self, name: str, db: Database, model: DataModel, settings: EnvironmentSettings
    ) -> None:
        self.name = name
        self.db = db
        self.model = model
        self.settings = settings
        self._codecs: dict[str, EntityCodec] = {}
        self.reader = Reader(db, model, self._codecs)
        self.security = EnvironmentSecurity(name, db, lambda: self.model)
        db.bind_model(model)

    def access(self, caller: Caller) -> Access:
        """What a caller may do here (an open environment lets every caller at all data)."""
        return self.security.access(caller, self.settings.access_mode == "open")

    def require(self, caller: Caller, capability: Capability) -> None:
        """ForbiddenError unless the caller's roles here carry a capability."""
        self.access(caller).require_capability(capability, f"environment {self.name}")

    # -- model and codecs ----------------------------------------------------------------

    def codec(self, entity: str) -> EntityCodec:
        """The record codec of an entity (built once per model version)."""
        definition = self.model.entity(entity)
        if definition.name not in self._codecs:
            self._codecs[definition.name] = EntityCodec(self.model, definition, self.db.dialect)
        return self._codecs[definition.name]

    def _set_model(self, model: DataModel) -> None:
        self.model = model
        self._codecs.clear()
        self.reader.model = model
        for entity in model.entities:
            self.codec(entity.name)

    def key_fields(
        self,
        entity: Entity,
        key: str | Sequence[str] | None,
        records: Sequence[dict[str, Any]],
        mode: WriteMode,
    ) -> list[str] | None:
        """The fields a batch is matched by: a key, given fields, RecordId or the primary key."""
        if isinstance(key, str):
            named = entity.key_fields(key)
            if named is None and entity.field_or_none(key) is not None:
                return resolve_key(entity, [key])
            if named is None:
                keys = ", ".join(entity.keys) or "none"
                raise NotFoundError("Key", key, f"{entity.name} (keys: {keys})")
            return list(named)
        if key is not None:
            return resolve_key(entity, list(key))
        if mode is WriteMode.CREATE:
            return None
        first = records[0] if records else {}
        if isinstance(first, dict) and any(k.lower() == RECORD_ID.lower() for k in first):
            return None
        if mode is WriteMode.UPSERT and entity.primary_key:
            return list(entity.primary_key)
        return None

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def transaction(self, caller: Caller = SYSTEM) -> Iterator[Transaction]:
        """A write transaction; it commits when the block ends and rolls back on an error."""
        with self.db.write() as conn:
            yield Transaction(self, conn, caller)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction (one consistent snapshot)."""
        with self.db.read() as conn:
            yield conn

    # -- one-call conveniences -----------------------------------------------------------

    def create(
        self, entity: str, records: Sequence[dict[str, Any]], caller: Caller = SYSTEM
    ) -> WriteResult:
        """Insert records in a transaction of their own."""
        with self.transaction(caller) as tx:
            return tx.create(entity, records)

    def update(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        key: str | Sequence[str] | None = None,
        caller: Caller = SYSTEM,
    ) -> WriteResult:
        """Update records in a transaction of their own."""
        with self.transaction(caller) as tx:
            return tx.update(entity, records, key)

    def upsert(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        key: str | Sequence[str] | None = None,
        caller: Caller = SYSTEM,
        skip_errors: bool = False,
    ) -> WriteResult:
        """Upsert records in a transaction of their own."""
        with self.transaction(caller) as tx:
            return tx.upsert(entity, records, key, skip_errors)

    def delete(
        self,
        entity: str,
        record_ids: Sequence[int],
        versions: Sequence[int | None] | None = None,
        caller: Caller = SYSTEM,
    ) -> int:
        """Delete records in a transaction of their own."""
        with self.transaction(caller) as tx:
            return tx.delete(entity, record_ids, versions)

    def query(self, query: Query, caller: Caller = SYSTEM) -> list[Record]:
        """Records selected by a query plan."""
        with self.reading() as conn:
            return self.reader.query(conn, query, self.access(caller))

    def count(self, query: Query, caller: Caller = SYSTEM) -> int:
        """How many records a query's filter matches."""
        with self.reading() as conn:
            return self.reader.count(conn, query, self.access(caller))

    def aggregate(
        self,
        entity: str,
        apply: Apply,
        order_by: Sequence[Order] = (),
        top: int | None = None,
        skip: int | None = None,
        caller: Caller = SYSTEM,
    ) -> list[dict[str, Any]]:
        """The groups of an aggregation plan (`$apply`), in one read transaction."""
        access = self.access(caller)
        with self.reading() as conn:
            return self.reader.aggregate(conn, entity, apply, order_by, top, skip, access)

    def get(self, entity: str, record_id: int, caller: Caller = SYSTEM) -> Record:
        """One record by RecordId."""
        access = self.access(caller)
        with self.reading() as conn:
            return self.reader.get(conn, entity, record_id, access)

    def get_by_key(self, entity: str, key: dict[str, Any], caller: Caller = SYSTEM) -> Record:
        """One record by alternate key values."""
        access = self.access(caller)
        with self.reading() as conn:
            return self.reader.get_by_key(conn, entity, key, access)

    def changes_since(
        self,
        entity: str,
        token: int = 0,
        limit: int = 5000,
        caller: Caller = SYSTEM,
        select: tuple[str, ...] | None = None,
    ) -> ChangeSet:
        """Changes of one entity after a token; ask again with the returned token. `select`
        names the fields wanted of changed records (RecordId and VersionNumber always come)."""
        access = self.access(caller)
        with self.reading() as conn:
            return self.reader.changes(conn, entity, token, limit, access, select)

    def current_token(self) -> int:
        """The newest committed change position: a token that means "from now on"."""
        with self.reading() as conn:
            return current_position(self.db, conn)

    def scan(
        self, entity: str, batch: int = 10_000, caller: Caller = SYSTEM
    ) -> Iterator[list[Record]]:
        """Every record of an entity (that the caller may read), a batch at a time."""
        access = self.access(caller)
        with self.reading() as conn:
            yield from self.reader.scan(conn, entity, batch, access)

    # -- schema --------------------------------------------------------------------------

    def create_entity(self, entity: Entity, caller: Caller = SYSTEM) -> Entity:
        """Add a custom entity (a Title field is added when it names no primary name)."""
        return self.create_entities([entity], caller)[0]

    def create_entities(self, entities: Sequence[Entity], caller: Caller = SYSTEM) -> list[Entity]:
        """Add custom entities that may look each other up, in one schema change; each gets
        its View and Maintain permission sets."""
        self.require(caller, Capability.SCHEMA)
        model = self.model
        created = []
        for entity in entities:
            if model.has_entity(entity.name):
                raise AlreadyExistsError("Entity", entity.name, self.name)
            created.append(with_title(entity))
            model = DataModel([*model.entities, created[-1]], model.picklists, check=False)
        model.check()
        with self.db.write() as conn:
            for entity in created:
                ddl.add_entity(self.db, conn, entity)
                self.security.entity_added(conn, entity.name)
        self.security.forget()
        self._set_model(model)
        return created

    def create_entity_sql(self, entity: Entity) -> list[str]:
        """The DDL `create_entity` would run (nothing is changed)."""
        with self.db.read() as conn:
            statements = ddl.add_entity_sql(self.db, conn, with_title(entity))
        self.db.unbind_entity(entity.name)
        if self.model.has_entity(entity.name):
            self.db.bind_entity(self.model.entity(entity.name))
        return statements

    def add_field(self, entity_name: str, field: Field, caller: Caller = SYSTEM) -> Entity:
        """Add a field to an entity (standard entities accept only optional custom fields)."""
        self.require(caller, Capability.SCHEMA)
        old = self.model.entity(entity_name)
        if old.field_or_none(field.name) is not None:
            raise AlreadyExistsError("Field", field.name, old.name)
        if old.standard and field.required:
            raise SchemaChangeError(
                f"a required field cannot be added to standard entity {old.name}"
            )
        _check_default(self.model, old, field)
        if old.standard:
            field = field.model_copy(update={"custom": True})
        new = _rebuild(old, fields=(*old.fields, field))
        model = self.model.with_entity(new)
        with self.db.write() as conn:
            if field.required and _has_rows(conn, self.db, old) and field.default is None:
                raise SchemaChangeError(
                    f"{old.name} has records: a new required field needs a default value"
                )
            ddl.add_field(self.db, conn, old, new, field)
            if field.default is not None and field.required:
                self._fill_default(conn, new, field)
        self._set_model(model)
        return new

    def _fill_default(self, conn: Connection, entity: Entity, field: Field) -> None:
        table = self.db.table(entity.name)
        conn.execute(
            table.update().values({field.name: canonical(self.model, field, field.default)})
        )

    def change_field(self, entity_name: str, field: Field, caller: Caller = SYSTEM) -> Entity:
        """Change a field's properties or widen its type; existing data must fit."""
        self.require(caller, Capability.SCHEMA)
        old = self.model.entity(entity_name)
        current = old.field_or_none(field.name)
        if current is None:
            raise NotFoundError("Field", field.name, old.name)
        if old.standard and not current.custom:
            raise SchemaChangeError(f"standard field {old.name}.{field.name} cannot be changed")
        if (current.is_compound or field.is_compound) and current.type is not field.type:
            raise SchemaChangeError(f"{old.name}.{field.name}: compound types cannot change type")
        field = field.model_copy(update={"name": current.name, "custom": current.custom})
        _check_default(self.model, old, field)
        new = _rebuild(
            old, fields=tuple(field if f.name == current.name else f for f in old.fields)
        )
        model = self.model.with_entity(new)
        check = EntityCodec(model, new, self.db.dialect)
        with self.db.write() as conn:
            if current.storage is not field.storage or current.scale != field.scale:
                if (
                    current.storage is not field.storage
                    and (current.storage, field.storage) not in WIDENINGS
                ):
                    raise SchemaChangeError(
                        f"{old.name}.{field.name}: {current.type} cannot change to {field.type}"
                    )
                to_text = field.storage is Storage.STRING
                ddl.change_field_type(
                    self.db,
                    conn,
                    new,
                    field,
                    lambda v: check.canonical_param(field.name, _plain(v, to_text)),
                )
            else:
                self._check_fits(conn, old, new, field, check)
                self.db.bind_entity(new)
                ddl.save_entity(self.db, conn, new)
        self._set_model(model)
        return new

    def _check_fits(
        self, conn: Connection, old: Entity, new: Entity, field: Field, check: EntityCodec
    ) -> None:
        """Same storage, new limits (length, picklist, required): every stored value must fit."""
        table = self.db.table(old.name)
        for column in field.column_names():
            # Read whole, so that refusing on the first bad value leaves no statement open
            # on the connection: one left running kept an old snapshot, and the next write
            # transaction on that pooled connection failed with "database is locked".
            rows = conn.execute(select(table.c[RECORD_ID], table.c[column])).all()
            for rid, value in rows:
                if value is None:
                    if field.required and not field.is_compound:
                        raise SchemaChangeError(
                            f"{new.name}.{field.name}: record {rid} has no value"
                        )
                    continue
                try:
                    if field.storage is Storage.STRING:
                        check.canonical_param(column, value)
                except ValueError as exc:
                    raise SchemaChangeError(
                        f"{new.name}.{field.name}: record {rid}: {exc}"
                    ) from exc

    def drop_entity(self, name: str, caller: Caller = SYSTEM) -> None:
        """Delete a custom entity and its data (and the permissions on it)."""
        self.require(caller, Capability.SCHEMA)
        entity = self.model.entity(name)
        if entity.standard:
            raise SchemaChangeError(f"standard entity {entity.name} cannot be deleted")
        model = self.model.without_entity(entity.name)
        with self.db.write() as conn:
            ddl.drop_entity(self.db, conn, entity)
            self.security.entity_dropped(conn, entity.name)
        self.security.forget()
        self._set_model(model)

    def add_key(
        self, entity_name: str, key_name: str, fields: Sequence[str], caller: Caller = SYSTEM
    ) -> Entity:
        """Add an alternate key; fails (nothing changed) when stored records share a value."""
        self.require(caller, Capability.SCHEMA)
        old = self.model.entity(entity_name)
        if old.key_fields(key_name) is not None:
            raise AlreadyExistsError("Key", key_name, old.name)
        names = []
        for name in fields:
            field = old.field_or_none(name)
            if field is None:
                raise NotFoundError("Field", name, old.name)
            names.append(field.name)
        new = _rebuild(old, keys={**old.keys, key_name: tuple(names)})
        model = self.model.with_entity(new)
        with self.db.write() as conn:
            ddl.add_key(self.db, conn, old, new)
        self._set_model(model)
        return new

    def set_field_group(
        self, entity_name: str, group: str, fields: Sequence[str], caller: Caller = SYSTEM
    ) -> Entity:
        """Choose the fields of one of an entity's field groups (DefaultList, DefaultCard,
        ...), in order; no fields removes the group. Forms and lists lay records out by them."""
        self.require(caller, Capability.SCHEMA)
        old = self.model.entity(entity_name)
        names = []
        for name in fields:
            field = old.field_or_none(name)
            if field is None:
                raise NotFoundError("Field", name, old.name)
            names.append(field.name)
        groups = {k: v for k, v in old.field_groups.items() if k != group}
        if names:
            groups[group] = tuple(names)
        new = _rebuild(old, field_groups=groups)
        with self.db.write() as conn:
            self.db.bind_entity(new)
            ddl.save_entity(self.db, conn, new)
        self._set_model(self.model.with_entity(new))
        return new

    def create_picklist(self, picklist: Picklist, caller: Caller = SYSTEM) -> Picklist:
        """Add a custom picklist; its name must be new."""
        self.require(caller, Capability.SCHEMA)
        if self.model.has_picklist(picklist.name):
            raise AlreadyExistsError("Picklist", picklist.name, self.name)
        model = self.model.with_picklist(picklist.model_copy(update={"standard": False}))
        with self.db.write() as conn:
            ddl.save_picklist(self.db, conn, model.picklist(picklist.name))
        self._set_model(model)
        return model.picklist(picklist.name)

    def set_settings(self, settings: EnvironmentSettings, caller: Caller = SYSTEM) -> None:
        """Change the environment's settings (e.g. open or restricted access)."""
        self.require(caller, Capability.SECURITY)
        with self.db.write() as conn:
            ddl.set_environment_settings(self.db, conn, settings.to_json())
        before, self.settings = self.settings, settings
        if before.access_mode != settings.access_mode:
            detail = {"from": before.access_mode, "to": settings.access_mode}
            self.security.audit(caller, "access mode changed", self.name, detail)


def with_title(entity: Entity) -> Entity:
    """A custom entity gets a Title field as its primary name when it names none."""
    if entity.primary_name is not None:
        return entity
    if entity.field_or_none(TITLE_FIELD) is None:
        title = Field(name=TITLE_FIELD, type=FieldType.TEXT, max_length=128, searchable=True)
        return _rebuild(entity, fields=(title, *entity.fields), primary_name=TITLE_FIELD)
    return _rebuild(entity, primary_name=TITLE_FIELD)


def _rebuild(entity: Entity, **changes: Any) -> Entity:
    """A changed copy of an entity, validated again."""
    data = entity.model_dump()
    data.update(
        {k: [f.model_dump() for f in v] if k == "fields" else v for k, v in changes.items()}
    )
    try:
        return Entity.model_validate(data)
    except ValueError as exc:
        raise DefinitionError(f"{entity.name}: {exc}") from exc


def _check_default(model: DataModel, entity: Entity, field: Field) -> None:
    """A default every new record would get must be a value the field can hold."""
    if field.default is None:
        return
    try:
        canonical(model, field, field.default)
    except ValueError as exc:
        raise SchemaChangeError(f"{entity.name}.{field.name}: default value: {exc}") from exc


def _has_rows(conn: Connection, db: Database, entity: Entity) -> bool:
    table = db.table(entity.name)
    return conn.execute(select(table.c[RECORD_ID]).limit(1)).first() is not None


def _plain(value: Any, to_text: bool) -> Any:
    """A stored value prepared for conversion: its text form when the new type is text."""
    if to_text and not isinstance(value, str):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return value
