"""Full and incremental reads of one entity set, following `@odata.nextLink` page by page.

Three ways to read, in order of preference:

- Change tracking (the set advertises `Capabilities.ChangeTracking`): the first read asks for
  `Prefer: odata.track-changes` and ends with an `@odata.deltaLink`, which is the watermark;
  later reads get the delta link and receive changed records and deleted entries (OData 4.0
  `$deletedEntity` or 4.01 `@removed`), these as `Batch.deleted`. Delta requests cannot carry
  `$filter` or `$expand` on most services, so the source filter is evaluated on the records
  here (by the files connector's evaluator); with a `lookup.keyfield` field, or a filter that
  cannot be evaluated here (paths through lookups), the set is read as if it had no tracking.
- A cursor field (`cursors` setting): `(cursor gt X) or (cursor eq X and key gt K)` with the
  declared key as tie-breaker, ordered by both, so a watermark taken after any page resumes
  exactly after that page's last record.
- Otherwise a full read every time.

A watermark is stored only once its batch, and every batch before it, is committed; batches
that do not end a delta or full read carry the previous watermark, so a read stopped half-way
is repeated rather than resumed at a position that skips records.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from commonground.integration.connectors.files.columns import Column
from commonground.integration.connectors.files.filtering import compile_filter
from commonground.integration.connectors.odata.http import ODataHttp, ServiceError
from commonground.integration.connectors.odata.metadata import EntitySet
from commonground.integration.connectors.odata.projection import Projection, project, stamp_of
from commonground.integration.connectors.odata.values import json_value
from commonground.integration.contracts import (
    Batch,
    ConnectorError,
    FilterError,
    ReadRequest,
    ValueKind,
    Watermark,
)
from commonground.sdk.odata_text import literal_text

Row = dict[str, Any]
Predicate = Callable[[dict[str, Any]], bool]


class SetReader:
    """Reads of one entity set (see the module docstring)."""

    def __init__(
        self,
        http: ODataHttp,
        entity: EntitySet,
        target: Callable[[str], EntitySet],
        cursor: str | None,
        page_size: int,
    ) -> None:
        self.http = http
        self.entity = entity
        self.target = target
        self.cursor = cursor
        self.page_size = page_size
        self.name = entity.info.name
        self.with_stamps = True

    def read(self, request: ReadRequest) -> Iterator[Batch]:
        """The batches of one read request."""
        since = request.since or {}
        self.with_stamps = request.stamps
        size = max(1, min(request.batch_size, self.page_size))
        tracking = self.entity.info.change_tracking or "delta" in since
        usable, keep = self._tracking_filter(request) if tracking else (False, None)
        if usable and ("delta" in since or "cursor" not in since):
            shape = project(
                self.entity, request.fields, self.target, _named_in(self.entity, request.filter)
            )
            headers = {"Prefer": f"odata.track-changes,odata.maxpagesize={size}"}
            if "delta" in since:
                return self._pages(str(since["delta"]), None, headers, shape, keep, since, size)
            return self._pages(self.name, shape.params, headers, shape, keep, {}, size)
        if self.cursor is not None:
            return self._by_cursor(request, since, size)
        return self._full(request, since, size)

    # -- change tracking ---------------------------------------------------------------------

    def _tracking_filter(self, request: ReadRequest) -> tuple[bool, Predicate | None]:
        """Whether tracking can serve the request, and the filter then evaluated here.

        A delta watermark the request cannot use (its fields or filter changed) starts over
        with a read that does not track.
        """
        if any("." in f for f in request.fields or []):
            return False, None
        columns = [Column(name, kind) for name, kind in self.entity.kinds.items()]
        try:
            return True, compile_filter(self.name, columns, request.filter)
        except FilterError:
            return False, None  # a path through a lookup: let the service evaluate it

    def _pages(
        self,
        url: str,
        params: dict[str, str] | None,
        headers: dict[str, str],
        shape: Projection,
        keep: Predicate | None,
        since: Watermark,
        size: int,
    ) -> Iterator[Batch]:
        previous = dict(since)
        next_url: str | None = url
        while next_url is not None:
            body = self.http.get_json(next_url, params, headers)
            params = None  # a next link carries every option
            rows = [r for r in _rows(body) if not _is_deleted(r)]
            deleted = [self._deleted_key(r) for r in _rows(body) if _is_deleted(r)]
            next_url = body.get("@odata.nextLink")
            final: Watermark = (
                {"delta": body["@odata.deltaLink"]}
                if "@odata.deltaLink" in body
                else {"full": True}
            )
            chunks = _chunks(rows, size) or [[]]
            for number, chunk in enumerate(chunks):
                last = next_url is None and number == len(chunks) - 1
                batch = self._batch(chunk, shape, final if last else previous, keep)
                if last:
                    batch.deleted = deleted
                if batch.records or batch.deleted or last:
                    yield batch

    def _deleted_key(self, row: Row) -> dict[str, Any]:
        """The key values of a deleted entry: the properties it carries, else its id's key."""
        key: dict[str, Any] = {}
        nested = row.get("key")
        if isinstance(nested, dict):
            key.update(nested)
        key.update({k: v for k, v in row.items() if k in self.entity.kinds})
        if not any(k in key for k in self.entity.key):
            identifier = str(row.get("@id") or row.get("id") or row.get("@odata.id") or "")
            key.update(_key_of_id(identifier, self.entity.key))
        return {
            k: Column(k, self.entity.kinds.get(k, ValueKind.TEXT)).convert(v)
            for k, v in key.items()
        }

    # -- cursor and full reads ---------------------------------------------------------------

    def _by_cursor(self, request: ReadRequest, since: Watermark, size: int) -> Iterator[Batch]:
        assert self.cursor is not None
        cursor = project(self.entity, [self.cursor], self.target).select or ()
        order = [cursor[0], *self.entity.key]
        shape = project(self.entity, request.fields, self.target, extra=order)
        terms = [f"({request.filter})"] if request.filter else []
        if "cursor" in since:
            terms.append(f"({self._after(order, since)})")
        params = {**shape.params, "$orderby": ",".join(order)}
        if terms:
            params["$filter"] = " and ".join(terms)
        headers = {"Prefer": f"odata.maxpagesize={size}"}
        return self._ordered(params, headers, shape, order, request.filter, size)

    def _after(self, order: list[str], since: Watermark) -> str:
        """Records after a (cursor, key...) position, compared as a tuple."""
        try:
            values = [since["cursor"], *since["key"]]
        except (KeyError, TypeError):
            raise ConnectorError(
                f"the watermark {since!r} does not hold a position of {self.name}"
            ) from None
        typed = [
            Column(n, self.entity.kinds[n]).convert(v) for n, v in zip(order, values, strict=True)
        ]
        alternatives = []
        for depth, name in enumerate(order):
            equal = [_equals(order[i], typed[i]) for i in range(depth)]
            value = typed[depth]
            after = f"{name} ne null" if value is None else f"{name} gt {literal_text(value)}"
            alternatives.append(" and ".join([*equal, after]))
        return " or ".join(f"({a})" for a in alternatives)

    def _ordered(
        self,
        params: dict[str, str],
        headers: dict[str, str],
        shape: Projection,
        order: list[str],
        filter_text: str | None,
        size: int,
    ) -> Iterator[Batch]:
        next_url: str | None = self.name
        query: dict[str, str] | None = params
        while next_url is not None:
            body = self._get(next_url, query, headers, filter_text)
            query = None
            next_url = body.get("@odata.nextLink")
            for chunk in _chunks(_rows(body), size):
                last = chunk[-1]
                mark: Watermark = {
                    "cursor": json_value(self._raw(last, order[0])),
                    "key": [json_value(self._raw(last, k)) for k in order[1:]],
                }
                yield self._batch(chunk, shape, mark, None)

    def _raw(self, row: Row, name: str) -> Any:
        return Column(name, self.entity.kinds[name]).convert(row.get(name))

    def _full(self, request: ReadRequest, since: Watermark, size: int) -> Iterator[Batch]:
        shape = project(self.entity, request.fields, self.target)
        params = dict(shape.params)
        if request.filter:
            params["$filter"] = request.filter
        headers = {"Prefer": f"odata.maxpagesize={size}"}
        next_url: str | None = self.name
        query: dict[str, str] | None = params
        previous = dict(since)
        while next_url is not None:
            body = self._get(next_url, query, headers, request.filter)
            query = None
            next_url = body.get("@odata.nextLink")
            chunks = _chunks(_rows(body), size) or [[]]
            for number, chunk in enumerate(chunks):
                last = next_url is None and number == len(chunks) - 1
                yield self._batch(chunk, shape, {"full": True} if last else previous, None)

    def _get(
        self,
        url: str,
        params: dict[str, str] | None,
        headers: dict[str, str],
        filter_text: str | None,
    ) -> dict[str, Any]:
        try:
            return self.http.get_json(url, params, headers)
        except ServiceError as exc:
            if exc.status == 400 and filter_text:
                raise FilterError(f"source filter on {self.name}: {exc}") from None
            raise

    def _batch(
        self, rows: list[Row], shape: Projection, mark: Watermark, keep: Predicate | None
    ) -> Batch:
        records, stamps = [], []
        for row in rows:
            try:
                record = shape.record(row)
            except ValueError as exc:
                raise ConnectorError(
                    f"{self.name}: the service sent an unexpected value ({exc})"
                ) from None
            if keep is not None and not keep(self._typed_row(row)):
                continue
            records.append(record)
            if self.with_stamps:
                stamps.append(stamp_of(row, record))
        return Batch(records, dict(mark), stamps if self.with_stamps else None)

    def _typed_row(self, row: Row) -> dict[str, Any]:
        return {
            n: Column(n, k).convert(row.get(n)) for n, k in self.entity.kinds.items() if n in row
        }


def _named_in(entity: EntitySet, text: str | None) -> list[str]:
    """The properties a filter text names (to select them when the filter is applied here)."""
    if not text:
        return []
    words = {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)}
    return [name for name in entity.kinds if name.lower() in words]


def _rows(body: dict[str, Any]) -> list[Row]:
    value = body.get("value")
    if not isinstance(value, list):
        raise ConnectorError("the service answered without a 'value' list")
    return [r for r in value if isinstance(r, dict)]


def _is_deleted(row: Row) -> bool:
    context = str(row.get("@odata.context", ""))
    return "@removed" in row or "@odata.removed" in row or context.endswith("$deletedEntity")


def _key_of_id(identifier: str, key: tuple[str, ...]) -> dict[str, Any]:
    """Key values from an entity id such as `.../Set(1)` or `.../Set(A='x',B=2)`."""
    start, end = identifier.rfind("("), identifier.rfind(")")
    if start < 0 or end < start or not key:
        return {}
    parts = [p.strip() for p in identifier[start + 1 : end].split(",")]
    values: dict[str, Any] = {}
    for position, part in enumerate(parts):
        name, equals, text = part.partition("=")
        if not equals:
            name, text = key[min(position, len(key) - 1)], part
        values[name.strip()] = _literal_value(text.strip())
    return values


def _literal_value(text: str) -> Any:
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    return int(text) if text.lstrip("-").isdigit() else text


def _equals(name: str, value: Any) -> str:
    return f"{name} eq {literal_text(value)}"


def _chunks(rows: list[Row], size: int) -> list[list[Row]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]
