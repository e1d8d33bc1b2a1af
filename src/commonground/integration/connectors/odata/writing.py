"""Writing a batch to an entity set: upserts by key in one `$batch` change set, and deletes.

The records the batch names are read first, in one query per chunk of keys, so that those
whose given fields already hold the given values are UNCHANGED and never sent, and inserts
are told from updates. The rest go as `PATCH Set(key='v')` (an upsert by alternate key;
`If-Match: *` makes an update update-only) in one JSON `$batch` change set of at most 1,000
requests: atomic, and idempotent, so a change set re-sent after a lost answer does no harm.

When the change set fails, the failing request (the one the service answers with an error)
is reported as that record's failure and the set is sent again without it; when the service
does not say which request failed, or after too many rounds, the remaining records are sent
one request each, outside any change set, which isolates every failure.

Lookup fields carry the related record's key (its reference) and are written as
`Lookup@odata.bind: Target(key)`. Deletes go as DELETE requests outside a change set, so that
a record already gone (404) is UNCHANGED without failing the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from commonground.integration.connectors.files.columns import Column
from commonground.integration.connectors.odata.http import ODataHttp
from commonground.integration.connectors.odata.matching import rows_by_key
from commonground.integration.connectors.odata.metadata import EntitySet
from commonground.integration.connectors.odata.values import JSON_TYPE, json_value, key_segment
from commonground.integration.contracts import (
    ConnectorError,
    RecordFailure,
    RecordStatus,
    SchemaError,
    WriteMode,
    WriteOutcome,
)

MAX_REQUESTS = 1000  # per $batch (a common service limit)
MAX_ROUNDS = 5  # change sets re-sent without a failing request before isolating every record

Row = dict[str, Any]
Key = tuple[Any, ...]


@dataclass
class _Change:
    """One record to send: where it is in the batch, its URL and body, and what it does."""

    position: int
    url: str
    body: dict[str, Any]
    status: RecordStatus
    headers: dict[str, str] = field(default_factory=dict)


class SetWriter:
    """Writes to one entity set (see the module docstring)."""

    def __init__(
        self, http: ODataHttp, entity: EntitySet, target: Callable[[str], EntitySet]
    ) -> None:
        self.http = http
        self.entity = entity
        self.target = target
        self.name = entity.info.name

    def property(self, name: str) -> str:
        """A property's spelling at the service (SchemaError when there is none)."""
        wanted = name.lower()
        found = next((p for p in self.entity.kinds if p.lower() == wanted), None)
        if found is None:
            raise SchemaError(f"{self.name} has no property '{name}'")
        return found

    def convert(self, name: str, value: Any) -> Any:
        """A given value as the property's kind (ValueError says why it is not one)."""
        return Column(name, self.entity.kinds[name]).convert(value)

    # -- upserts ---------------------------------------------------------------------------

    def write(self, records: Sequence[Row], key: Sequence[str], mode: WriteMode) -> WriteOutcome:
        """One batch, as the module docstring says."""
        names = [self.property(k) for k in key]
        outcome = WriteOutcome([RecordStatus.FAILED] * len(records), [], [None] * len(records))
        prepared = self._prepare_all(records, names, outcome.failures)
        selected = list(dict.fromkeys(n for _, values, _ in prepared.values() for n in values))
        existing = self._existing(names, list(prepared), selected)
        changes = self._changes(names, prepared, existing, mode, outcome)
        for start in range(0, len(changes), MAX_REQUESTS):
            self._send(changes[start : start + MAX_REQUESTS], outcome)
        outcome.failures.sort(key=lambda f: f.position)
        return outcome

    def _prepare_all(
        self, records: Sequence[Row], names: list[str], failures: list[RecordFailure]
    ) -> dict[Key, tuple[int, Row, dict[str, Any]]]:
        """(position, typed values, body) by key value; records that cannot go are failures."""
        prepared: dict[Key, tuple[int, Row, dict[str, Any]]] = {}
        for position, record in enumerate(records):
            try:
                values, body = self._prepared(record)
                key_values = tuple(values.get(n) for n in names)
                missing = [n for n, v in zip(names, key_values, strict=True) if v is None]
                if missing:
                    raise _RecordError(missing[0], f"no value for key field {missing[0]}")
                if key_values in prepared:
                    message = f"{_shown(names, key_values)} appears twice in the batch"
                    raise _RecordError(None, message)
            except _RecordError as exc:
                failures.append(RecordFailure(position, exc.field, str(exc)))
                continue
            prepared[key_values] = (position, values, body)
        return prepared

    def _changes(
        self,
        names: list[str],
        prepared: dict[Key, tuple[int, Row, dict[str, Any]]],
        existing: dict[Key, Row],
        mode: WriteMode,
        outcome: WriteOutcome,
    ) -> list[_Change]:
        """The requests to send; UNCHANGED records (and updates of missing ones) settled here."""
        assert outcome.stamps is not None
        changes: list[_Change] = []
        for key_values, (position, values, body) in prepared.items():
            stored = existing.get(key_values)
            url = key_segment(self.name, names, key_values)
            if stored is not None and (mode is WriteMode.INSERT or self._same(values, stored)):
                outcome.statuses[position] = RecordStatus.UNCHANGED
                outcome.stamps[position] = _etag(stored)
            elif stored is not None:
                changes.append(
                    _Change(position, url, body, RecordStatus.UPDATED, {"If-Match": "*"})
                )
            elif mode is WriteMode.UPDATE:
                message = f"no record has {_shown(names, key_values)}: nothing to update"
                outcome.failures.append(RecordFailure(position, None, message))
            else:  # a plain upsert: a change set retried after a lost answer stays harmless
                changes.append(_Change(position, url, body, RecordStatus.INSERTED))
        return changes

    def _prepared(self, record: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        """The typed values by property (lookups by their constrained property) and the body."""
        values: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for name, value in record.items():
            lookup = self.entity.lookup(name)
            if lookup is not None:
                values[lookup.value_property] = value
                if value is None:
                    body[f"{lookup.name}@odata.bind"] = None  # unbinds, as on Dataverse
                else:
                    related = self.target(lookup.target)
                    reference = value if isinstance(value, tuple) else (value,)
                    body[f"{lookup.name}@odata.bind"] = key_segment(
                        related.info.name, related.key, reference
                    )
                continue
            prop = self.property(name)
            try:
                values[prop] = self.convert(prop, value)
            except ValueError as exc:
                raise _RecordError(name, f"{name}: {exc}") from None
            body[prop] = json_value(values[prop])
        return values, body

    def _existing(self, names: list[str], keys: list[Key], select: list[str]) -> dict[Key, Row]:
        """The stored records with these keys, typed, by key."""
        wanted = dict.fromkeys([*names, *select, *self.entity.key])
        params = {"$select": ",".join(wanted)}
        found: dict[Key, Row] = {}
        for row in rows_by_key(self.http, self.name, names, keys, params):
            typed = {n: self.convert(n, row.get(n)) for n in wanted if n in self.entity.kinds}
            typed["@odata.etag"] = row.get("@odata.etag")
            found.setdefault(tuple(typed.get(n) for n in names), typed)
        return found

    @staticmethod
    def _same(values: dict[str, Any], stored: Row) -> bool:
        return all(stored.get(n) == v for n, v in values.items())

    def _send(self, changes: list[_Change], outcome: WriteOutcome) -> None:
        rounds = 0
        while changes:
            answers = self._batch(changes, atomic=True)
            refused = {
                c.position: a
                for c, a in zip(changes, answers, strict=True)
                if a and a["status"] >= 400
            }
            if not refused and all(a is not None for a in answers):
                for change, answer in zip(changes, answers, strict=True):
                    _done(change, answer or {}, outcome)
                return
            rounds += 1
            if not refused or rounds > MAX_ROUNDS:
                self._one_by_one(changes, outcome)
                return
            for position, answer in refused.items():
                outcome.failures.append(self._failure(position, answer))
            changes = [c for c in changes if c.position not in refused]

    def _one_by_one(self, changes: list[_Change], outcome: WriteOutcome) -> None:
        for change, answer in zip(changes, self._batch(changes, atomic=False), strict=True):
            if answer is not None and answer["status"] < 400:
                _done(change, answer, outcome)
            else:
                outcome.failures.append(self._failure(change.position, answer))

    def _batch(self, changes: list[_Change], atomic: bool) -> list[dict[str, Any] | None]:
        """The answer to each change (None when the service sent none for it)."""
        requests = []
        for number, change in enumerate(changes):
            request: dict[str, Any] = {
                "id": str(number),
                "method": "PATCH",
                "url": change.url,
                "headers": {"Content-Type": JSON_TYPE, **change.headers},
                "body": change.body,
            }
            if atomic:
                request["atomicityGroup"] = "changes"
            requests.append(request)
        return self._post_batch(requests)

    def _post_batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
        response = self.http.send(
            "POST",
            "$batch",
            headers={"Content-Type": "application/json"},
            content=orjson.dumps({"requests": requests}),
        )
        try:
            answers = response.json()["responses"]
        except (ValueError, KeyError, TypeError):
            raise ConnectorError(
                f"{self.name}: the service's $batch answer is not OData JSON"
            ) from None
        by_id = {str(a.get("id")): a for a in answers if isinstance(a, dict)}
        return [by_id.get(str(r["id"])) for r in requests]

    # -- deletes ---------------------------------------------------------------------------

    def delete(self, keys: Sequence[Row]) -> WriteOutcome:
        """DELETE each record by key, outside any change set (404 is UNCHANGED)."""
        statuses = [RecordStatus.FAILED] * len(keys)
        failures: list[RecordFailure] = []
        requests: list[dict[str, Any]] = []
        positions: list[int] = []
        for position, given in enumerate(keys):
            try:
                names = [self.property(n) for n in given]
                values = [self.convert(n, v) for n, v in zip(names, given.values(), strict=True)]
            except ValueError as exc:
                failures.append(RecordFailure(position, None, str(exc)))
                continue
            positions.append(position)
            requests.append(
                {
                    "id": str(len(requests)),
                    "method": "DELETE",
                    "url": key_segment(self.name, names, values),
                }
            )
        for start in range(0, len(requests), MAX_REQUESTS):
            chunk = requests[start : start + MAX_REQUESTS]
            for position, answer in zip(
                positions[start : start + MAX_REQUESTS], self._post_batch(chunk), strict=True
            ):
                status = answer["status"] if answer else 0
                if status == 404:
                    statuses[position] = RecordStatus.UNCHANGED
                elif 200 <= status < 300:
                    statuses[position] = RecordStatus.DELETED
                else:
                    failures.append(self._failure(position, answer))
        return WriteOutcome(statuses, sorted(failures, key=lambda f: f.position))

    def _failure(self, position: int, answer: dict[str, Any] | None) -> RecordFailure:
        """A record's failure as the service explained it, secrets masked."""
        failure = _failure(position, answer)
        return RecordFailure(failure.position, failure.field, self.http.mask(failure.message))


class _RecordError(Exception):
    """Why one record cannot be written, and the field at fault."""

    def __init__(self, name: str | None, message: str) -> None:
        super().__init__(message)
        self.field = name


def _done(change: _Change, answer: dict[str, Any], outcome: WriteOutcome) -> None:
    """A change the service made: its status, and the ETag it answered as the stamp."""
    assert outcome.stamps is not None
    outcome.statuses[change.position] = change.status
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    body = answer.get("body")
    etag = headers.get("etag") or (body.get("@odata.etag") if isinstance(body, dict) else None)
    outcome.stamps[change.position] = str(etag) if etag else None


def _shown(names: Sequence[str], values: Key) -> str:
    """Key values as a person reads them: AccountId='A-1'."""
    return ", ".join(f"{n}={v!r}" for n, v in zip(names, values, strict=True))


def _etag(row: Row) -> str | None:
    etag = row.get("@odata.etag")
    return str(etag) if etag else None


def _failure(position: int, answer: dict[str, Any] | None) -> RecordFailure:
    """A record's failure from the service's answer to its request (its own message)."""
    if answer is None:
        return RecordFailure(position, None, "the service did not answer this record's request")
    body = answer.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return RecordFailure(position, None, f"HTTP {answer.get('status')}")
    details = error.get("details") or []
    detail = details[0] if details and isinstance(details[0], dict) else {}
    target = detail.get("target") or error.get("target")
    message = detail.get("message") or error.get("message") or f"HTTP {answer.get('status')}"
    return RecordFailure(position, str(target) if target else None, str(message))
