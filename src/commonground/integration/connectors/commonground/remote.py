"""An environment served by `commonground serve`, through the remote SDK's HTTP backend.

Reads reuse the SDK (`$filter` printed from the same query plans, next links followed, delta
links for change tracking); the queries that list key values or RecordIds go together as the
GETs of one `$batch`, a round trip for all of them, with no URL length to keep under. A write
batch goes to the bulk actions (CreateMultiple or UpsertMultiple), one per 1,000 records, in
one `$batch` change set: one transaction. The API writes all of it or nothing and lists the
failing targets, so those are reported and the change set is sent again without them; the
versions written are then read back, when the caller needs them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from commonground.errors import NotFoundError, RecordError
from commonground.integration.connectors.commonground.access import translated_errors
from commonground.integration.connectors.commonground.matching import (
    key_tuple,
    records_by_key,
)
from commonground.integration.connectors.commonground.settings import CommonGroundSettings
from commonground.integration.connectors.oauth import ClientCredentialsAuth
from commonground.integration.contracts import (
    AuthenticationFailedError,
    ConnectionFailedError,
    ConnectorError,
    SchemaError,
)
from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.odata.naming import entity_set_name
from commonground.query.plan import Order, Query
from commonground.sdk.backend import DeleteOp
from commonground.sdk.odata_text import Printer, literal_text
from commonground.sdk.remote import RemoteBackend, remote_error
from commonground.service.codec import Record
from commonground.service.reads import ChangeSet
from commonground.service.writes import Outcome, WriteMode, WriteResult

MAX_TARGETS = 1000  # per bulk action request (api/bulk.py)
MAX_DELETES = 1000  # per $batch request (api/batch.py)
MAX_REQUESTS = 1000  # per $batch (api/batch.py)


class RemoteAccess:
    """Reads and writes over the OData API of one environment."""

    id_chunk = 1000  # values per query: such queries go in a $batch body, not in a URL

    def __init__(self, settings: CommonGroundSettings) -> None:
        assert settings.url is not None
        self._base = settings.url.rstrip("/")
        secret = settings.client_secret
        self._secrets = [secret.get_secret_value()] if secret else []
        auth = None
        if settings.token_url and settings.client_id and secret:
            auth = ClientCredentialsAuth(settings.token_url, settings.client_id, secret)
        self._http = httpx.Client(
            timeout=60, auth=auth, event_hooks={"response": [_refusals(settings.token_url)]}
        )
        try:
            with self._translated():
                try:
                    self._backend = RemoteBackend(self._base, settings.environment, self._http)
                except NotFoundError:
                    raise SchemaError(
                        f"environment '{settings.environment}' does not exist at {self._base}"
                    ) from None
        except BaseException:
            self._http.close()
            raise

    @property
    def model(self) -> DataModel:
        """The environment's model, as the server described it when the connection opened."""
        return self._backend.model

    @contextmanager
    def _translated(self) -> Iterator[None]:
        with translated_errors(self._secrets):
            try:
                yield
            except httpx.TransportError as exc:
                message = f"cannot reach {self._base}: {type(exc).__name__}: {exc}"
                raise ConnectionFailedError(message) from None
            except ValueError as exc:  # not JSON: the URL names no Common Ground server
                message = f"{self._base} did not answer as a Common Ground server: {exc}"
                raise ConnectorError(message) from None

    def query(self, query: Query) -> list[Record]:
        """Records a query plan selects, every page of them."""
        with self._translated():
            return self._backend.query(query)

    def query_many(self, queries: Sequence[Query]) -> list[Record]:
        """Records several query plans select: their GETs go in one `$batch` (per 1,000), so
        a long filter travels in the request body; further pages follow next links."""
        found: list[Record] = []
        for start in range(0, len(queries), MAX_REQUESTS):
            chunk = queries[start : start + MAX_REQUESTS]
            requests = [
                {"id": str(number), "method": "GET", "url": self._query_url(query)}
                for number, query in enumerate(chunk)
            ]
            with self._translated():
                answers = self._batch(requests)
                for query, answer in zip(chunk, answers, strict=True):
                    if answer["status"] >= 400:
                        raise remote_error(answer["status"], answer.get("body") or {})
                    found += self._pages(self.model.entity(query.entity), answer["body"])
        return found

    def _query_url(self, query: Query) -> str:
        """A query plan as a URL relative to the service root."""
        entity = self.model.entity(query.entity)
        options = Printer(self.model, entity).options(query)
        return f"{entity_set_name(entity.name)}?{urlencode(options, quote_via=quote)}"

    def _batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers to one `$batch` of requests, in their order."""
        response = self._http.post(f"{self._backend.root}$batch", json={"requests": requests})
        if response.status_code >= 400:
            raise remote_error(response.status_code, response.json())
        answers: list[dict[str, Any]] = response.json()["responses"]
        return sorted(answers, key=lambda a: int(a["id"]))

    def _pages(self, entity: Entity, page: dict[str, Any]) -> list[Record]:
        """The records of a page and of the pages its next links lead to."""
        records = [self._backend.decode(entity, item) for item in page["value"]]
        link = page.get("@odata.nextLink")
        while link:
            response = self._http.get(link, headers={"Accept": "application/json"})
            if response.status_code >= 400:
                raise remote_error(response.status_code, response.json())
            page = response.json()
            records += [self._backend.decode(entity, item) for item in page["value"]]
            link = page.get("@odata.nextLink")
        return records

    def changes_since(self, entity: str, token: int, limit: int) -> ChangeSet:
        """One page of changes, through the delta link of the entity set."""
        with self._translated():
            return self._backend.changes_since(entity, token, limit)

    def current_token(self, entity: str) -> int:
        """The entity's highest VersionNumber (0 when it is empty).

        Writers commit in the order of the positions they take, so every change of the entity
        not yet committed, and every later one, gets a greater position.
        """
        top = Query(entity, select=(VERSION,), order_by=(Order(VERSION, True),), top=1)
        newest = self.query(top)
        return int(newest[0][VERSION]) if newest else 0

    def write(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        mode: WriteMode,
        key: list[str],
        versions: bool = True,
    ) -> WriteResult:
        """Bulk actions per 1,000 records; failing targets are reported and left out."""
        definition = self.model.entity(entity)
        size = len(records)
        result = WriteResult([Outcome.FAILED] * size, [None] * size, [None] * size)
        positions = list(range(size))
        if mode is WriteMode.UPDATE:
            positions = self._existing(definition, records, key or _primary(definition), result)
        chunks = [positions[i : i + MAX_TARGETS] for i in range(0, len(positions), MAX_TARGETS)]
        self._send(definition, records, chunks, mode, key, result)
        if versions:
            result.versions = self._versions(definition, result.record_ids)
        result.errors.sort(key=lambda e: e.index)
        return result

    def _existing(
        self,
        entity: Entity,
        records: Sequence[dict[str, Any]],
        key: list[str],
        result: WriteResult,
    ) -> list[int]:
        """Positions of the records an update finds; the others fail."""
        tuples = [key_tuple(_canonical(entity, r), key) for r in records]
        wanted = [t for t in set(tuples) if None not in t]
        found = records_by_key(self, entity, key, wanted, (RECORD_ID,))
        stored = {key_tuple(r, key) for r in found}
        for position, values in enumerate(tuples):
            if values not in stored:
                shown = ", ".join(f"{f}={v!r}" for f, v in zip(key, values, strict=True))
                message = f"no {entity.name} record has {shown}"
                result.errors.append(RecordError(position, key[0], message, "NotFound"))
        return [p for p, values in enumerate(tuples) if values in stored]

    def _send(
        self,
        entity: Entity,
        records: Sequence[dict[str, Any]],
        chunks: list[list[int]],
        mode: WriteMode,
        key: list[str],
        result: WriteResult,
    ) -> None:
        """One `$batch` change set of bulk actions, sent again without the failing targets.

        A change set stops at its first failing action, which lists every failing target of
        its chunk; so each round either commits the whole batch or removes failing targets.
        """
        action = "CreateMultiple" if mode is WriteMode.CREATE else "UpsertMultiple"
        url = f"{entity_set_name(entity.name)}/CommonGround.{action}"
        keyed = mode is not WriteMode.CREATE and bool(key) and key != [RECORD_ID]
        match = key if keyed else []
        chunks = [c for c in chunks if c]
        while chunks:
            requests = [
                {
                    "id": str(number),
                    "method": "POST",
                    "url": url,
                    "headers": {"Content-Type": "application/json"},
                    "body": {"Targets": [self._target(entity, records[p], match) for p in chunk]},
                    "atomicityGroup": "batch",
                }
                for number, chunk in enumerate(chunks)
            ]
            with self._translated():
                answers = self._batch(requests)
            refused = next((a for a in answers if a["status"] >= 400), None)
            if refused is None:
                for chunk, answer in zip(chunks, answers, strict=True):
                    body = answer["body"]
                    for position, record_id, outcome in zip(
                        chunk, body["Ids"], body["Outcomes"], strict=True
                    ):
                        result.record_ids[position] = record_id
                        result.outcomes[position] = Outcome(outcome)
                return
            chunk = chunks[int(refused["id"])]
            failed = _failures(refused["status"], refused.get("body") or {}, chunk)
            result.errors.extend(failed)
            gone = {e.index for e in failed}
            chunk[:] = [p for p in chunk if p not in gone]
            chunks = [c for c in chunks if c]

    def _target(self, entity: Entity, record: dict[str, Any], key: list[str]) -> dict[str, Any]:
        target = self._backend.encode(entity, record)
        if key:
            values = key_tuple(_canonical(entity, record), key)
            text = ",".join(f"{f}={literal_text(v)}" for f, v in zip(key, values, strict=True))
            target["@odata.id"] = f"{entity_set_name(entity.name)}({text})"
        return target

    def _versions(self, entity: Entity, ids: Sequence[int | None]) -> list[int | None]:
        wanted = [(i,) for i in sorted({i for i in ids if i is not None})]
        found = records_by_key(self, entity, [RECORD_ID], wanted, (VERSION,))
        versions = {r[RECORD_ID]: r[VERSION] for r in found}
        return [None if i is None else versions.get(i) for i in ids]

    def delete(self, entity: str, record_ids: Sequence[int]) -> int:
        """Delete records in one atomic `$batch` per 1,000."""
        deleted = 0
        for start in range(0, len(record_ids), MAX_DELETES):
            chunk = list(record_ids[start : start + MAX_DELETES])
            with self._translated():
                answer = self._backend.execute([DeleteOp(entity, chunk)])
            deleted += int(answer[0])  # type: ignore[arg-type]
        return deleted

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()


def _failures(status: int, body: Any, pending: list[int]) -> list[RecordError]:
    """The failing targets of a refused bulk request, at their positions in the batch.

    Any other refusal (the whole request, not some targets) is raised as the SDK would.
    """
    error = body.get("error", {}) if isinstance(body, dict) else {}
    details = error.get("details") or [] if isinstance(error, dict) else []
    failed = [
        RecordError(
            pending[int(d["index"])],
            d.get("field") or None,
            str(d.get("message", "")),
            str(d.get("code", "")),
        )
        for d in details
        if isinstance(d, dict) and isinstance(d.get("index"), int) and d["index"] < len(pending)
    ]
    if status != 400 or not failed:
        with translated_errors():
            raise remote_error(status, body)
    return failed


def _canonical(entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
    """A record with field names spelled as the model spells them."""
    out = {}
    for name, value in record.items():
        field = entity.field_or_none(name)
        out[field.name if field else name] = value
    return out


def _primary(entity: Entity) -> list[str]:
    return list(entity.primary_key or (RECORD_ID,))


def _refusals(token_url: str | None) -> Callable[[httpx.Response], None]:
    """A response hook: a 401 or 403 from the server means the credentials were refused
    (terminal); the token endpoint's own answers are judged by the token flow."""

    def refuse(response: httpx.Response) -> None:
        if token_url is None or str(response.request.url) != token_url:
            _refuse_unauthorized(response)

    return refuse


def _refuse_unauthorized(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        response.close()
        raise AuthenticationFailedError(
            f"{response.request.url.host} refused the credentials (HTTP {response.status_code})"
        )
