"""GET on entity sets, records, properties and counts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from commonground.api.errors import ApiError
from commonground.api.paging import DEFAULT_PAGE, after_token, skip_token, sort_fields
from commonground.api.payloads import json_response, prefer, service_root
from commonground.api.resources import Resource
from commonground.errors import NotFoundError
from commonground.model.entity import RECORD_ID
from commonground.odata.groups import context_properties, encode_groups
from commonground.odata.json_format import RecordEncoder, etag, json_value, version_of_etag
from commonground.odata.naming import entity_set_name
from commonground.odata.options import ParsedOptions, parse_query_options
from commonground.query.aggregate import Apply
from commonground.query.expressions import Expr, Path
from commonground.query.plan import Query
from commonground.security.caller import Caller, caller_of
from commonground.service.codec import Record
from commonground.service.environment import Environment
from commonground.store.changes import current_position

MAX_PAGE = 5000
MAX_GROUPS = 5000  # groups in one $apply response, which is never paged


def read_collection(request: Request, env: Environment, resource: Resource) -> Response:
    """A page of records with `@odata.nextLink` while more remain, and `@odata.count`."""
    options = dict(request.query_params)
    if "$deltatoken" in options:
        return read_changes(request, env, resource, options)
    if "odata.track-changes" in prefer(request):
        return start_tracking(request, env, resource, options)
    parsed = parse_query_options(resource.entity, env.model, options)
    if parsed.apply is not None and (parsed.apply.group_by or parsed.apply.aggregates):
        return read_groups(request, env, resource, parsed.apply, parsed)
    if parsed.apply is not None:  # filter() alone: records, as with $filter
        parsed = replace(parsed, query=replace(parsed.query, where=parsed.apply.filter))
    query = parsed.query
    caller = caller_of(request)
    if resource.count:
        return Response(str(env.count(query, caller)), media_type="text/plain")
    page_size = _page_size(request)
    keyset = sort_fields(resource.entity, query)
    if keyset is None and "$skiptoken" in options:
        raise ApiError(400, "InvalidSkipToken", "paging needs $orderby on fields of the entity")
    page_query = _page_query(query, options.get("$skiptoken"), keyset)
    wanted = query.top if query.top is not None else None
    limit = page_size if wanted is None else min(wanted, page_size)
    records = env.query(replace(page_query, top=limit + 1), caller)
    more = len(records) > limit and (wanted is None or wanted > limit)
    records = records[:limit]
    root = service_root(request)
    set_name = entity_set_name(resource.entity.name)
    body: dict[str, Any] = {"@odata.context": f"{root}$metadata#{set_name}"}
    if parsed.count:
        body["@odata.count"] = env.count(Query(query.entity, where=query.where), caller)
    encoder = RecordEncoder(env.model, resource.entity, _ieee754(request))
    extra = _read_only_for_paging(query, page_query)
    body["value"] = [_without(encoder.encode(r), extra) for r in records]
    if more and records and keyset is not None:
        next_options = {k: v for k, v in options.items() if k not in ("$skiptoken", "$top")}
        if wanted is not None:
            next_options["$top"] = str(wanted - len(records))
        next_options["$skiptoken"] = skip_token(query, records[-1])
        body["@odata.nextLink"] = f"{root}{set_name}?{urlencode(next_options)}"
    headers = (
        {"Preference-Applied": f"odata.maxpagesize={page_size}"} if _asked_page(request) else {}
    )
    return json_response(body, headers=headers)


def read_groups(
    request: Request, env: Environment, resource: Resource, apply: Apply, parsed: ParsedOptions
) -> Response:
    """The groups of `$apply`, all in one response: at most MAX_GROUPS of them.

    Groups are not paged (there is no stable key to resume after), so a response never has
    an `@odata.nextLink`; a request for more than MAX_GROUPS groups gets the first MAX_GROUPS
    in the requested order. Use `$top`/`$skip` or a narrower filter() to see the others.
    """
    if resource.count or parsed.count:
        raise ApiError(400, "InvalidQuery", "$count cannot be combined with $apply")
    query = parsed.query
    top = MAX_GROUPS if query.top is None else min(query.top, MAX_GROUPS)
    caller = caller_of(request)
    groups = env.aggregate(resource.entity.name, apply, query.order_by, top, query.skip, caller)
    set_name = entity_set_name(resource.entity.name)
    shape = context_properties(env.model, resource.entity, apply)
    body = {
        "@odata.context": f"{service_root(request)}$metadata#{set_name}({shape})",
        "value": encode_groups(groups, _ieee754(request)),
    }
    return json_response(body)


def _page_query(query: Query, token: str | None, keyset: list[str] | None) -> Query:
    if keyset is not None and query.select is not None:
        query = replace(query, select=tuple(dict.fromkeys((*query.select, *keyset))))
    if token is None:
        return query
    after = after_token(query, token)
    where = after if query.where is None else query.where & after
    return replace(query, where=where, skip=None)


def _read_only_for_paging(query: Query, page_query: Query) -> set[str]:
    """Fields added to a $select only to build the next link."""
    if query.select is None or page_query.select is None:
        return set()
    return set(page_query.select) - set(query.select) - {RECORD_ID, "VersionNumber"}


def _without(encoded: dict[str, Any], names: set[str]) -> dict[str, Any]:
    if not names:
        return encoded
    return {k: v for k, v in encoded.items() if k not in names}


def _asked_page(request: Request) -> bool:
    return "odata.maxpagesize" in prefer(request)


def _page_size(request: Request) -> int:
    asked = prefer(request).get("odata.maxpagesize")
    if asked is None:
        return DEFAULT_PAGE
    if not (asked.isascii() and asked.isdigit()) or int(asked) < 1:
        raise ApiError(400, "InvalidPreference", "odata.maxpagesize takes a positive number")
    return min(int(asked), MAX_PAGE)


def _ieee754(request: Request) -> bool:
    return ieee754_asked(request.headers.get("accept", ""))


def ieee754_asked(accept: str) -> bool:
    """Whether an Accept header asks for IEEE754Compatible JSON (Int64, Decimal as strings)."""
    return "ieee754compatible=true" in accept.replace(" ", "").lower()


def key_condition(resource: Resource) -> Expr:
    """The filter that selects the record a keyed resource addresses."""
    assert resource.key is not None
    terms = [Path((name,)) == value for name, value in resource.key.items()]
    condition: Expr = terms[0]
    for term in terms[1:]:
        condition = condition & term
    return condition


def find_record(
    env: Environment, resource: Resource, caller: Caller, query: Query | None = None
) -> Record:
    """The record a keyed resource addresses, shaped by `query` (404 when there is none)."""
    base = query or Query(resource.entity.name)
    plain = base.select is None and not base.include and base.where is None
    if plain and resource.key is not None and list(resource.key) == [RECORD_ID]:
        return env.get(resource.entity.name, int(resource.key[RECORD_ID]), caller)  # point read
    found = env.query(replace(base, where=key_condition(resource), top=1, skip=None), caller)
    if not found:
        shown = ", ".join(f"{k}={v!r}" for k, v in (resource.key or {}).items())
        raise NotFoundError(f"{resource.entity.name} record", shown)
    return found[0]


def read_record(request: Request, env: Environment, resource: Resource) -> Response:
    """One record (or one of its properties); 304 when If-None-Match names its version."""
    parsed = parse_query_options(resource.entity, env.model, dict(request.query_params))
    record = find_record(env, resource, caller_of(request), parsed.query)
    version = int(record["VersionNumber"])
    matches = request.headers.get("if-none-match")
    if matches and not parsed.query.include and _etag_matches(matches, version):
        return Response(status_code=304, headers={"ETag": etag(version)})
    root = service_root(request)
    if resource.property is not None:
        value = json_value(record.get(resource.property), _ieee754(request))
        context = f"{root}$metadata#{entity_set_name(resource.entity.name)}"
        body = {"@odata.context": f"{context}({record[RECORD_ID]})/{resource.property}"}
        return json_response({**body, "value": value}, headers={"ETag": etag(version)})
    encoder = RecordEncoder(env.model, resource.entity, _ieee754(request))
    return json_response(record_document(root, encoder, record), headers={"ETag": etag(version)})


def record_document(root: str, encoder: RecordEncoder, record: Record) -> dict[str, Any]:
    """The JSON object of one record read by its key, under a service root."""
    context = f"{root}$metadata#{entity_set_name(encoder.entity.name)}/$entity"
    return {"@odata.context": context, **encoder.encode(record)}


def _etag_matches(header: str, version: int) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(version_of_etag(t) == version for t in tags)


TRACKING_REFUSES = ("$filter", "$orderby", "$expand", "$top", "$skip", "$apply", "$count")


def start_tracking(
    request: Request, env: Environment, resource: Resource, options: dict[str, str]
) -> Response:
    """Every record now, and a delta link that later returns what changed since this read."""
    refused = [name for name in TRACKING_REFUSES if name in options]
    if refused:
        message = f"odata.track-changes cannot be combined with {', '.join(refused)}"
        raise ApiError(400, "InvalidQuery", message)
    access = env.access(caller_of(request))
    select = _tracked_select(env, resource, options)
    with env.reading() as conn:
        token = current_position(env.db, conn)
        scan = env.reader.scan(conn, resource.entity.name, access=access, select=select)
        records = [r for batch in scan for r in batch]
    return _delta_page(request, env, resource, records, [], token, more=False)


def read_changes(
    request: Request, env: Environment, resource: Resource, options: dict[str, str]
) -> Response:
    """What changed after a delta token: changed records, then deleted-entity entries."""
    token_text = options["$deltatoken"]
    if not (token_text.isascii() and token_text.isdigit()):  # not '¹': int() refuses it
        raise ApiError(400, "InvalidDeltaToken", "$deltatoken is not one this service issued")
    changes = env.changes_since(
        resource.entity.name,
        int(token_text),
        _page_size(request),
        caller_of(request),
        _tracked_select(env, resource, options),
    )
    return _delta_page(
        request, env, resource, changes.changed, changes.deleted, changes.token, changes.more
    )


def _tracked_select(
    env: Environment, resource: Resource, options: dict[str, str]
) -> tuple[str, ...] | None:
    """The `$select` of a change-tracking read (the links it answers with carry it on)."""
    if "$select" not in options:
        return None
    return parse_query_options(
        resource.entity, env.model, {"$select": options["$select"]}
    ).query.select


def _delta_page(
    request: Request,
    env: Environment,
    resource: Resource,
    records: list[Record],
    deleted: list[Any],
    token: int,
    more: bool,
) -> Response:
    root = service_root(request)
    set_name = entity_set_name(resource.entity.name)
    encoder = RecordEncoder(env.model, resource.entity, _ieee754(request))
    value: list[dict[str, Any]] = [encoder.encode(r) for r in records]
    value += [
        {
            "@odata.context": f"{root}$metadata#{set_name}/$deletedEntity",
            "id": f"{root}{set_name}({stone.record_id})",
            "reason": "deleted",
            **({"key": stone.record_key} if stone.record_key else {}),
        }
        for stone in deleted
    ]
    body: dict[str, Any] = {"@odata.context": f"{root}$metadata#{set_name}/$delta", "value": value}
    kept = {k: v for k, v in request.query_params.items() if k == "$select"}
    link = f"{root}{set_name}?{urlencode({**kept, '$deltatoken': str(token)})}"
    body["@odata.nextLink" if more else "@odata.deltaLink"] = link
    return json_response(body, headers={"Preference-Applied": "odata.track-changes"})
