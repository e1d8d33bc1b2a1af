"""Writing a batch into a file: upsert or delete by key, the file rewritten atomically.

A file cannot be updated in place, so a write streams the old rows into a temporary file in
the same folder, merging the batch on the way, and `os.replace`s the original only when
something changed (a crash leaves the old file whole; an all-unchanged batch leaves it
untouched). Rows the batch does not touch are written back raw, exactly as they were.

Given values are converted to the column's kind before they are compared, so "5" equals a
stored 5. A value that does not fit its column is a failure for Parquet, whose columns are
typed; other formats take it as it is (the column's inferred kind changes with it). Field
names match columns case-insensitively; fields the file lacks become new columns.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commonground.integration.connectors.files.columns import Column, kind_of_value
from commonground.integration.connectors.files.datafile import DataFile, Record
from commonground.integration.connectors.files.formats import FileFormat, Row, Table
from commonground.integration.connectors.shared import fingerprint
from commonground.integration.contracts import (
    ConnectorError,
    RecordFailure,
    RecordStatus,
    ValueKind,
    WriteMode,
    WriteOutcome,
)

Key = tuple[Any, ...]


@dataclass
class _Layout:
    """The columns of the rewritten file: the old ones, then new ones in order of appearance."""

    columns: list[Column]
    typed: bool
    previous: Table | None

    @classmethod
    def of(cls, data: DataFile | None, file_format: FileFormat) -> _Layout:
        return cls(
            list(data.columns) if data else [], file_format.typed, data.table if data else None
        )

    def name(self, given: str, value: Any) -> str:
        """The column a field fills, added (with the kind of its value) when new."""
        wanted = given.lower()
        for column in self.columns:
            if column.name.lower() == wanted:
                return column.name
        kind = kind_of_value(value) if value is not None else ValueKind.TEXT
        self.columns.append(Column(given, kind))
        return given

    def value(self, name: str, value: Any) -> Any:
        """A given value as its column's kind (ValueError only for typed formats)."""
        column = next(c for c in self.columns if c.name == name)
        try:
            converted = column.convert(value)
        except ValueError:
            if self.typed:
                raise
            return value
        if self.previous is not None:
            self.previous.check(name, converted)
        return converted

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def kinds(self) -> dict[str, ValueKind]:
        return {c.name: c.kind for c in self.columns}


@dataclass
class _Prepared:
    """A batch checked and converted: records by key, and the failures found on the way."""

    by_key: dict[Key, tuple[int, Record]] = field(default_factory=dict)
    failures: list[RecordFailure] = field(default_factory=list)


def _prepare(layout: _Layout, records: Sequence[Record], key: Sequence[str]) -> _Prepared:
    prepared = _Prepared()
    for position, given in enumerate(records):
        try:
            record = _converted(layout, given)
            key_values = _key_of(layout, record, key)
        except _RecordError as problem:
            prepared.failures.append(RecordFailure(position, problem.field, str(problem)))
            continue
        if key_values in prepared.by_key:
            first = prepared.by_key[key_values][0]
            message = f"the key {_shown(key_values)} appears twice in the batch (first at {first})"
            prepared.failures.append(RecordFailure(position, None, message))
            continue
        prepared.by_key[key_values] = (position, record)
    return prepared


class _RecordError(Exception):
    """Why one record cannot be written, and the field at fault."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.field = name


def _converted(layout: _Layout, given: Record) -> Record:
    record = {}
    for name, value in given.items():
        column = layout.name(name, value)
        try:
            record[column] = layout.value(column, value)
        except ValueError as exc:
            raise _RecordError(name, f"{name}: {exc}") from None
    return record


def _key_of(layout: _Layout, record: Record, key: Sequence[str]) -> Key:
    values = []
    for name in key:
        column = next((c for c in layout.columns if c.name.lower() == name.lower()), None)
        value = record.get(column.name) if column else None
        if value is None:
            raise _RecordError(name, f"no value for key field {name}: not written")
        values.append(value)
    return tuple(values)


def _shown(key: Key) -> str:
    return ", ".join(str(v) for v in key)


def upsert_file(
    data: DataFile | None,
    path: Path,
    file_format: FileFormat,
    records: Sequence[Record],
    key: Sequence[str],
    mode: WriteMode,
) -> WriteOutcome:
    """Merge a batch into the file at `path` (created when `data` is None)."""
    if not key:
        raise ConnectorError(f"{path.name}: writing needs a key (set keys for this entity)")
    layout = _Layout.of(data, file_format)
    batch = _prepare(layout, records, key)
    key_names = [layout.name(k, None) for k in key]
    merge = _Merge(data, batch, len(records), mode, key_names, layout.names)
    _rewrite(path, file_format, merge.names, layout.kinds, data, merge.rows(), merge.statuses)
    return merge.outcome()


class _Merge:
    """The old rows with a prepared batch merged in, and what became of each record."""

    def __init__(
        self,
        data: DataFile | None,
        batch: _Prepared,
        size: int,
        mode: WriteMode,
        key: list[str],
        names: list[str],
    ) -> None:
        self.data, self.batch, self.mode = data, batch, mode
        self.key, self.names = key, names  # key columns; every column of the new file
        self.statuses = [RecordStatus.FAILED] * size
        self.stamps: list[str | None] = [None] * size

    def rows(self) -> Iterator[Row]:
        """Every row of the new file: old rows (merged where matched), then inserts."""
        for raw, old in self.data.records() if self.data else ():
            row = [*raw, *[None] * (len(self.names) - len(raw))]
            found = self.batch.by_key.get(tuple(old.get(k) for k in self.key))
            if found is None or self.mode is WriteMode.INSERT:
                if found is not None:
                    self.statuses[found[0]] = RecordStatus.UNCHANGED
                yield row
                continue
            position, given = found
            changed = any(old.get(n) != v for n, v in given.items())
            self.statuses[position] = RecordStatus.UPDATED if changed else RecordStatus.UNCHANGED
            self.stamps[position] = fingerprint({n: given.get(n, old.get(n)) for n in self.names})
            yield [given.get(n, v) for n, v in zip(self.names, row, strict=True)]
        if self.mode is not WriteMode.UPDATE:
            yield from self._inserts()

    def _inserts(self) -> Iterator[Row]:
        for position, given in self.batch.by_key.values():
            if self.statuses[position] is RecordStatus.FAILED:
                self.statuses[position] = RecordStatus.INSERTED
                self.stamps[position] = fingerprint({n: given.get(n) for n in self.names})
                yield [given.get(n) for n in self.names]

    def outcome(self) -> WriteOutcome:
        """Statuses, stamps, and failures (updates of missing records among them)."""
        failures = list(self.batch.failures)
        if self.mode is WriteMode.UPDATE:
            failures += [
                RecordFailure(p, None, f"no record with key {_shown(k)} to update")
                for k, (p, _) in self.batch.by_key.items()
                if self.statuses[p] is RecordStatus.FAILED
            ]
        return WriteOutcome(self.statuses, sorted(failures, key=lambda f: f.position), self.stamps)


def delete_rows(data: DataFile, keys: Sequence[Record]) -> WriteOutcome:
    """Remove the rows with these key values; a key no row has is UNCHANGED.

    Every key dict names the same fields (the entity's key), as the engine sends them.
    """
    layout = _Layout.of(data, data.format)
    names = data.names(list(keys[0])) if keys else []
    wanted: dict[Key, list[int]] = {}
    failures: list[RecordFailure] = []
    statuses = [RecordStatus.UNCHANGED] * len(keys)
    for position, given in enumerate(keys):
        folded = {k.lower(): v for k, v in given.items()}
        try:
            values = tuple(layout.value(n, folded.get(n.lower())) for n in names)
        except ValueError as exc:
            statuses[position] = RecordStatus.FAILED
            failures.append(RecordFailure(position, None, str(exc)))
            continue
        wanted.setdefault(values, []).append(position)

    def kept_rows() -> Iterator[Row]:
        for raw, record in data.records():
            hit = wanted.get(tuple(record.get(n) for n in names))
            if hit is None:
                yield raw
                continue
            for position in hit:
                statuses[position] = RecordStatus.DELETED

    _rewrite(data.path, data.format, layout.names, layout.kinds, data, kept_rows(), statuses)
    return WriteOutcome(statuses, failures)


def _rewrite(
    path: Path,
    file_format: FileFormat,
    names: list[str],
    kinds: dict[str, ValueKind],
    data: DataFile | None,
    rows: Iterator[Row],
    statuses: list[RecordStatus],
) -> None:
    """Write the rows to a hidden temporary file beside `path`, and replace `path` with it
    when the statuses (filled in while the rows stream) say something changed."""
    temporary = path.with_name(f".{path.stem}-{uuid.uuid4().hex}{path.suffix}")
    try:
        file_format.write(temporary, names, rows, kinds, data.table if data else None)
        if any(s in CHANGES for s in statuses):
            os.replace(temporary, path)
    except (ValueError, TypeError, OSError) as exc:  # Arrow's errors derive from these
        raise ConnectorError(f"{path.name}: could not write the file ({exc})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


CHANGES = frozenset({RecordStatus.INSERTED, RecordStatus.UPDATED, RecordStatus.DELETED})
