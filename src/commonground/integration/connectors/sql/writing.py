"""Writing one batch in one transaction: classify, check, then insert and update in bulk.

Each record is converted and checked first (types, lengths, NOT NULL, required columns,
keys duplicated within the batch), so most bad records fail on their own with a reason and
the rest go to the database as one `executemany` of inserts and one per shape of update.
Existing rows are fetched in one query per chunk of keys; a record whose given fields already
hold the given values (as stored) is UNCHANGED and not written at all, so the table sees no
change for it. Should the database still refuse the bulk statements (a foreign key, a check
constraint, a unique index), the batch is retried record by record, each in a savepoint, only
to tell the refused records from the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from commonground.integration.connectors.shared import fingerprint
from commonground.integration.connectors.sql.connection import Database
from commonground.integration.connectors.sql.discovery import TableSpec
from commonground.integration.connectors.sql.matching import (
    chunked,
    full_rows,
    key_in,
    read_form,
    selected_rows,
    stored_form,
)
from commonground.integration.connectors.sql.values import CONVERTED_KINDS, ColumnValues
from commonground.integration.contracts import (
    RecordFailure,
    RecordStatus,
    WriteMode,
    WriteOutcome,
)


class _RefusedError(Exception):
    """A record that cannot be written: the field at fault and why."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class _Record:
    """One record of the batch, converted to what the columns store."""

    position: int
    values: dict[str, Any]  # column name -> stored form
    stored_key: tuple[Any, ...]
    key: tuple[Any, ...]  # read form, for matching
    changes: dict[str, Any] = field(default_factory=dict)  # what an update sets


class BatchWriter:
    """Writes one batch of records to one table (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        conn: Connection,
        spec: TableSpec,
        key: Sequence[str],
        organization: str | None,
    ) -> None:
        self.database = database
        self.conn = conn
        self.spec = spec
        self.key = [spec.require(name) for name in key]
        self.organization = organization if spec.organization is not None else None
        self.scope = spec.scope(self.organization)
        self.failures: list[RecordFailure] = []
        self._columns: dict[str, ColumnValues | None] = {}  # field name as given -> column

    def write(
        self, records: Sequence[dict[str, Any]], mode: WriteMode, stamped: bool = True
    ) -> WriteOutcome:
        """Write the records; one status per record, failures, and (when `stamped`) stamps:
        those need the rows written read back, as the database completed them."""
        statuses = [RecordStatus.FAILED] * len(records)
        stamps: list[str | None] = [None] * len(records)
        prepared = self._prepare(records)
        existing = full_rows(
            self.conn, self.spec, self.key, [r.stored_key for r in prepared], self.scope
        )
        inserts: list[_Record] = []
        updates: list[_Record] = []
        for record in prepared:
            stored = existing.get(record.key)
            if stored is None and mode is WriteMode.UPDATE:
                self._fail(record.position, None, "no record with this key exists")
            elif stored is not None and mode is WriteMode.INSERT:
                self._fail(record.position, None, "a record with this key already exists")
            elif stored is None:
                if self._complete(record):
                    inserts.append(record)
            elif self._changed(record, stored):
                updates.append(record)
            else:
                statuses[record.position] = RecordStatus.UNCHANGED
                stamps[record.position] = fingerprint(stored) if stamped else None
        written = self._apply(inserts, updates)
        for record in written:
            updated = bool(record.changes)
            statuses[record.position] = RecordStatus.UPDATED if updated else RecordStatus.INSERTED
        failures = sorted(self.failures, key=lambda f: f.position)
        if not stamped:
            return WriteOutcome(statuses, failures, None)
        after = full_rows(
            self.conn, self.spec, self.key, [r.stored_key for r in written], self.scope
        )
        for record in written:
            row = after.get(record.key)  # absent only if the database rewrote the key itself
            stamps[record.position] = fingerprint(row) if row is not None else None
        return WriteOutcome(statuses, failures, stamps)

    def _fail(self, position: int, field: str | None, message: str) -> None:
        self.failures.append(RecordFailure(position, field, message))

    def _prepare(self, records: Sequence[dict[str, Any]]) -> list[_Record]:
        """Convert every record; the ones that cannot be written, or repeat a key, fail."""
        prepared: list[_Record] = []
        positions: dict[tuple[Any, ...], int] = {}
        for position, given in enumerate(records):
            try:
                record = self._convert(position, given)
            except _RefusedError as refused:
                self._fail(position, refused.field, refused.message)
                continue
            first = positions.setdefault(record.key, position)
            if first != position:
                self._fail(position, None, f"the same key as the record at position {first}")
                continue
            prepared.append(record)
        return prepared

    def _convert(self, position: int, given: dict[str, Any]) -> _Record:
        values: dict[str, Any] = {}
        columns = self._columns
        for name, value in given.items():
            column = (
                columns[name] if name in columns else columns.setdefault(name, self.spec.find(name))
            )
            if column is None:
                raise _RefusedError(name, f"table '{self.spec.table.name}' has no column '{name}'")
            values[column.name] = _stored(column, value)
        organization = self.spec.organization
        if self.organization is not None and organization is not None:
            values[organization.name] = _stored(organization, self.organization)
        for column in self.key:
            if values.get(column.name) is None:
                raise _RefusedError(column.name, f"key field {column.name} has no value")
        stored_key = tuple(values[c.name] for c in self.key)
        return _Record(position, values, stored_key, read_form(self.key, stored_key))

    def _complete(self, record: _Record) -> bool:
        """Whether a new record gives every required column (else it fails)."""
        for info in self.spec.info.fields:
            if info.required and record.values.get(info.name) is None:
                self._fail(record.position, info.name, f"{info.name} is required")
                return False
        return True

    def _changed(self, record: _Record, stored: dict[str, Any]) -> bool:
        """Note in `record.changes` the given values the stored row does not hold yet."""
        columns = self.spec.columns
        record.changes = {}
        for name, value in record.values.items():
            column = columns[name.lower()]
            plain = column.from_column(value) if column.kind in CONVERTED_KINDS else value
            if plain != stored[name]:
                record.changes[name] = value
        return bool(record.changes)

    def _apply(self, inserts: list[_Record], updates: list[_Record]) -> list[_Record]:
        """Run the statements; on refusal, retry record by record. The records written."""
        if not inserts and not updates:
            return []
        try:
            with self.conn.begin_nested():
                self._insert(inserts)
                self._update(updates)
            return [*inserts, *updates]
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise
        written: list[_Record] = []
        for record in [*inserts, *updates]:
            try:
                with self.conn.begin_nested():
                    if record.changes:
                        self._update([record])
                    else:
                        self._insert([record])
                written.append(record)
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise
                self._fail(record.position, None, self.database.describe(exc))
        return written

    def _insert(self, records: list[_Record]) -> None:
        """One executemany per set of given columns."""
        for shape in _shapes(records, lambda r: r.values):
            self.conn.execute(insert(self.spec.table), [r.values for r in shape])

    def _update(self, records: list[_Record]) -> None:
        """One executemany per set of changed columns."""
        for shape in _shapes(records, lambda r: r.changes):
            names = list(shape[0].changes)
            match = [c.column == bindparam(f"key_{i}") for i, c in enumerate(self.key)]
            statement = (
                update(self.spec.table)
                .where(*match, *self.scope)
                .values({name: bindparam(f"set_{i}") for i, name in enumerate(names)})
            )
            params = [
                {
                    **{f"key_{i}": value for i, value in enumerate(r.stored_key)},
                    **{f"set_{i}": r.changes[name] for i, name in enumerate(names)},
                }
                for r in shape
            ]
            self.conn.execute(statement, params)


def delete_rows(
    conn: Connection,
    spec: TableSpec,
    keys: Sequence[dict[str, Any]],
    organization: str | None,
) -> WriteOutcome:
    """Delete by key values: DELETED, UNCHANGED when no such row, FAILED for a bad key."""
    statuses = [RecordStatus.UNCHANGED] * len(keys)
    if not keys:
        return WriteOutcome(statuses, [], None)
    key = [spec.require(name) for name in keys[0]]
    failures: list[RecordFailure] = []
    wanted: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # stored form by read form
    positions: dict[tuple[Any, ...], list[int]] = {}
    for position, given in enumerate(keys):
        lowered = {name.lower(): value for name, value in given.items()}
        try:
            stored = stored_form(key, [lowered.get(c.name.lower()) for c in key])
        except ValueError as exc:
            statuses[position] = RecordStatus.FAILED
            failures.append(RecordFailure(position, None, str(exc)))
            continue
        wanted[read_form(key, stored)] = stored
        positions.setdefault(read_form(key, stored), []).append(position)
    scope = spec.scope(organization)
    for chunk in chunked(list(wanted.values())):
        for stored in _deleted(conn, key, chunk, scope):
            for position in positions.get(read_form(key, stored), []):
                statuses[position] = RecordStatus.DELETED
    return WriteOutcome(statuses, failures, None)


def _deleted(
    conn: Connection,
    key: list[ColumnValues],
    chunk: Sequence[tuple[Any, ...]],
    scope: Sequence[ColumnElement[bool]],
) -> list[tuple[Any, ...]]:
    """Delete one chunk; the stored keys of the rows deleted (RETURNING where supported)."""
    columns = [c.column for c in key]
    statement = delete(key[0].column.table).where(key_in(columns, chunk), *scope)
    if conn.dialect.delete_returning:
        return [tuple(row) for row in conn.execute(statement.returning(*columns))]
    found = [tuple(row) for row in selected_rows(conn, columns, chunk, columns, scope)]
    conn.execute(statement)
    return found


def _stored(column: ColumnValues, value: Any) -> Any:
    try:
        stored = column.to_column(value)
    except ValueError as exc:
        raise _RefusedError(column.name, f"{column.name} {exc}") from None
    if stored is None and not column.column.nullable:
        raise _RefusedError(column.name, f"{column.name} cannot be empty")
    return stored


def _shapes(
    records: list[_Record], columns: Callable[[_Record], dict[str, Any]]
) -> list[list[_Record]]:
    """Records grouped by the column names they set (executemany needs one shape)."""
    groups: dict[tuple[str, ...], list[_Record]] = {}
    for record in records:
        groups.setdefault(tuple(columns(record)), []).append(record)
    return list(groups.values())
