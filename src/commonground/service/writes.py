"""Batch writes of one entity: create, update, upsert, with every check done per batch.

A batch is encoded column by column, matched against stored rows by key in one query per
chunk, split into inserts, updates and unchanged records (one tuple comparison of the
provided columns each), checked (required, unique, lookups that exist, versions), and written
with one executemany or COPY per kind. Unchanged records are not written at all, so they cost
no change position. All of it runs inside one write transaction: the batch is written whole,
or, when a record fails, nothing is (unless the caller asked to skip failing records).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import compress, repeat
from operator import eq, itemgetter
from typing import Any, cast

from commonground.collector import paused_gc
from commonground.errors import ConflictError, ForbiddenError, RecordError, RecordValidationError
from commonground.model.entity import (
    CREATED_BY,
    CREATED_ON,
    MODIFIED_BY,
    MODIFIED_ON,
    RECORD_ID,
    VERSION,
    Entity,
)
from commonground.model.field import Field
from commonground.model.types import FieldType, Storage
from commonground.service.batch_plan import Group, Plan, gathered, positions_of, shifted
from commonground.service.codec import EntityCodec, all_none, record_errors
from commonground.service.context import WriteContext
from commonground.service.write_access import Denial, WriteAccess
from commonground.store import records as rows_store
from commonground.store.database import CHANGE_SEQUENCE, autonumber_sequence, record_sequence


class WriteMode(StrEnum):
    """What a batch may do with records that do or do not exist yet."""

    CREATE = "create"
    UPDATE = "update"
    UPSERT = "upsert"


class Outcome(StrEnum):
    """What happened to one record of a batch."""

    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass
class WriteResult:
    """Per-record outcomes, RecordIds and versions of a batch in input order, and its errors."""

    outcomes: list[Outcome]
    record_ids: list[int | None]
    versions: list[int | None]
    errors: list[RecordError] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many records had this outcome."""
        return self.outcomes.count(outcome)

    @property
    def inserted(self) -> int:
        """Records created."""
        return self.count(Outcome.INSERTED)

    @property
    def updated(self) -> int:
        """Records changed."""
        return self.count(Outcome.UPDATED)

    @property
    def unchanged(self) -> int:
        """Records that already held the given values (nothing was written)."""
        return self.count(Outcome.UNCHANGED)

    @property
    def failed(self) -> int:
        """Records rejected (only when failing records were skipped)."""
        return self.count(Outcome.FAILED)


def now_param(ctx: WriteContext) -> Any:
    """The current instant as a driver parameter for DateTime columns."""
    moment = datetime.now(UTC)
    convert = ctx.db.dialect.param_converter(Storage.DATETIME)
    return convert(moment) if convert else moment


class BatchWriter:
    """Writes one batch of one entity inside the caller's write transaction."""

    def __init__(self, ctx: WriteContext, entity: Entity, codec: EntityCodec) -> None:
        self.ctx = ctx
        self.entity = entity
        self.codec = codec
        self.table = ctx.db.table(entity.name)
        self.errors: list[RecordError] = []
        self.failed: set[int] = set()
        self.fetched: list[str] = [RECORD_ID, VERSION]
        self.width = 1  # stored rows hold the match columns first, then `fetched`
        self.plan = Plan()
        self.groups: list[Group] = []
        self.denied: Denial | None = None

    def fail(self, position: int, field_name: str | None, message: str, code: str) -> None:
        """Record an error for one record; the record will not be written."""
        self.errors.append(RecordError(position, field_name, message, code))
        self.failed.add(position)

    def write(
        self,
        records: Sequence[dict[str, Any]],
        mode: WriteMode,
        key: Sequence[str] | None,
        skip_errors: bool = False,
    ) -> WriteResult:
        """Apply the batch; see the module docstring."""
        with paused_gc():
            try:
                return self._write(records, mode, key, skip_errors)
            finally:
                # freed before the collector runs again, not scanned by it
                self.plan, self.groups = Plan(), []

    def _write(
        self,
        records: Sequence[dict[str, Any]],
        mode: WriteMode,
        key: Sequence[str] | None,
        skip_errors: bool,
    ) -> WriteResult:
        match = list(key) if key else [RECORD_ID]
        groups = self._encode(records, by_id=match == [RECORD_ID] and mode is not WriteMode.CREATE)
        self.groups = groups
        existing = self._existing(groups, match, mode)
        plan = self._plan(groups, match, existing, mode)
        self._check_required(plan)
        self._check_unique(plan, match)
        self._check_lookups(plan)
        self._check_access(plan)
        if self.denied is not None and not skip_errors:
            reason = f"record {self.denied.position}: {self.denied.reason}"
            raise ForbiddenError(self.denied.privilege.value, self.entity.name, reason)
        if self.errors and not skip_errors:
            conflict = next((e for e in self.errors if e.code == "Conflict"), None)
            if conflict is not None:
                raise self._conflict_error(conflict, groups, existing, match)
            raise RecordValidationError(self.entity.name, self._with_keys(records))
        return self._apply(plan, len(records), self._with_keys(records), match)

    def _with_keys(self, records: Sequence[dict[str, Any]]) -> list[RecordError]:
        """The errors in record order, each labelled with the record's business key."""
        key = self.entity.primary_key or ()
        out = []
        for error in sorted(self.errors, key=lambda e: e.index):
            record = records[error.index]
            label = None
            if isinstance(record, dict):
                shown = [f"{k}={record[k]!r}" for k in key if record.get(k) is not None]
                label = ", ".join(shown) or None
            out.append(RecordError(error.index, error.field, error.message, error.code, label))
        return out

    def _conflict_error(
        self, error: RecordError, groups: list[Group], existing: dict[Any, Any], match: list[str]
    ) -> ConflictError:
        for group in groups:
            if error.index in group.positions:
                i = group.positions.index(error.index)
                row = existing.get(group.keys[i])
                expected = group.expected[i] or 0
                if row is not None:
                    w = self.width
                    return ConflictError(self.entity.name, int(row[w]), expected, int(row[w + 1]))
        return ConflictError(self.entity.name, 0, 0, None)

    # -- encoding ------------------------------------------------------------------------

    def _encode(self, records: Sequence[dict[str, Any]], by_id: bool) -> list[Group]:
        """Group records by the fields they provide and encode each group column-wise."""
        if records and set(map(type, records)) == {dict} and len(set(map(len, records))) == 1:
            names = tuple(records[0])
            try:
                # Same size and every name present: one group (the usual bulk load).
                return [self._encode_group(records, names, list(range(len(records))), by_id)]
            except KeyError:
                pass
        by_fields: dict[tuple[str, ...], list[int]] = {}
        for position, record in enumerate(records):
            if not isinstance(record, dict):
                kind = type(record).__name__
                message = f"a record must be a mapping, got {kind}"
                self.fail(position, None, message, "InvalidRecord")
                continue
            by_fields.setdefault(tuple(record), []).append(position)
        return [
            self._encode_group(records, names, positions, by_id)
            for names, positions in by_fields.items()
        ]

    def _encode_group(
        self,
        records: Sequence[dict[str, Any]],
        names: tuple[str, ...],
        positions: list[int],
        by_id: bool,
    ) -> Group:
        expected: list[int | None] = [None] * len(positions)
        given_ids: list[int | None] = [None] * len(positions)
        errors: list[tuple[int, str, str]] = []
        columns: list[tuple[str, list[Any]]] = []
        members = [records[p] for p in positions] if len(positions) < len(records) else records
        # Every column up front, so that a record lacking a name fails (KeyError) before any
        # error is recorded; a map per column costs about half of transposing row tuples.
        given = [list(map(itemgetter(name), members)) for name in names]
        for number, name in enumerate(names):
            found = self.entity.field_or_none(name)
            if found is None:
                for p in positions:
                    message = f"entity {self.entity.name} has no field '{name}'"
                    self.fail(p, name, message, "UnknownField")
            elif found.name == VERSION:
                expected = [self._system_int(p, records[p][name], VERSION) for p in positions]
            elif found.name == RECORD_ID:
                given_ids = [self._system_int(p, records[p][name], RECORD_ID) for p in positions]
            elif found.system:
                for p in positions:
                    self.fail(p, found.name, "system fields are read-only", "ReadOnlyField")
            else:
                values = given[number]
                columns.extend(self.codec.encode_field(found, values, errors))
        for error in record_errors(errors, positions):
            self.fail(error.index, error.field, error.message, "InvalidValue")
        if by_id:
            for p, rid in zip(positions, given_ids, strict=True):
                if rid is None and p not in self.failed:
                    message = "a RecordId (or an alternate key) is needed to find the record"
                    self.fail(p, RECORD_ID, message, "MissingKey")
        names_given = [c for c, _ in columns]
        values = [v for _, v in columns]  # the codec returns new lists
        empty = frozenset(c for c, v in columns if all_none(v))
        return Group(positions, names_given, values, expected, given_ids, empty=empty)

    def _system_int(self, position: int, value: Any, name: str) -> int | None:
        if value is None:
            return None
        try:
            return int(self.codec.canonical_param(name, value))
        except (ValueError, TypeError) as exc:
            self.fail(position, name, str(exc), "InvalidValue")
            return None

    # -- matching ------------------------------------------------------------------------

    def _key_values(self, group: Group, match: list[str]) -> list[Any]:
        """Each record's match value, see Group.keys (None, with an error, when a key field
        has no value)."""
        if match == [RECORD_ID]:
            return list(group.given_ids)
        missing = [c for c in match if c not in group.columns]
        if missing:
            for position in group.positions:
                self.fail(
                    position, missing[0], f"key field '{missing[0]}' is missing", "MissingKey"
                )
            return [None] * len(group.positions)
        indexes = [group.columns.index(c) for c in match]
        if len(indexes) == 1:
            keys = list(group.values[indexes[0]])
            if None in keys:
                for i in [i for i, key in enumerate(keys) if key is None]:
                    message = f"key field '{match[0]}' has no value"
                    self.fail(group.positions[i], match[0], message, "MissingKey")
            return keys
        keys = list(map(itemgetter(*indexes), group.rows))
        for i, key in enumerate(keys):
            if key is not None and None in key:
                column = match[key.index(None)]
                self.fail(
                    group.positions[i], column, f"key field '{column}' has no value", "MissingKey"
                )
                keys[i] = None
        return keys

    def _existing(
        self, groups: list[Group], match: list[str], mode: WriteMode
    ) -> dict[Any, tuple[Any, ...]]:
        """Stored rows matching the batch, by match value (see Group.keys): rows of the match
        columns, then RecordId, VersionNumber and the batch's columns."""
        for group in groups:  # the match columns come first in every stored row already
            self.fetched += [c for c in group.columns if c not in self.fetched and c not in match]
        if mode is WriteMode.CREATE and match == [RECORD_ID]:
            for group in groups:
                group.keys = [None] * len(group.positions)
            return {}
        wanted: set[Any] = set()
        for group in groups:
            group.keys = self._key_values(group, match)
            wanted.update(group.keys)
        wanted.discard(None)  # records without a key value
        conn, fetched = self.ctx.conn, self.fetched
        self.width = len(match)
        if self.width == 1:
            rows = rows_store.fetch_by_keys(conn, self.table, match[0], wanted, fetched)
            return dict(zip(map(itemgetter(0), rows), rows, strict=True))
        rows = rows_store.fetch_by_values(conn, self.table, match, list(wanted), fetched)
        pick = itemgetter(*range(self.width))
        return {pick(row): row for row in rows}

    def _plan(
        self,
        groups: list[Group],
        match: list[str],
        existing: dict[Any, tuple[Any, ...]],
        mode: WriteMode,
    ) -> Plan:
        plan = Plan()
        stored_columns = [*match, *self.fetched]
        first: dict[Any, int] | None = None  # key -> its first position
        for group in groups:
            indexes = [stored_columns.index(c) for c in group.columns]
            compare = itemgetter(*indexes) if indexes else None
            if len(groups) == 1 and self._plan_fast(plan, group, compare, mode, match, existing):
                continue
            first = first if first is not None else self._first_positions(groups)
            for i, position in enumerate(group.positions):
                if position in self.failed:
                    continue
                value = group.keys[i]
                if value is not None and first[value] != position:
                    message = "the same key appears earlier in this batch"
                    self.fail(position, ", ".join(match), message, "DuplicateInBatch")
                    continue
                stored = existing.get(value) if value is not None else None
                if stored is None:
                    self._plan_new(plan, group, i, mode, match)
                    continue
                if mode is WriteMode.CREATE:
                    shown = value if len(match) > 1 else (value,)
                    message = f"a record with {', '.join(match)} = {shown} already exists"
                    self.fail(position, ", ".join(match), message, "DuplicateKey")
                    continue
                record_id, version = int(stored[self.width]), int(stored[self.width + 1])
                if group.expected[i] is not None and group.expected[i] != version:
                    message = f"expected version {group.expected[i]}, the record is at {version}"
                    self.fail(position, VERSION, message, "Conflict")
                    continue
                if compare is not None and _as_tuple(compare(stored)) != group.rows[i]:
                    plan.updates.append((group, i, record_id))
                else:
                    plan.unchanged[position] = (record_id, version)
        return plan

    def _first_positions(self, groups: list[Group]) -> dict[Any, int]:
        """The first position of each key among the records not failed yet: a key repeated
        in another group is a repeat of the earlier record, whichever group comes first."""
        first: dict[Any, int] = {}
        for group in groups:
            for position, key in zip(group.positions, group.keys, strict=True):
                if key is not None and position not in self.failed:
                    first[key] = min(first.get(key, position), position)
        return first

    def _plan_fast(
        self,
        plan: Plan,
        group: Group,
        compare: Any,
        mode: WriteMode,
        match: list[str],
        existing: dict[Any, tuple[Any, ...]],
    ) -> bool:
        """The plan of a clean batch in a few whole-list passes; False when the batch needs
        the careful path (failures, versions to check, missing or repeated keys, creates)."""
        keys = group.keys
        count = len(keys)
        clean = (
            mode is not WriteMode.CREATE
            and None not in keys
            and group.expected.count(None) == count
            and not self.failed.intersection(group.positions)
            and len(set(keys)) == count
        )
        if not clean or compare is None or len(group.columns) < 2:
            return False
        stored = list(map(existing.get, keys))
        positions, w = group.positions, self.width
        found = list(compress(range(count), stored))  # stored rows are tuples, never empty
        new = [i for i in range(count) if stored[i] is None] if len(found) < count else []
        if mode is WriteMode.UPSERT and match != [RECORD_ID]:
            plan.inserts.extend(zip(repeat(group), new))
        else:
            for i in new:
                self._plan_new(plan, group, i, mode, match)
        if not found:
            return True
        if new:
            found_rows = cast(list[tuple[Any, ...]], [stored[i] for i in found])
            given = list(map(group.rows.__getitem__, found))
        else:  # every record is stored already (a repeated load)
            found_rows, given = cast(list[tuple[Any, ...]], stored), group.rows
        same = list(map(eq, map(compare, found_rows), given))
        kept = list(compress(found, same))
        ids_and_versions = map(itemgetter(w, w + 1), compress(found_rows, same))
        plan.unchanged.update(zip(map(positions.__getitem__, kept), ids_and_versions, strict=True))
        if len(kept) < len(found):
            changed = zip(found, found_rows, same, strict=True)
            plan.updates.extend(
                (group, i, row[w]) for i, row, unchanged in changed if not unchanged
            )
        return True

    def _plan_new(
        self, plan: Plan, group: Group, i: int, mode: WriteMode, match: list[str]
    ) -> None:
        position = group.positions[i]
        if mode is WriteMode.UPDATE or (match == [RECORD_ID] and group.given_ids[i] is not None):
            shown = group.given_ids[i] if match == [RECORD_ID] else "the given key"
            message = f"{self.entity.name} record {shown} does not exist"
            self.fail(position, ", ".join(match), message, "NotFound")
        else:
            plan.inserts.append((group, i))

    # -- checks --------------------------------------------------------------------------

    def _check_required(self, plan: Plan) -> None:
        required = [
            f for f in self.entity.fields if f.required and f.type is not FieldType.AUTONUMBER
        ]
        if not required:
            return
        inserts = gathered(plan.inserts)
        updates = gathered(plan.updates)
        for field_ in required:
            for group, _, members in inserts:
                if field_.default is None:  # a default fills what an insert leaves empty
                    self._require(group, members, field_, absent_is_missing=True)
            for group, _, members in updates:
                self._require(group, members, field_, absent_is_missing=False)

    def _require(
        self, group: Group, members: list[int], field_: Field, absent_is_missing: bool
    ) -> None:
        """Fail the members whose value of a required field is missing."""
        indexes = [group.columns.index(c) for c in field_.column_names() if c in group.columns]
        if not indexes:
            bad = members if absent_is_missing else []
        elif len(indexes) == 1:
            column = group.values[indexes[0]]
            bad = [i for i in members if column[i] is None] if None in column else []
        else:
            rows = group.rows
            bad = [i for i in members if all(rows[i][x] is None for x in indexes)]
        for i in bad:
            self.fail(group.positions[i], field_.name, "a value is required", "Required")

    def _check_access(self, plan: Plan) -> None:
        """Fail the records the caller may not write (see write_access)."""
        guard = WriteAccess(self.ctx, self.entity, self.codec)
        if not guard.limited(bool(plan.inserts), bool(plan.updates)):
            return
        inserts = [
            (g.positions[i], dict(zip(g.columns, g.rows[i], strict=True)))
            for g, i in plan.inserts
            if g.positions[i] not in self.failed
        ]
        updates = [
            (g.positions[i], rid, dict(zip(g.columns, g.rows[i], strict=True)))
            for g, i, rid in plan.updates
            if g.positions[i] not in self.failed
        ]
        for denial in guard.denials(inserts, updates):
            self.denied = self.denied or denial
            message = f"missing privilege: {denial.privilege.value} ({denial.reason})"
            self.fail(denial.position, None, message, "Forbidden")

    def _written(self, plan: Plan) -> list[tuple[Group, int, int | None]]:
        rows: list[tuple[Group, int, int | None]] = [
            (g, i, None) for g, i in plan.inserts if g.positions[i] not in self.failed
        ]
        rows += [(g, i, rid) for g, i, rid in plan.updates if g.positions[i] not in self.failed]
        return rows

    def _check_unique(self, plan: Plan, match: list[str]) -> None:
        constraints = [[f.name] for f in self.entity.fields if f.unique]
        constraints += [
            list(k) for k in self.entity.keys.values() if len(k) > 1 or [k[0]] not in constraints
        ]
        constraints = [c for c in constraints if c != match]
        if constraints:
            written = self._written(plan)
            for columns in constraints:
                self._check_one_unique(columns, written)

    def _check_one_unique(
        self, columns: list[str], written: list[tuple[Group, int, int | None]]
    ) -> None:
        owners: dict[tuple[Any, ...], tuple[int, int | None]] = {}
        for group, i, rid in written:
            if not all(c in group.columns for c in columns):
                continue
            value = tuple(group.rows[i][group.columns.index(c)] for c in columns)
            if any(v is None for v in value):
                continue
            if value in owners:
                message = f"{', '.join(columns)} = {value} appears twice in this batch"
                self.fail(group.positions[i], ", ".join(columns), message, "DuplicateValue")
                continue
            owners[value] = (group.positions[i], rid)
        stored = rows_store.fetch_by_values(
            self.ctx.conn, self.table, columns, list(owners), [RECORD_ID]
        )
        width = len(columns)
        for row in stored:
            position, rid = owners[tuple(row[:width])]
            if rid != row[width]:
                message = (
                    f"{', '.join(columns)} = {row[:width]} is already used by record {row[width]}"
                )
                self.fail(position, ", ".join(columns), message, "DuplicateValue")

    def _check_lookups(self, plan: Plan) -> None:
        """Fail the records whose lookups point at records that do not exist."""
        lookups = [f for f in self.entity.lookups if any(f.name in g.columns for g in self.groups)]
        if not lookups:
            return
        members = gathered(self._written(plan))
        for lookup in lookups:
            referenced: dict[int, list[int]] = {}
            for group, _, indexes in members:
                if lookup.name not in group.columns:
                    continue
                column = group.values[group.columns.index(lookup.name)]
                for i in indexes:
                    value = column[i]
                    if value is not None:
                        referenced.setdefault(value, []).append(group.positions[i])
            if referenced:
                self._check_targets(lookup, referenced)

    def _check_targets(self, lookup: Field, referenced: dict[int, list[int]]) -> None:
        assert lookup.target is not None
        target = self.ctx.model.entity(lookup.target)
        table = self.ctx.db.table(target.name)
        found = rows_store.existing_ids(self.ctx.conn, table, list(referenced))
        for value, positions in referenced.items():
            if value not in found:
                for position in positions:
                    message = f"{target.name} record {value} does not exist"
                    self.fail(position, lookup.name, message, "DanglingLookup")

    # -- writing -------------------------------------------------------------------------

    def _apply(
        self, plan: Plan, size: int, errors: list[RecordError], match: list[str]
    ) -> WriteResult:
        self.plan = plan
        outcomes = [Outcome.FAILED] * size
        record_ids: list[int | None] = [None] * size
        versions: list[int | None] = [None] * size
        unchanged = plan.unchanged
        if len(unchanged) == size and not self.failed and list(unchanged) == list(range(size)):
            # the whole batch is unchanged, in order (a repeated load): no loop per record
            outcomes = [Outcome.UNCHANGED] * size
            record_ids = list(map(itemgetter(0), unchanged.values()))
            versions = list(map(itemgetter(1), unchanged.values()))
        else:
            for position, (rid, version) in unchanged.items():
                if position not in self.failed:
                    outcomes[position] = Outcome.UNCHANGED
                    record_ids[position], versions[position] = rid, version
        inserts, updates = plan.inserts, plan.updates
        if self.failed:
            inserts = [(g, i) for g, i in inserts if g.positions[i] not in self.failed]
            updates = [(g, i, r) for g, i, r in updates if g.positions[i] not in self.failed]
        total = len(inserts) + len(updates)
        if total == 0:
            return WriteResult(outcomes, record_ids, versions, errors)
        db, conn = self.ctx.db, self.ctx.conn
        position = db.allocate(conn, CHANGE_SEQUENCE, total)
        now = now_param(self.ctx)
        if inserts:
            count = len(inserts)
            first_id = db.allocate(conn, record_sequence(self.entity.name), count)
            ids = range(first_id, first_id + count)
            numbers = range(position, position + count)
            placed = positions_of(inserts)
            if placed == range(size):  # the whole batch is new, in order: no loop per record
                outcomes = [Outcome.INSERTED] * size
                record_ids, versions = list[int | None](ids), list[int | None](numbers)
            else:
                for p, rid, version in zip(placed, ids, numbers, strict=True):
                    outcomes[p], record_ids[p], versions[p] = Outcome.INSERTED, rid, version
            self._insert(inserts, first_id, position, now)
            position += count
        for n, (group, i, rid) in enumerate(updates):
            p = group.positions[i]
            outcomes[p], record_ids[p], versions[p] = Outcome.UPDATED, rid, position + n
        self._update(updates, position, now, match)
        return WriteResult(outcomes, record_ids, versions, errors)

    def _extra_insert_columns(self, group: Group) -> list[tuple[str, Field]]:
        """Columns an insert adds to what the group provides: defaults and AutoNumbers."""
        extra = []
        for field_ in self.entity.fields:
            if field_.is_compound or field_.name in group.columns:
                continue
            if field_.default is not None or field_.type is FieldType.AUTONUMBER:
                extra.append((field_.name, field_))
        return extra

    def _insert(
        self, inserts: list[tuple[Group, int]], first_id: int, first_position: int, now: Any
    ) -> None:
        """One executemany per group, its rows zipped from whole columns in table order."""
        user = self.ctx.user
        for group, numbers, members in gathered(inserts):
            count = len(members)
            columns: dict[str, list[Any]] = {
                RECORD_ID: shifted(numbers, first_id),
                CREATED_BY: [user] * count,
                CREATED_ON: [now] * count,
                MODIFIED_BY: [user] * count,
                MODIFIED_ON: [now] * count,
                VERSION: shifted(numbers, first_position),
            }
            columns.update(self._given_columns(group, members))
            columns.update(self._extra_columns(group, count))
            ordered = rows_store.column_order(self.table, columns)
            rows = list(zip(*(columns[c] for c in ordered), strict=True))
            rows_store.insert_rows(self.ctx.db, self.ctx.conn, self.table, ordered, rows)

    def _given_columns(self, group: Group, members: list[int]) -> dict[str, list[Any]]:
        """The members' given columns, defaults and AutoNumbers filled in where empty.

        A column every record leaves empty (and nothing fills) is left out: it stays NULL
        without binding a parameter per row, which is most of the cost of a sparse row.
        """
        whole = members == list(range(len(group.positions)))
        fills = dict(self._default_fills(group))
        out: dict[str, list[Any]] = {}
        for index, (column, values) in enumerate(zip(group.columns, group.values, strict=True)):
            field_ = fills.get(index)
            if column in group.empty and field_ is None:
                continue
            picked = values if whole else [values[i] for i in members]
            if field_ is not None and None in picked:
                picked = self._filled(field_, picked)
            out[column] = picked
        return out

    def _filled(self, field_: Field, values: list[Any]) -> list[Any]:
        """A copy of a column with its empty values replaced by the default or AutoNumbers."""
        empty = [n for n, value in enumerate(values) if value is None]
        if field_.type is FieldType.AUTONUMBER:
            reserved = self._given(field_.name)
            new = autonumber_values(self.ctx, self.entity, field_, len(empty), reserved)
        else:
            new = [self.codec.canonical_param(field_.name, field_.default)] * len(empty)
        filled = list(values)
        for n, value in zip(empty, new, strict=True):
            filled[n] = value
        return filled

    def _default_fills(self, group: Group) -> list[tuple[int, Field]]:
        """The group's columns whose empty values an insert fills: defaults and AutoNumbers."""
        fills = []
        for index, column in enumerate(group.columns):
            field_ = self.entity.field_or_none(column)
            if field_ is not None and (
                field_.default is not None or field_.type is FieldType.AUTONUMBER
            ):
                fills.append((index, field_))
        return fills

    def _extra_columns(self, group: Group, count: int) -> dict[str, list[Any]]:
        """Columns the group does not give that an insert fills: defaults and AutoNumbers."""
        columns: dict[str, list[Any]] = {}
        for name, field_ in self._extra_insert_columns(group):
            if field_.type is FieldType.AUTONUMBER:
                reserved = self._given(field_.name)
                columns[name] = autonumber_values(self.ctx, self.entity, field_, count, reserved)
            else:
                columns[name] = [self.codec.canonical_param(field_.name, field_.default)] * count
        return columns

    def _given(self, column: str) -> frozenset[Any]:
        """The values this batch writes explicitly into a column."""
        return frozenset(
            group.rows[i][group.columns.index(column)]
            for group, i, _ in self._written(self.plan)
            if column in group.columns
        ) - {None}

    def _update(
        self,
        updates: list[tuple[Group, int, int]],
        first_position: int,
        now: Any,
        match: list[str],
    ) -> None:
        """One executemany per group, leaving the match columns out of the SET list.

        Each stored row was found by its match value, so those columns are equal by
        construction; writing them anyway makes the database rewrite their unique index
        entries too (about a third of an update's cost on SQLite).
        """
        user = self.ctx.user
        for group, numbers, members in gathered(updates):
            kept = [n for n, column in enumerate(group.columns) if column not in match]
            count = len(members)
            columns = [*(group.columns[n] for n in kept), MODIFIED_BY, MODIFIED_ON, VERSION]
            values = [list(map(group.values[n].__getitem__, members)) for n in kept]
            rids = [updates[n][2] for n in numbers]
            versions = shifted(numbers, first_position)
            rows = zip(*values, [user] * count, [now] * count, versions, rids, strict=True)
            rows_store.update_rows(self.ctx.conn, self.table, columns, list(rows))


def _as_tuple(value: Any) -> tuple[Any, ...]:
    """itemgetter returns a bare value for one index; make it a tuple either way."""
    return value if isinstance(value, tuple) else (value,)


def autonumber_values(
    ctx: WriteContext,
    entity: Entity,
    field_: Field,
    count: int,
    reserved: frozenset[Any] = frozenset(),
) -> list[str]:
    """`count` new values of an AutoNumber field: prefix plus a zero-padded sequence number.

    A unique AutoNumber skips numbers whose value is already taken, by a stored record or by
    a value given explicitly in this batch (`reserved`): imported records keep the numbers
    they bring, and generated ones never collide with them.
    """
    unique = field_.unique or (field_.name,) in entity.keys.values()
    sequence = autonumber_sequence(entity.name, field_.name)
    prefix = field_.prefix or ""
    table = ctx.db.table(entity.name)
    out: list[str] = []
    while len(out) < count:
        need = count - len(out)
        first = ctx.db.allocate(ctx.conn, sequence, need)
        values = [f"{prefix}{n:0{field_.digits}d}" for n in range(first, first + need)]
        if unique:
            stored = rows_store.fetch_by_values(
                ctx.conn, table, [field_.name], [(v,) for v in values], []
            )
            taken = reserved | {row[0] for row in stored}
            values = [v for v in values if v not in taken]
        out += values
    return out
