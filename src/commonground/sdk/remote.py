"""The SDK over HTTP: the same `Client` interface, talking to `commonground serve`.

The model is read once from the metadata endpoint, so records come back with the same Python
types as in process (Decimal, date, datetime, UUID, picklist names, compound mappings).
Writes of one call or one batch are sent as one atomic `$batch` change set (bulk creates and
upserts of one entity set use CreateMultiple / UpsertMultiple), so a batch is still all or
nothing; service errors come back as the same exceptions the embedded SDK raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
from pydantic import SecretStr

from commonground.errors import (
    AlreadyExistsError,
    CommonGroundError,
    ConflictError,
    DefinitionError,
    ForbiddenError,
    NotFoundError,
    RecordError,
    RecordValidationError,
    ReferentialIntegrityError,
    StoreUnavailableError,
)
from commonground.integration.connectors.oauth import ClientCredentialsAuth, PasswordAuth
from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.model.field import Field
from commonground.model.picklist import Picklist
from commonground.model.types import Storage
from commonground.odata.json_format import etag
from commonground.odata.naming import entity_set_name
from commonground.query.plan import Query
from commonground.sdk.backend import DeleteOp, Operation, OpResult, WriteOp
from commonground.sdk.odata_text import Printer, literal_text
from commonground.service.codec import Record
from commonground.service.reads import ChangeSet
from commonground.service.writes import Outcome, WriteMode, WriteResult
from commonground.store.changes import Tombstone

PAGE = 5000


def signed_in(
    base_url: str,
    username: str | None,
    password: str | None,
    client_id: str | None,
    client_secret: str | None,
) -> httpx.Client:
    """An HTTP client that gets bearer tokens from the server's token endpoint."""
    token_url = f"{base_url.rstrip('/')}/oauth2/token"
    auth: httpx.Auth
    if username is not None and password is not None:
        auth = PasswordAuth(token_url, username, SecretStr(password))
    elif client_id is not None and client_secret is not None:
        auth = ClientCredentialsAuth(token_url, client_id, SecretStr(client_secret))
    else:
        raise DefinitionError(
            "sign in to a remote environment with username and password, "
            "or with client_id and client_secret"
        )
    return httpx.Client(timeout=60, auth=auth)


class RemoteBackend:
    """An environment served over HTTP."""

    def __init__(self, base_url: str, environment: str, http: httpx.Client | None = None) -> None:
        self.http = http or httpx.Client(timeout=60)
        base = base_url.rstrip("/")
        self.root = f"{base}/environments/{environment}/api/data/v1/"
        meta = self._json("GET", f"{base}/environments/{environment}/metadata")
        self.model = DataModel(
            [Entity.model_validate(e) for e in meta["entities"]],
            [Picklist.model_validate(p) for p in meta["picklists"]],
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    # -- transport -------------------------------------------------------------------------

    def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.http.request(method, url, **kwargs)
        if response.status_code >= 400:
            raise remote_error(response.status_code, response.json() if response.content else {})
        return response.json() if response.content else None

    def _url(self, entity: Entity) -> str:
        return self.root + entity_set_name(entity.name)

    # -- reads -----------------------------------------------------------------------------

    def query(self, query: Query) -> list[Record]:
        """Records a plan selects, following next links."""
        entity = self.model.entity(query.entity)
        params: dict[str, str] | None = Printer(self.model, entity).options(query)
        url: str | None = self._url(entity)
        out: list[Record] = []
        while url:
            page = self._json("GET", url, params=params, headers=_JSON)
            out += [self.decode(entity, item) for item in page["value"]]
            url, params = page.get("@odata.nextLink"), None
        return out

    def count(self, query: Query) -> int:
        """How many records the plan's filter matches."""
        entity = self.model.entity(query.entity)
        options = Printer(self.model, entity).options(Query(entity.name, where=query.where))
        response = self.http.get(self._url(entity) + "/$count", params=options)
        if response.status_code >= 400:
            raise remote_error(response.status_code, response.json())
        return int(response.text)

    def get(self, entity: str, record_id: int) -> Record:
        """One record by RecordId."""
        definition = self.model.entity(entity)
        return self.decode(definition, self._json("GET", f"{self._url(definition)}({record_id})"))

    def get_by_key(self, entity: str, key: dict[str, Any]) -> Record:
        """One record by alternate key."""
        definition = self.model.entity(entity)
        text = ",".join(f"{name}={literal_text(value)}" for name, value in key.items())
        return self.decode(definition, self._json("GET", f"{self._url(definition)}({text})"))

    def entity_names(self) -> list[str]:
        """Names of the entities."""
        return [e.name for e in self.model.entities]

    def changes_since(
        self, entity: str, token: int, limit: int, select: tuple[str, ...] | None = None
    ) -> ChangeSet:
        """Changes of one entity after a token, through delta links (with `$select`)."""
        definition = self.model.entity(entity)
        headers = {**_JSON, "Prefer": f"odata.maxpagesize={limit}"}
        params = {"$deltatoken": str(token)}
        if select is not None:
            params["$select"] = ",".join(select)
        page = self._json("GET", self._url(definition), params=params, headers=headers)
        changed, deleted = [], []
        for item in page["value"]:
            if item.get("reason") == "deleted":
                record_id = int(item["id"].rsplit("(", 1)[1].rstrip(")"))
                deleted.append(Tombstone(0, definition.name, record_id, item.get("key"), "", None))
            else:
                changed.append(self.decode(definition, item))
        link = page.get("@odata.nextLink") or page["@odata.deltaLink"]
        next_token = int(httpx.URL(link).params["$deltatoken"])
        return ChangeSet(changed, deleted, next_token, "@odata.nextLink" in page)

    # -- writes ----------------------------------------------------------------------------

    def execute(self, operations: Sequence[Operation]) -> list[OpResult]:
        """All operations in one atomic change set (one bulk action when that suffices)."""
        if len(operations) == 1 and isinstance(operations[0], WriteOp):
            bulk = self._bulk(operations[0])
            if bulk is not None:
                return [bulk]
        requests: list[dict[str, Any]] = []
        shapes: list[tuple[Operation, int]] = []
        for op in operations:
            made = self._requests(op, len(requests))
            shapes.append((op, len(made)))
            requests += made
        answer = self._json(
            "POST", self.root + "$batch", json={"requests": requests}, headers=_JSON
        )
        responses = answer["responses"]
        for response in responses:
            if response["status"] >= 400:
                raise remote_error(response["status"], response.get("body") or {})
        results: list[OpResult] = []
        position = 0
        for op, size in shapes:
            results.append(self._result(op, responses[position : position + size]))
            position += size
        return results

    def _bulk(self, op: WriteOp) -> WriteResult | None:
        versioned = any(VERSION in r for r in op.records)
        if op.mode is WriteMode.UPDATE or op.key is not None or not op.records or versioned:
            return None
        entity = self.model.entity(op.entity)
        action = "CreateMultiple" if op.mode is WriteMode.CREATE else "UpsertMultiple"
        targets = [self.encode(entity, r) for r in op.records]
        url = f"{self._url(entity)}/CommonGround.{action}"
        answer = self._json("POST", url, json={"Targets": targets}, headers=_JSON)
        outcomes = [Outcome(o) for o in answer["Outcomes"]]
        return WriteResult(outcomes, list(answer["Ids"]), [None] * len(outcomes))

    def _requests(self, op: Operation, first: int) -> list[dict[str, Any]]:
        entity = self.model.entity(op.entity)
        url = entity_set_name(entity.name)
        out: list[dict[str, Any]] = []
        if isinstance(op, DeleteOp):
            versions = op.versions or [None] * len(op.record_ids)
            for record_id, version in zip(op.record_ids, versions, strict=True):
                headers = {"If-Match": etag(version)} if version is not None else {}
                out.append({"method": "DELETE", "url": f"{url}({record_id})", "headers": headers})
        else:
            for record in op.records:
                out.append(self._write_request(entity, url, op, record))
        for number, request in enumerate(out):
            request["id"] = str(first + number + 1)
            request["atomicityGroup"] = "all"
        return out

    def _write_request(
        self, entity: Entity, url: str, op: WriteOp, record: dict[str, Any]
    ) -> dict[str, Any]:
        headers = {"Prefer": "return=representation", "Content-Type": "application/json"}
        body = self.encode(
            entity, {k: v for k, v in record.items() if k not in (RECORD_ID, VERSION)}
        )
        version = record.get(VERSION)
        if version is not None:
            headers["If-Match"] = etag(int(version))
        if op.mode is WriteMode.CREATE:
            return {"method": "POST", "url": url, "headers": headers, "body": body}
        target = self._key_text(entity, op, record)
        if op.mode is WriteMode.UPDATE and version is None:
            headers["If-Match"] = "*"
        return {"method": "PATCH", "url": f"{url}({target})", "headers": headers, "body": body}

    def _key_text(self, entity: Entity, op: WriteOp, record: dict[str, Any]) -> str:
        if record.get(RECORD_ID) is not None:
            return str(int(record[RECORD_ID]))
        key = entity.key_fields(op.key) if isinstance(op.key, str) else op.key
        fields = list(key or entity.primary_key or ())
        if not fields:
            raise RecordValidationError(
                entity.name, [RecordError(0, RECORD_ID, "a RecordId or key is needed")]
            )
        return ",".join(f"{f}={literal_text(record.get(f))}" for f in fields)

    def _result(self, op: Operation, responses: list[dict[str, Any]]) -> OpResult:
        if isinstance(op, DeleteOp):
            return len(responses)
        outcomes, ids, versions = [], [], []
        for response in responses:
            body = response.get("body") or {}
            outcomes.append(Outcome.INSERTED if response["status"] == 201 else Outcome.UPDATED)
            ids.append(body.get(RECORD_ID))
            versions.append(body.get(VERSION))
        return WriteResult(outcomes, ids, versions)

    # -- values ----------------------------------------------------------------------------

    def encode(self, entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
        """A record as a request body."""
        out: dict[str, Any] = {}
        for name, value in record.items():
            field = entity.field_or_none(name)
            key = f"_{field.name}_value" if field is not None and field.target else name
            out[key] = _plain(value)
        return out

    def decode(self, entity: Entity, item: dict[str, Any]) -> Record:
        """A response object as the record the embedded SDK would return."""
        record = Record()
        for key, value in item.items():
            if "@" in key:
                continue
            name = key[1:-6] if key.startswith("_") and key.endswith("_value") else key
            field = entity.field_or_none(name)
            if field is None:
                self._decode_related(entity, record, key, value)
                continue
            record[field.name] = _typed(field, value)
        return record

    def _decode_related(self, entity: Entity, record: Record, nav: str, value: Any) -> None:
        from commonground.odata.naming import child_collections

        for collection in child_collections(self.model, entity):
            if collection.name == nav:
                child = self.model.entity(collection.relationship.child)
                include = _include_name(self.model, entity, collection.relationship)
                record.related[include] = [self.decode(child, v) for v in value or []]
                return
        lookup = entity.field_or_none(nav)
        if lookup is not None and lookup.target:
            target = self.model.entity(lookup.target)
            record.related[lookup.name] = self.decode(target, value) if value else None


def _include_name(model: DataModel, entity: Entity, relationship: Any) -> str:
    from commonground.odata.properties import include_name

    return str(include_name(model, entity, relationship))


def _typed(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.is_compound:
        return {
            part.name: _typed(field.part_field(part), value.get(part.name)) for part in field.parts
        }
    storage = field.storage
    if storage is Storage.DECIMAL:
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-field.scale))
    if storage is Storage.DATE:
        return date.fromisoformat(value)
    if storage is Storage.DATETIME:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if storage is Storage.GUID:
        return UUID(value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_JSON = {"Accept": "application/json"}
STATUS_ERRORS: dict[int, type[CommonGroundError]] = {503: StoreUnavailableError}


def remote_error(status: int, body: Any) -> CommonGroundError:
    """The exception the embedded SDK would raise for an HTTP error answer."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    message = str(error.get("message", f"HTTP {status}"))
    code = str(error.get("code", ""))
    details = error.get("details") or []
    if status == 404:
        found = NotFoundError("Resource", message)
        found.args = (message,)
        return found
    if status == 403:
        refused = ForbiddenError("", "")
        refused.args = (message,)
        return refused
    if status == 412:
        conflict = ConflictError("record", 0, 0, None)
        conflict.args = (message,)
        return conflict
    if status == 409 and code == ReferentialIntegrityError.code:
        clash = ReferentialIntegrityError("record", 0, "", "")
        clash.args = (message,)
        return clash
    if status == 409:
        taken = AlreadyExistsError("Resource", message)
        taken.args = (message,)
        return taken
    if status == 400 and details:
        errors = [
            RecordError(
                int(d.get("index", 0)),
                d.get("target") or None,
                str(d.get("message", "")),
                str(d.get("code", "")),
            )
            for d in details
        ]
        return RecordValidationError("record", errors)
    return STATUS_ERRORS.get(status, CommonGroundError)(message)
