"""Full and incremental reads of one entity, in batches with resumable watermarks.

A full read walks the entity in RecordId order (keyset paging, so memory stays flat). Its
watermark holds the change token taken BEFORE the walk began, plus the last RecordId while
the walk is unfinished: a stored mid-walk watermark resumes the walk. When the walk ends, the
same read goes on with the changes committed since that token, so records changed during the
walk (or between the runs of a walk resumed after a crash) are sent before the run completes.

An incremental read pages through the environment's change tracking. Records changed since
the token come with their current values; deleted records as their business key and
RecordId. A source filter is applied to the changed records by one query on their RecordIds,
and records that no longer match are simply not sent. Stamps are VersionNumbers, which a
write reports too, so a record read back after a write has the stamp the write returned.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from commonground.integration.connectors.commonground.access import EnvironmentAccess
from commonground.integration.connectors.commonground.matching import records_by_key
from commonground.integration.connectors.commonground.projection import Projection, projection
from commonground.integration.contracts import Batch, ConnectorError, FilterError, ReadRequest
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.odata.errors import ODataQueryError
from commonground.odata.filter_parser import parse_filter
from commonground.query.expressions import Expr, Path
from commonground.query.plan import Order, Query
from commonground.service.codec import Record
from commonground.store.changes import Tombstone


def read_batches(
    access: EnvironmentAccess, entity: Entity, request: ReadRequest
) -> Iterator[Batch]:
    """The batches of one read request (see the module docstring)."""
    shape = projection(access.model, entity, request.fields)
    where = source_filter(access, entity, request.filter)
    since = request.since
    if since is not None and not isinstance(since.get("token"), int):
        raise ConnectorError(f"the watermark {since!r} was not issued by this connector")
    size = max(1, request.batch_size)
    if since is None or "after" in since:
        return _full(access, shape, where, since, size)
    return _changes(access, shape, where, int(since["token"]), size)


def source_filter(access: EnvironmentAccess, entity: Entity, text: str | None) -> Expr | None:
    """A task's `$filter` as an expression on the entity (FilterError when it is invalid)."""
    if text is None or not text.strip():
        return None
    try:
        return parse_filter(entity, access.model, text)
    except ODataQueryError as exc:
        raise FilterError(f"source filter on {entity.name}: {exc}") from None


def _full(
    access: EnvironmentAccess,
    shape: Projection,
    where: Expr | None,
    since: dict[str, Any] | None,
    size: int,
) -> Iterator[Batch]:
    entity = shape.entity.name
    token = int(since["token"]) if since else access.current_token(entity)
    last = int(since["after"]) if since else 0
    while True:
        after: Expr = Path((RECORD_ID,)) > last
        query = Query(
            entity,
            select=shape.select,
            where=after if where is None else where & after,
            order_by=(Order(RECORD_ID),),
            top=size + 1,
        )
        page = access.query(query)
        more = len(page) > size
        page = page[:size]
        if page:
            last = int(page[-1][RECORD_ID])
        watermark = {"token": token, "after": last} if more else {"token": token}
        yield Batch(shape.shaped(access, page), watermark, stamps(page))
        if not more:
            # Changes committed while the walk went on (also across the runs a resumed walk
            # took) come in the same read, so a run that completes leaves nothing for later.
            yield from _changes(access, shape, where, token, size)
            return


def _changes(
    access: EnvironmentAccess, shape: Projection, where: Expr | None, token: int, size: int
) -> Iterator[Batch]:
    entity = shape.entity
    while True:
        changes = access.changes_since(entity.name, token, size)
        changed = changes.changed
        if where is not None and changed:
            changed = _still_matching(access, entity, where, changed)
        deleted = _deleted(entity, changes.deleted, changed)
        if changed or deleted or changes.token != token:
            records = shape.shaped(access, changed)
            yield Batch(records, {"token": changes.token}, stamps(changed), deleted)
        token = changes.token
        if not changes.more:
            return


def stamps(records: Sequence[Record]) -> list[str]:
    """Each record's VersionNumber as its stamp."""
    return [str(r[VERSION]) for r in records]


def _still_matching(
    access: EnvironmentAccess, entity: Entity, where: Expr, records: list[Record]
) -> list[Record]:
    ids = [(r[RECORD_ID],) for r in records]
    found = records_by_key(access, entity, [RECORD_ID], ids, (), where=where)
    matching = {r[RECORD_ID] for r in found}
    return [r for r in records if r[RECORD_ID] in matching]


def _deleted(
    entity: Entity, tombstones: Sequence[Tombstone], changed: Sequence[Record]
) -> list[dict[str, Any]]:
    """Deleted records' keys, less those whose key a record changed in this batch now holds
    (deleted, then created again: the record exists, so its delete must not be sent)."""
    key = entity.primary_key or ()
    alive = {tuple(r.get(f) for f in key) for r in changed} if key else set()
    out = []
    for stone in tombstones:
        values = stone.record_key or {}
        if key and tuple(values.get(f) for f in key) in alive:
            continue
        out.append({**values, RECORD_ID: stone.record_id})
    return out
