"""The bulk actions CreateMultiple and UpsertMultiple, as in the Dataverse Web API.

    POST Accounts/CommonGround.CreateMultiple   {"Targets": [{...}, ...]}  ->  {"Ids": [...]}
    POST Accounts/CommonGround.UpsertMultiple   {"Targets": [{...}, ...]}  ->  {"Ids": [...]}

Up to 1,000 targets per request, written in one transaction by one batch write of the service
(not one insert per record): all of them, or, when any target is invalid, none, with a 400
that lists every failing target (index, field, message). UpsertMultiple matches a target by
its RecordId when it gives one, by the alternate key named in its `@odata.id`
(`Accounts(AccountId='A-1')`) when it has one, else by the entity's primary key.

Lookups bound with `X@odata.bind` are resolved for the whole request at once: RecordIds need
no read, alternate keys on one text field are read with one query per entity and key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from commonground.api.errors import ApiError
from commonground.api.payloads import json_response, service_root
from commonground.api.resources import split_key_url
from commonground.api.writing import writing
from commonground.errors import (
    CommonGroundError,
    NotFoundError,
    RecordError,
    RecordValidationError,
)
from commonground.model.entity import RECORD_ID, Entity
from commonground.model.types import Storage
from commonground.odata.json_format import BodyDecoder
from commonground.odata.keys import parse_key
from commonground.odata.naming import NAMESPACE, entity_for_set
from commonground.query.expressions import Path
from commonground.query.plan import Query
from commonground.security.caller import Caller
from commonground.service.environment import Environment, Transaction
from commonground.service.writes import WriteMode

MAX_TARGETS = 1000
PENDING = -1  # a bound lookup's value until the bind is resolved


class _Binds:
    """The `@odata.bind` URLs of a request's targets, resolved together."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.pending: list[tuple[int, str, str]] = []  # (target index, lookup field, URL)

    def note(self, url: str, index: int, field: str) -> int:
        self.pending.append((index, field, url))
        return PENDING

    def resolve(
        self, tx: Transaction, records: list[dict[str, Any]], errors: list[RecordError]
    ) -> None:
        """Fill each bound lookup with its RecordId, or add an error for the target."""
        ids: dict[str, int | None] = {}
        parsed: dict[str, tuple[Entity, dict[str, Any]] | str] = {}
        for index, field, url in self.pending:
            if url not in parsed:
                parsed[url] = self._parse(url)
            found = parsed[url]
            if isinstance(found, str):
                errors.append(RecordError(index, field, found, "InvalidBind"))
        self._read(tx, {u: p for u, p in parsed.items() if not isinstance(p, str)}, ids)
        for index, field, url in self.pending:
            if isinstance(parsed[url], str):
                continue
            record_id = ids.get(url)
            if record_id is None:
                errors.append(RecordError(index, field, f"'{url}' names no record", "NotFound"))
            else:
                records[index][field] = record_id

    def _parse(self, url: str) -> tuple[Entity, dict[str, Any]] | str:
        try:
            set_name, key_text = split_key_url(url)
            target = entity_for_set(self.env.model, set_name)
            if target is None or key_text is None:
                return f"'{url}' names no record: use Set(<key>)"
            return target, parse_key(target, self.env.model, key_text)
        except (ApiError, CommonGroundError) as exc:
            return f"'{url}': {exc}"

    def _read(
        self,
        tx: Transaction,
        keys: dict[str, tuple[Entity, dict[str, Any]]],
        ids: dict[str, int | None],
    ) -> None:
        """RecordIds of the bound records: one query per entity and single text key field."""
        grouped: dict[tuple[str, str], dict[Any, list[str]]] = {}
        rest: list[str] = []
        for url, (entity, key) in keys.items():
            if list(key) == [RECORD_ID]:
                ids[url] = int(key[RECORD_ID])
                continue
            field = entity.field_or_none(next(iter(key))) if len(key) == 1 else None
            if field is None or field.storage is not Storage.STRING:
                rest.append(url)
                continue
            value = next(iter(key.values()))
            grouped.setdefault((entity.name, field.name), {}).setdefault(value, []).append(url)
        for (entity_name, field_name), by_value in grouped.items():
            values = list(by_value)
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                query = Query(
                    entity_name,
                    select=(RECORD_ID, field_name),
                    where=Path((field_name,)).in_(chunk),
                )
                for record in tx.query(query):
                    for url in by_value.get(record.get(field_name), []):
                        ids[url] = int(record[RECORD_ID])
            rest += [u for urls in by_value.values() for u in urls if u not in ids]
        for url in rest:
            entity, key = keys[url]
            try:
                ids[url] = int(tx.get_by_key(entity.name, key)[RECORD_ID])
            except NotFoundError:
                ids[url] = None


def _targets(body: Any) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("Targets"), list):
        raise ApiError(400, "InvalidBody", 'a bulk action takes {"Targets": [{...}, ...]}')
    targets: list[Any] = body["Targets"]
    if len(targets) > MAX_TARGETS:
        message = f"at most {MAX_TARGETS} targets per request, got {len(targets)}"
        raise ApiError(400, "TooManyTargets", message)
    return targets


def _decode(
    env: Environment, entity: Entity, targets: list[Any], binds: _Binds
) -> tuple[list[dict[str, Any]], list[RecordError]]:
    """Records of the targets (binds still pending) and the targets' errors."""
    decoder = BodyDecoder(env.model, entity)
    records: list[dict[str, Any]] = []
    errors: list[RecordError] = []
    for index, target in enumerate(targets):
        try:
            record, children = decoder.decode(target, index, binds.note)
        except RecordValidationError as exc:
            errors += exc.errors
            records.append({})
            continue
        for name in children or ():
            message = f"{name}: a bulk action does not insert lines; create them separately"
            errors.append(RecordError(index, name, message, "DeepInsertNotSupported"))
        records.append(record)
    return records, errors


def _failed(entity: Entity, errors: list[RecordError]) -> ApiError:
    ordered = sorted(errors, key=lambda e: e.index)
    details = [
        {
            "index": e.index,
            "field": e.field,
            "target": e.field or "",
            "code": e.code,
            "message": e.message,
            **({"key": e.record_key} if e.record_key else {}),
        }
        for e in ordered
    ]
    count = len({e.index for e in ordered})
    message = f"{count} target(s) of {entity.name} are invalid; nothing was written"
    return ApiError(400, "InvalidTargets", message, details=details)


def _answer(
    request: Request, name: str, written: tuple[list[int | None], list[str | None]]
) -> Response:
    """`Ids` as Dataverse answers, plus each target's outcome (inserted, updated or
    unchanged), which an integration needs to count what it changed."""
    context = f"{service_root(request)}$metadata#{NAMESPACE}.{name}Response"
    ids, outcomes = written
    return json_response({"@odata.context": context, "Ids": ids, "Outcomes": outcomes})


def create_multiple(
    request: Request,
    env: Environment,
    entity: Entity,
    body: Any,
    caller: Caller,
    tx: Transaction | None = None,
) -> Response:
    """Create every target in one batch write, or none of them."""
    targets = _targets(body)
    binds = _Binds(env)
    records, errors = _decode(env, entity, targets, binds)
    with writing(env, caller, tx) as t:
        binds.resolve(t, records, errors)
        groups: list[tuple[list[str] | None, list[int]]] = [(None, list(range(len(records))))]
        written = _write(t, entity, WriteMode.CREATE, records, groups, errors)
    return _answer(request, "CreateMultiple", written)


def _write(
    tx: Transaction,
    entity: Entity,
    mode: WriteMode,
    records: list[dict[str, Any]],
    groups: list[tuple[list[str] | None, list[int]]],
    errors: list[RecordError],
) -> tuple[list[int | None], list[str | None]]:
    """One batch write per group of targets matched alike (usually one); 400 if any fails.

    When some targets already failed, the others are still checked (their errors are wanted
    in the answer), then the error rolls the transaction back.
    """
    ids: list[int | None] = [None] * len(records)
    outcomes: list[str | None] = [None] * len(records)
    for key, positions in groups:
        failed = {e.index for e in errors}
        chosen = [p for p in positions if p not in failed]
        if not chosen:
            continue
        rows = [records[p] for p in chosen]
        try:
            result = tx.write(entity.name, rows, mode, key, skip_errors=bool(failed))
        except RecordValidationError as exc:
            errors += [_moved(e, chosen) for e in exc.errors]
            continue
        errors += [_moved(e, chosen) for e in result.errors]
        for p, record_id, outcome in zip(chosen, result.record_ids, result.outcomes, strict=True):
            ids[p], outcomes[p] = record_id, outcome.value
    if errors:
        raise _failed(entity, errors)
    return ids, outcomes


def _moved(error: RecordError, positions: list[int]) -> RecordError:
    """An error of a written subset, at the target's index in the request."""
    index = positions[error.index]
    return RecordError(index, error.field, error.message, error.code, error.record_key)


def _match_of(
    env: Environment, entity: Entity, target: Any, record: dict[str, Any], index: int
) -> tuple[str, ...] | RecordError:
    """The fields a target is matched by, with the key of its `@odata.id` merged in."""
    odata_id = target.get("@odata.id") if isinstance(target, dict) else None
    if isinstance(odata_id, str):
        try:
            set_name, key_text = split_key_url(odata_id)
            named = entity_for_set(env.model, set_name)
            if key_text is None or named is None or named.name != entity.name:
                raise ApiError(400, "InvalidId", f"names no {entity.name} record")
            key = parse_key(entity, env.model, key_text)
        except (ApiError, CommonGroundError) as exc:
            return RecordError(index, "@odata.id", f"'{odata_id}': {exc}", "InvalidId")
        record.update(key)
        return tuple(key)
    if any(name.lower() == RECORD_ID.lower() for name in record):
        return (RECORD_ID,)
    if entity.primary_key:
        return tuple(entity.primary_key)
    message = f"{entity.name} has no primary key: give a RecordId or an @odata.id with a key"
    return RecordError(index, None, message, "MissingKey")


def upsert_multiple(
    request: Request,
    env: Environment,
    entity: Entity,
    body: Any,
    caller: Caller,
    tx: Transaction | None = None,
) -> Response:
    """Upsert every target (one batch write per kind of key, usually one), or none of them."""
    targets = _targets(body)
    binds = _Binds(env)
    records, errors = _decode(env, entity, targets, binds)
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, record in enumerate(records):
        match = _match_of(env, entity, targets[index], record, index)
        if isinstance(match, RecordError):
            errors.append(match)
        else:
            groups.setdefault(match, []).append(index)
    with writing(env, caller, tx) as t:
        binds.resolve(t, records, errors)
        keyed = [(None if m == (RECORD_ID,) else list(m), ps) for m, ps in groups.items()]
        written = _write(t, entity, WriteMode.UPSERT, records, keyed, errors)
    return _answer(request, "UpsertMultiple", written)


Handler = Callable[
    [Request, Environment, Entity, Any, Caller, Transaction | None],
    Response,
]
ACTIONS: dict[str, Handler] = {
    "CreateMultiple": create_multiple,
    "UpsertMultiple": upsert_multiple,
}
