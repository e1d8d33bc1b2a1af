"""Reads: query plans, related records, counts and changes since a position.

Related records are fetched per query, not per record: one extra query per include, keyed by
the RecordIds the main query returned, so a page of 1,000 orders with their lines costs two
queries, not 1,001.

Every read runs for a caller's `Access`: an entity the caller may not read is refused (or,
when only expanded, left out), and the caller's read policies are added to the query's filter,
so what is not theirs to see is never fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, bindparam, select

from commonground.bounded import BoundedCache
from commonground.errors import NotFoundError
from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.model.field import Field
from commonground.model.types import FieldType
from commonground.query.aggregate import Apply
from commonground.query.expressions import Expr, Path
from commonground.query.plan import Include, Order, Query
from commonground.security.access import Access, full_access
from commonground.security.caller import SYSTEM
from commonground.security.permissions import Operation, Policy
from commonground.service.codec import EntityCodec, Record, canonical
from commonground.service.reach import reached_entities
from commonground.store.aggregate import RowReader, compile_apply
from commonground.store.changes import Tombstone, changes_since
from commonground.store.database import Database
from commonground.store.prepared import DriverSelect
from commonground.store.query import (
    QueryError,
    QueryTemplate,
    cheap_terms_first,
    child_relationship,
    compile_query,
    compile_template,
    count_query,
    query_shape,
    selected_fields,
)

CHUNK = 10_000
TEMPLATES = 512  # query shapes kept per environment (a client's queries have a few)
SYSTEM_ACCESS = full_access(SYSTEM)
READ = Operation.READ


@dataclass(frozen=True)
class ChangeSet:
    """Records changed and deleted since a token, and the token to ask with next time."""

    changed: list[Record]
    deleted: list[Tombstone]
    token: int
    more: bool


class Reader:
    """Runs reads of one environment on a connection (read or write transaction)."""

    def __init__(self, db: Database, model: DataModel, codecs: dict[str, EntityCodec]) -> None:
        self.db = db
        self.model = model
        self.codecs = codecs
        self._by_id: dict[tuple[str, tuple[str, ...] | None], tuple[Entity, Any, list[Field]]] = {}
        self._templates: BoundedCache[Any, QueryTemplate] = BoundedCache(TEMPLATES)

    def codec(self, entity: Entity) -> EntityCodec:
        """The codec of an entity, built on first use (an environment may be read first)."""
        found = self.codecs.get(entity.name)
        if found is None:
            found = self.codecs[entity.name] = EntityCodec(self.model, entity, self.db.dialect)
        return found

    def coerce(self, field: Field, value: Any) -> Any:
        """Coerce a filter literal to the canonical value of the field it is compared with."""
        if field.type is FieldType.LOOKUP and type(value) is int:
            return value
        return canonical(self.model, field, value)

    def query(self, conn: Connection, query: Query, access: Access = SYSTEM_ACCESS) -> list[Record]:
        """The records a query plan selects, with their includes."""
        entity = self.model.entity(query.entity)
        query = cheap_terms_first(self.db, self.model, self.secured(entity, query, access))
        statement, fields, params, driver = self._statement(entity, query)
        if driver is not None:
            rows: Iterable[Sequence[Any]] = driver.rows(conn.connection.driver_connection, params)
        else:
            rows = conn.execute(statement, params)
        records = self.codec(entity).decode_rows(fields, rows)
        for include in query.include:
            self._include(conn, entity, records, include, access)
        return records

    def _statement(
        self, entity: Entity, query: Query
    ) -> tuple[Any, list[Field], dict[str, Any], DriverSelect | None]:
        """The SELECT of a query, its fields, its parameters and (where the dialect has
        them) its driver form: from the template of the query's shape when it has one
        (built on first use, dropped when the entity changes)."""
        shaped = query_shape(query)
        if shaped is None:
            statement, fields = compile_query(self.db, self.model, query, self.coerce)
            return statement, fields, {}, None
        shape, literals = shaped
        template = self._templates.get(shape, None)
        if template is None or template.entity is not entity:
            template = compile_template(self.db, self.model, query, self.coerce)
            self._templates.put(shape, template)
        params = template.params(literals, query)
        return template.statement, template.fields, params, template.driver

    def secured(self, entity: Entity, query: Query, access: Access) -> Query:
        """The query narrowed to the records the caller may read; ForbiddenError when the
        caller may not read the entity, or an entity the filter or sort order looks into."""
        if access.unrestricted:
            return query
        condition = access.condition(entity.name, READ)
        self.require_reach(entity, query.where, [o.path for o in query.order_by], access)
        if condition is None:
            return query
        return replace(query, where=condition if query.where is None else query.where & condition)

    def require_reach(
        self, entity: Entity, where: Expr | None, paths: Sequence[str], access: Access
    ) -> None:
        """Read on every other entity a condition or sort order looks into."""
        if access.unrestricted:
            return
        for name in sorted(reached_entities(self.model, entity, where, paths)):
            access.require(name, READ)

    def count(self, conn: Connection, query: Query, access: Access = SYSTEM_ACCESS) -> int:
        """How many records the query's filter matches."""
        query = self.secured(self.model.entity(query.entity), query, access)
        query = cheap_terms_first(self.db, self.model, query)
        return int(conn.execute(count_query(self.db, self.model, query, self.coerce)).scalar() or 0)

    def within(
        self, conn: Connection, entity: str, record_ids: Sequence[int], condition: Expr
    ) -> set[int]:
        """Those of some records that a condition (a policy) admits."""
        statement, _ = compile_query(
            self.db, self.model, Query(entity, select=(RECORD_ID,), where=condition), self.coerce
        )
        key = self.db.table(self.model.entity(entity).name).c[RECORD_ID]
        statement = statement.where(key.in_(bindparam("ids", expanding=True)))
        admitted: set[int] = set()
        for start in range(0, len(record_ids), CHUNK):
            chunk = list(record_ids[start : start + CHUNK])
            admitted.update(int(row[0]) for row in conn.execute(statement, {"ids": chunk}))
        return admitted

    def aggregate(
        self,
        conn: Connection,
        entity: str,
        apply: Apply,
        order_by: Sequence[Order] = (),
        top: int | None = None,
        skip: int | None = None,
        access: Access = SYSTEM_ACCESS,
    ) -> list[dict[str, Any]]:
        """The groups an aggregation plan makes, one object per group.

        Grouping values sit under their paths (`{"MailingPostalAddress": {"City": ...}}`),
        aggregates under their aliases; a grouped lookup's RecordId sits under `_<Lookup>_value`,
        picklists show item names.
        """
        definition = self.model.entity(entity)
        if not access.unrestricted:
            condition = access.condition(definition.name, READ)
            paths = [*apply.group_by, *(a.path for a in apply.aggregates if a.path)]
            self.require_reach(
                definition, apply.filter, [*paths, *(o.path for o in order_by)], access
            )
            if condition is not None:
                where = condition if apply.filter is None else apply.filter & condition
                apply = replace(apply, filter=where)
        statement, outputs = compile_apply(
            self.db, self.model, definition.name, apply, order_by, top, self.coerce, skip
        )
        reader = RowReader(self.model, outputs)
        return [reader.read(row) for row in conn.execute(statement)]

    def get(
        self,
        conn: Connection,
        entity_name: str,
        record_id: int,
        access: Access = SYSTEM_ACCESS,
        only: Sequence[str] | None = None,
    ) -> Record:
        """One record by RecordId; NotFoundError if there is none (or none the caller's read
        policies reach: a record outside them is as good as absent).

        `only` names the fields wanted (a write's checks and answers need just RecordId and
        VersionNumber; decoding a wide row costs more than reading it); the fields the
        caller's read policies look at are read as well, so they are checked as always.
        """
        entity = self.model.entity(entity_name)
        grant = access.require(entity.name, READ)
        names = None
        if only is not None:
            policies = grant.policies or ()
            names = tuple(dict.fromkeys([*only, *(p.field for p in policies)]))
        statement, fields = self.point_read_statement(entity, names)
        row = conn.execute(statement, {"record_id": record_id}).first()
        if row is None:
            raise NotFoundError(f"{entity.name} record", str(record_id))
        record = self.codec(entity).decode(fields, row)
        if grant.policies is not None and not any(
            self._admits(entity, policy, record, access) for policy in grant.policies
        ):
            raise NotFoundError(f"{entity.name} record", str(record_id))
        return record

    def _admits(self, entity: Entity, policy: Policy, record: Record, access: Access) -> bool:
        """Whether a read record satisfies a policy: what its query condition says, asked of
        the decoded record (a point read keeps its prepared statement)."""
        value = record.get(policy.field)
        if policy.values is None:
            return bool(value == access.caller.name)
        field = entity.field_or_none(policy.field)
        if value is None or field is None or field.picklist is None:
            return False
        picklist = self.model.picklist(field.picklist)
        return picklist.value_of(str(value)) in {picklist.value_of(v) for v in policy.values}

    def point_read_statement(
        self, entity: Entity, names: tuple[str, ...] | None = None
    ) -> tuple[Any, list[Field]]:
        """The SELECT of one record by RecordId (of all its fields, or of the named ones that
        exist), built once per entity definition and list of names.

        Building a SELECT of a wide entity (and its cache key) costs more than running it;
        a point read is the hottest path of the API, so its statement is kept and reused.
        """
        cached = self._by_id.get((entity.name, names))
        if cached is not None and cached[0] is entity:
            return cached[1], cached[2]
        table = self.db.table(entity.name)
        fields = list(entity.all_fields)
        if names is not None:
            wanted = {name.lower() for name in names}
            fields = [f for f in fields if f.name.lower() in wanted]
        columns = [table.c[c] for f in fields for c in f.column_names()]
        statement = select(*columns).where(table.c[RECORD_ID] == bindparam("record_id"))
        self._by_id[(entity.name, names)] = (entity, statement, fields)
        return statement, fields

    def get_by_key(
        self,
        conn: Connection,
        entity_name: str,
        key: dict[str, Any],
        access: Access = SYSTEM_ACCESS,
    ) -> Record:
        """One record by the values of an alternate key (all its fields)."""
        entity = self.model.entity(entity_name)
        fields = resolve_key(entity, list(key))
        condition = None
        for field, value in zip(fields, key.values(), strict=True):
            term = Path((field,)) == value
            condition = term if condition is None else condition & term
        found = self.query(conn, Query(entity.name, where=condition, top=2), access)
        if not found:
            shown = ", ".join(f"{k}={v!r}" for k, v in key.items())
            raise NotFoundError(f"{entity.name} record", shown)
        return found[0]

    def _include(
        self,
        conn: Connection,
        entity: Entity,
        records: list[Record],
        include: Include,
        access: Access,
    ) -> None:
        """Fetch one include for all records; an entity the caller may not read is left out."""
        lookup = entity.field_or_none(include.name)
        if lookup is not None and lookup.type is FieldType.LOOKUP:
            assert lookup.target is not None
            if not access.allows(lookup.target, READ):
                return
            ids = sorted({r[lookup.name] for r in records if r.get(lookup.name) is not None})
            related = self._by_ids(conn, lookup.target, RECORD_ID, ids, include.query, access)
            by_id = {r[RECORD_ID]: r for r in related}
            for record in records:
                record.related[lookup.name] = by_id.get(record.get(lookup.name))
            return
        relation = child_relationship(self.model, entity, include.name)
        if not access.allows(relation.child, READ):
            return
        ids = sorted({r[RECORD_ID] for r in records})
        children = self._by_ids(conn, relation.child, relation.field, ids, include.query, access)
        grouped: dict[int, list[Record]] = {}
        for child in children:
            grouped.setdefault(child[relation.field], []).append(child)
        for record in records:
            record.related[include.name] = grouped.get(record[RECORD_ID], [])

    def _by_ids(
        self,
        conn: Connection,
        entity: str,
        column: str,
        ids: list[Any],
        shape: Query | None,
        access: Access,
    ) -> list[Record]:
        out: list[Record] = []
        for start in range(0, len(ids), CHUNK):
            condition: Expr = Path((column,)).in_(ids[start : start + CHUNK])
            if shape is not None and shape.where is not None:
                condition = condition & shape.where
            select_ = None
            if shape is not None and shape.select is not None:
                select_ = (*shape.select, column)
            plan = Query(
                entity,
                select=select_,
                where=condition,
                order_by=shape.order_by if shape else (),
                include=shape.include if shape else (),
            )
            out.extend(self.query(conn, plan, access))
        if shape is not None and shape.top is not None:
            out = _top_per_parent(out, column, shape.top)
        return out

    def changes(
        self,
        conn: Connection,
        entity_name: str,
        since: int,
        limit: int,
        access: Access = SYSTEM_ACCESS,
        select: tuple[str, ...] | None = None,
    ) -> ChangeSet:
        """Changed records and tombstones of one entity after position `since` (changed
        records outside the caller's read policies are left out; a tombstone holds no data).

        `select` names the fields wanted of the changed records (RecordId and VersionNumber
        always come): a reader that only needs to know what changed reads no more."""
        entity = self.model.entity(entity_name)
        condition = access.condition(entity.name, READ)
        fields = selected_fields(entity, select)
        columns = None if select is None else [c for f in fields for c in f.column_names()]
        raw = changes_since(self.db, conn, entity.name, since, limit, columns)
        codec = self.codec(entity)
        changed = codec.decode_rows(fields, raw.rows)
        if condition is not None:
            admitted = self.within(conn, entity.name, [r[RECORD_ID] for r in changed], condition)
            changed = [r for r in changed if r[RECORD_ID] in admitted]
        return ChangeSet(changed, raw.tombstones, raw.upto, raw.more)

    def scan(
        self,
        conn: Connection,
        entity_name: str,
        batch: int = CHUNK,
        access: Access = SYSTEM_ACCESS,
        select: tuple[str, ...] | None = None,
    ) -> Iterator[list[Record]]:
        """Every record of an entity in RecordId order, a batch at a time (keyset paging),
        with the `select`ed fields (all by default)."""
        entity = self.model.entity(entity_name)
        last = 0
        while True:
            plan = Query(entity.name, select=select, where=Path((RECORD_ID,)) > last, top=batch)
            page = self.query(conn, plan, access)
            if not page:
                return
            yield page
            last = page[-1][RECORD_ID]

    def version_of(self, conn: Connection, entity_name: str, record_id: int) -> int | None:
        """The current VersionNumber of a record, or None if it does not exist."""
        table = self.db.table(self.model.entity(entity_name).name)
        value = conn.execute(
            select(table.c[VERSION]).where(table.c[RECORD_ID] == record_id)
        ).scalar()
        return None if value is None else int(value)


def _top_per_parent(records: list[Record], column: str, top: int) -> list[Record]:
    counts: dict[Any, int] = {}
    out = []
    for record in records:
        seen = counts.get(record[column], 0)
        if seen < top:
            out.append(record)
        counts[record[column]] = seen + 1
    return out


def resolve_key(entity: Entity, names: list[str]) -> list[str]:
    """Canonical field names of a key given by its fields; QueryError unless they form a key."""
    fields = []
    for name in names:
        found = entity.field_or_none(name)
        if found is None:
            raise QueryError(f"entity {entity.name} has no field '{name}'")
        fields.append(found.name)
    wanted = {f.lower() for f in fields}
    is_key = any({k.lower() for k in key} == wanted for key in entity.keys.values())
    is_unique = len(fields) == 1 and bool(entity.field_or_none(fields[0]).unique)  # type: ignore[union-attr]
    if not (is_key or is_unique or fields == [RECORD_ID]):
        keys = "; ".join(f"{n} ({', '.join(k)})" for n, k in entity.keys.items()) or "none"
        raise QueryError(f"{', '.join(fields)} is not a key of {entity.name} (keys: {keys})")
    return fields
