"""Full and incremental reads of one file, in batches with watermarks safe to store.

With a cursor column, rows are returned in (cursor, key) order, sorted on disk (`spill`),
and each batch's watermark is the (cursor, key) of its last row: a later read returns the
rows after it as a tuple, so rows sharing a cursor value across a batch boundary are neither
missed nor repeated. Without a configured key the tie-breaker is the row's fingerprint. Rows
without a cursor value come first in a full read and never in an incremental one.

Without a cursor every read is a full read, whose last batch carries the file's version
(modification time and size): reading again from that watermark returns nothing until the
file changes. Earlier batches carry the previous watermark, so a read stopped half-way is
repeated whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from commonground.integration.connectors.files.datafile import DataFile, Record
from commonground.integration.connectors.files.filtering import compile_filter
from commonground.integration.connectors.files.spill import sorted_on_disk
from commonground.integration.connectors.shared import fingerprint
from commonground.integration.contracts import Batch, ConnectorError, ReadRequest, Watermark
from commonground.service.tabular import cell_text

SortKey = tuple[Any, ...]


def read_batches(
    data: DataFile, request: ReadRequest, key: Sequence[str], cursor: str | None
) -> Iterator[Batch]:
    """The batches of one read request (see the module docstring).

    Stamps are hashes of whole rows, computed only when the request wants them or when they
    break ties of a cursor without a key.
    """
    fields = data.names(request.fields) if request.fields is not None else None
    predicate = compile_filter(data.entity, data.columns, request.filter)
    key_names = data.names(key) if key else []
    hashed = request.stamps or (cursor is not None and not key_names)
    stamped = (
        (record, fingerprint(record) if hashed else "")
        for _row, record in data.records()
        if predicate is None or predicate(record)
    )
    size = max(1, request.batch_size)
    if cursor is None:
        batches = _whole(data, stamped, fields, request.since, size)
    else:
        order = _Order(data, data.names([cursor])[0], key_names)
        batches = _by_cursor(order, stamped, fields, request.since, size)
    if request.stamps:
        return batches
    return (replace(batch, stamps=None) for batch in batches)


def _whole(
    data: DataFile,
    stamped: Iterable[tuple[Record, str]],
    fields: list[str] | None,
    since: Watermark | None,
    size: int,
) -> Iterator[Batch]:
    if since is not None and since == data.version:
        return
    previous = dict(since or {})
    batch: list[tuple[Record, str]] = []
    for item in stamped:
        if len(batch) == size:
            yield _batch(batch, fields, previous)
            batch = []
        batch.append(item)
    yield _batch(batch, fields, dict(data.version))


class _Order:
    """(cursor, key) order of the records of one file, and watermarks that hold a position."""

    def __init__(self, data: DataFile, cursor: str, key: list[str]) -> None:
        self.data, self.cursor, self.key = data, cursor, key

    def of(self, item: tuple[Record, str]) -> SortKey:
        """Where a record sorts: no cursor value first, then by cursor, then key (or stamp)."""
        record, stamp = item
        value = record.get(self.cursor)
        tie = tuple((v is None, v) for v in (record.get(k) for k in self.key)) or (stamp,)
        return (value is not None, value, tie)

    def watermark(self, item: tuple[Record, str]) -> Watermark:
        """The position just after a record, as JSON."""
        record, stamp = item
        mark: Watermark = {"cursor": _json(record.get(self.cursor))}
        if self.key:
            mark["key"] = [_json(record.get(k)) for k in self.key]
        else:
            mark["stamp"] = stamp
        return mark

    def position(self, since: Watermark) -> SortKey:
        """The sort key a watermark stands for (ConnectorError when it is not one of ours)."""
        try:
            value = self._column(self.cursor).convert(since["cursor"])
            if self.key:
                values = [
                    self._column(k).convert(v) for k, v in zip(self.key, since["key"], strict=True)
                ]
                return (True, value, tuple((v is None, v) for v in values))
            return (True, value, (str(since["stamp"]),))
        except (KeyError, TypeError, ValueError):
            raise ConnectorError(
                f"the watermark {since!r} does not hold a position of {self.data.entity}"
            ) from None

    def _column(self, name: str) -> Any:
        column = self.data.column(name)
        assert column is not None
        return column


def _by_cursor(
    order: _Order,
    stamped: Iterable[tuple[Record, str]],
    fields: list[str] | None,
    since: Watermark | None,
    size: int,
) -> Iterator[Batch]:
    after: Callable[[tuple[Record, str]], bool] = lambda _item: True  # noqa: E731
    if since is not None:
        start = order.position(since)
        after = lambda item: order.of(item) > start  # noqa: E731
    batch: list[tuple[Record, str]] = []
    for item in sorted_on_disk((i for i in stamped if after(i)), order.of):
        batch.append(item)
        if len(batch) == size:
            yield _batch(batch, fields, order.watermark(batch[-1]))
            batch = []
    if batch:
        yield _batch(batch, fields, order.watermark(batch[-1]))


def _batch(items: list[tuple[Record, str]], fields: list[str] | None, mark: Watermark) -> Batch:
    records = [r if fields is None else {f: r.get(f) for f in fields} for r, _ in items]
    return Batch(records, mark, stamps=[stamp for _, stamp in items])


def _json(value: Any) -> Any:
    """A value as JSON keeps it: numbers, text and booleans as they are, the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return cell_text(value)
