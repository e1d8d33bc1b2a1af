"""POST, PATCH, PUT and DELETE on records, with the Dataverse Web API's conditional semantics.

PATCH on a key is an upsert; `If-Match: *` makes it update-only (404 when missing), an ETag
in If-Match makes it a versioned update (412 when stale), `If-None-Match: *` makes it
create-only (412 when the record exists). A POST may carry the lines of a composition
(deep insert); header and lines are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from commonground.api.errors import ApiError
from commonground.api.payloads import json_response, prefer, service_root
from commonground.api.reading import key_condition
from commonground.api.resources import Resource, split_key_url
from commonground.errors import ConflictError, NotFoundError
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.odata.json_format import BodyDecoder, RecordEncoder, etag, version_of_etag
from commonground.odata.keys import parse_key
from commonground.odata.naming import child_collections, entity_for_set, entity_set_name
from commonground.query.plan import Query
from commonground.security.caller import Caller
from commonground.service.codec import Record
from commonground.service.environment import Environment, Transaction


@contextmanager
def writing(env: Environment, caller: Caller, tx: Transaction | None) -> Iterator[Transaction]:
    """The caller's transaction (a batch change set), or one of the request's own."""
    if tx is not None:
        yield tx
        return
    with env.transaction(caller) as own:
        yield own


def resolve_bind(env: Environment, tx: Transaction) -> Any:
    """A function turning `Accounts(5)` or `Accounts(AccountId='A-1')` into a RecordId."""

    def resolve(url: str, index: int, field: str) -> int:
        set_name, key_text = split_key_url(url)
        target = entity_for_set(env.model, set_name)
        if target is None or key_text is None:
            raise ApiError(400, "InvalidBind", f"{field}@odata.bind: '{url}' names no record")
        key = parse_key(target, env.model, key_text)
        if list(key) == [RECORD_ID]:
            return int(key[RECORD_ID])
        return int(tx.get_by_key(target.name, key)[RECORD_ID])

    return resolve


def _representation(
    request: Request,
    tx: Transaction,
    entity: Entity,
    record_id: int,
    status: int,
    *,
    body_by_default: bool = False,
    version: int | None = None,
) -> Response:
    """The answer to a write: the record with `status` (201/200), or 204 without it.

    OData 4.0 (Protocol 8.2.8.7, 11.4.2) answers a POST that creates with 201 and the record
    unless `Prefer: return=minimal`; the Dataverse Web API answers 204 unless
    `Prefer: return=representation`. POST follows OData (`body_by_default`), so standard
    clients learn the new record's key from the body; PATCH keeps 204 unless asked, as both
    allow. Either way OData-EntityId (and Location, when created) names the record. The
    record is read inside the write transaction, so a change set sees its own writes;
    an answer without it takes the `version` the write reported, when given, unread.
    """
    env = tx.env
    root = service_root(request)
    location = f"{root}{entity_set_name(entity.name)}({record_id})"
    asked = prefer(request).get("return")
    minimal = asked == "minimal" or (asked != "representation" and not body_by_default)
    if minimal:
        if version is None:
            version = int(_version_read(tx, entity, record_id)[VERSION])
        headers = _written_headers(location, version, status)
        if asked == "minimal":
            headers["Preference-Applied"] = "return=minimal"
        return Response(status_code=204, headers={**headers, "OData-Version": "4.0"})
    record = tx.get(entity.name, record_id)
    headers = _written_headers(location, int(record[VERSION]), status)
    body = RecordEncoder(env.model, entity).encode(record)
    context = f"{root}$metadata#{entity_set_name(entity.name)}/$entity"
    return json_response({"@odata.context": context, **body}, status, headers)


def _written_headers(location: str, version: int, status: int) -> dict[str, str]:
    headers = {"OData-EntityId": location, "ETag": etag(version)}
    if status == 201:
        headers["Location"] = location
    return headers


def create(
    request: Request,
    env: Environment,
    entity: Entity,
    body: Any,
    caller: Caller,
    tx: Transaction | None = None,
) -> Response:
    """POST to an entity set: one record, with deep-inserted lines if it carries them."""
    with writing(env, caller, tx) as t:
        record_id = insert_deep(env, t, entity, body)
        return _representation(request, t, entity, record_id, 201, body_by_default=True)


def insert_deep(env: Environment, tx: Transaction, entity: Entity, body: Any) -> int:
    """Insert a record and, recursively, the child records it carries; returns its RecordId."""
    record, children = BodyDecoder(env.model, entity).decode(body, 0, resolve_bind(env, tx))
    result = tx.create(entity.name, [record])
    record_id = result.record_ids[0]
    assert record_id is not None
    collections = {c.name: c.relationship for c in child_collections(env.model, entity)}
    for name, lines in children.items():
        relationship = collections[name]
        child = env.model.entity(relationship.child)
        for line in lines:
            if not isinstance(line, dict):
                raise ApiError(400, "InvalidBody", f"{name}: each line must be a JSON object")
            insert_deep(env, tx, child, {**line, f"_{relationship.field}_value": record_id})
    return record_id


def upsert(
    request: Request,
    env: Environment,
    resource: Resource,
    body: Any,
    caller: Caller,
    tx: Transaction | None = None,
) -> Response:
    """PATCH on a record: update or create with the If-Match / If-None-Match semantics."""
    if_match = request.headers.get("if-match")
    if_none_match = request.headers.get("if-none-match")
    entity = resource.entity
    assert resource.key is not None
    with writing(env, caller, tx) as t:
        record, _ = BodyDecoder(env.model, entity).decode(body, 0, resolve_bind(env, t))
        existing = _existing(env, t, resource)
        if existing is None:
            if if_match is not None:
                raise NotFoundError(f"{entity.name} record", _shown(resource.key))
            if list(resource.key) == [RECORD_ID]:
                raise NotFoundError(f"{entity.name} record", _shown(resource.key))
            written = t.create(entity.name, [{**record, **resource.key}])
            record_id, status = written.record_ids[0], 201
        else:
            if if_none_match is not None and if_none_match.strip() == "*":
                message = "A record with matching key values already exists."
                raise ApiError(412, "PreconditionFailed", message)
            record_id, status = existing[0], 200
            update = {**record, RECORD_ID: record_id}
            if if_match is not None and if_match.strip() != "*":
                update[VERSION] = _version(if_match)
            written = t.update(entity.name, [update])
        assert record_id is not None
        version = written.versions[0]
        return _representation(request, t, entity, record_id, status, version=version)


def _version_read(tx: Transaction, entity: Entity, record_id: int) -> Record:
    """RecordId and VersionNumber of a record, read in the transaction as `tx.get` reads it
    (the caller's read policies apply): all a write's checks and a body-less answer need."""
    only = (RECORD_ID, VERSION)
    return tx.env.reader.get(tx.ctx.conn, entity.name, record_id, tx.access, only)


def _existing(env: Environment, tx: Transaction, resource: Resource) -> tuple[int, int] | None:
    assert resource.key is not None
    try:
        if list(resource.key) == [RECORD_ID]:
            found = _version_read(tx, resource.entity, int(resource.key[RECORD_ID]))
        else:
            found = tx.get_by_key(resource.entity.name, resource.key)
    except NotFoundError:
        return None
    return int(found[RECORD_ID]), int(found[VERSION])


def _version(header: str) -> int:
    version = version_of_etag(header)
    if version is None:
        raise ApiError(400, "InvalidETag", f"'{header}' is not an ETag of this service")
    return version


def _shown(key: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in key.items())


def find_in(tx: Transaction, resource: Resource) -> Record:
    """The record a keyed resource addresses, read in the write transaction (404 if none)."""
    query = Query(resource.entity.name, where=key_condition(resource), top=1)
    found = tx.query(query)
    if not found:
        shown = ", ".join(f"{k}={v!r}" for k, v in (resource.key or {}).items())
        raise NotFoundError(f"{resource.entity.name} record", shown)
    return found[0]


def delete(
    request: Request,
    env: Environment,
    resource: Resource,
    caller: Caller,
    tx: Transaction | None = None,
) -> Response:
    """DELETE a record (and its composed lines); If-Match checks the version."""
    if_match = request.headers.get("if-match")
    version = _version(if_match) if if_match and if_match.strip() != "*" else None
    try:
        with writing(env, caller, tx) as t:
            record = find_in(t, resource)
            t.delete(resource.entity.name, [int(record[RECORD_ID])], [version])
    except ConflictError as exc:
        message = "The version of the existing record doesn't match the RowVersion provided."
        raise ApiError(412, "PreconditionFailed", message) from exc
    return Response(status_code=204, headers={"OData-Version": "4.0"})


def set_property(
    env: Environment,
    resource: Resource,
    value: Any,
    caller: Caller,
    tx: Transaction | None = None,
) -> Response:
    """PUT `{"value": ...}` on a property, or DELETE it (sets it to null)."""
    assert resource.property is not None
    with writing(env, caller, tx) as t:
        record = find_in(t, resource)
        t.update(resource.entity.name, [{RECORD_ID: record[RECORD_ID], resource.property: value}])
    return Response(status_code=204, headers={"OData-Version": "4.0"})
