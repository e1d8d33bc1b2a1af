"""Import and export of one entity's records as CSV or Excel files (cds-model.md section 14).

An import maps the file's columns to fields (by name, or as the user maps them), then writes
the rows in batches inside ONE write transaction: by default a bad row anywhere means nothing
is written, and the report lists every bad row by its row number in the file, not just the
first batch's. Rows are matched by the entity's primary key when the file carries it, so
importing the same file twice reports every row unchanged. An export writes what an import
reads back: compound fields as `Field/Part` columns, picklists by item name, ISO dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Any

from commonground.errors import DefinitionError, RecordError, RecordValidationError
from commonground.model.entity import RECORD_ID, Entity
from commonground.security.caller import SYSTEM, Caller
from commonground.service.columns import Matching, Target, choose_matching, plan_columns
from commonground.service.environment import Environment, Transaction
from commonground.service.inference import infer_entity
from commonground.service.tabular import NumberedRow, Sheet, write_csv, write_xlsx
from commonground.service.writes import WriteResult
from commonground.settings import setting

Progress = Callable[[int], None]


@dataclass
class ImportResult:
    """What an import did: row counts and every rejected row (RecordError.index = row number)."""

    entity: str
    matching: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Rows rejected (written nowhere)."""
        return len({e.index for e in self.errors})

    def add(self, result: WriteResult, rows: Sequence[int]) -> None:
        """Count a batch's outcomes; its errors are re-addressed to file row numbers."""
        self.inserted += result.inserted
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.errors += [
            RecordError(rows[e.index], e.field, e.message, e.code, e.record_key)
            for e in result.errors
        ]


class ImportRejectedError(RecordValidationError):
    """Rows of a file are invalid, so nothing was written; each error's index is a row number."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(result.entity, result.errors)
        self.result = result


def batch_size_setting() -> int:
    """Records per batch: COMMONGROUND_BATCH_SIZE (default 5000)."""
    raw = setting("batch_size") or "5000"
    if not raw.isdigit() or int(raw) < 1:
        raise DefinitionError(
            f"COMMONGROUND_BATCH_SIZE must be a positive whole number, not {raw!r}"
        )
    return int(raw)


def import_sheet(
    env: Environment,
    entity_name: str,
    sheet: Sheet,
    mapping: Mapping[str, str] | None = None,
    key: str | None = None,
    skip_errors: bool = False,
    create: bool = False,
    on_rows: Progress | None = None,
    caller: Caller = SYSTEM,
) -> ImportResult:
    """Write a file's rows into an entity in one transaction (see the module docstring).

    Without `skip_errors`, any bad row raises ImportRejectedError listing all bad rows, and
    nothing is written. With it, good rows are written and the bad ones are in the result.
    `create` inserts every row without matching (for a new, empty entity).
    """
    entity = env.model.entity(entity_name)
    plan = plan_columns(entity, sheet.header, mapping or {})
    matching = Matching(None) if create else choose_matching(entity, plan, key)
    result = ImportResult(entity.name, matching.describe())
    size = batch_size_setting()
    with env.transaction(caller) as tx:
        for batch in _batches(sheet.rows(), size):
            rows = [number for number, _ in batch]
            records = [plan.record(cells) for _, cells in batch]
            _write(tx, entity.name, matching, rows, records, result)
            result.rows += len(batch)
            if on_rows is not None:
                on_rows(len(batch))
        result.errors.sort(key=lambda e: e.index)
        if result.errors and not skip_errors:
            raise ImportRejectedError(result)  # raised inside the block: everything rolls back
    return result


def _batches(rows: Iterator[NumberedRow], size: int) -> Iterator[list[NumberedRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _write(
    tx: Transaction,
    entity: str,
    matching: Matching,
    rows: list[int],
    records: list[dict[str, Any]],
    result: ImportResult,
) -> None:
    """One batch. Failing rows are always skipped here; the caller decides what that means.

    With generated keys (AutoNumber, RecordId), rows that leave the key empty are created;
    the others are upserted first, so the numbers generated afterwards skip the given ones.
    """
    if matching.key is None:
        result.add(tx.create(entity, records, skip_errors=True), rows)
        return
    key = None if matching.key == (RECORD_ID,) else list(matching.key)
    fresh: set[int] = set()
    if matching.generated:
        fresh = {i for i, r in enumerate(records) if all(r.get(k) is None for k in matching.key)}
    known = [i for i in range(len(records)) if i not in fresh]
    if known:
        written = tx.upsert(entity, [records[i] for i in known], key, skip_errors=True)
        result.add(written, [rows[i] for i in known])
    if fresh:
        new = sorted(fresh)
        created = [_without(records[i], matching.key) for i in new]
        result.add(tx.create(entity, created, skip_errors=True), [rows[i] for i in new])


def _without(record: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    drop = set(names)
    return {k: v for k, v in record.items() if k not in drop}


def import_new_entity(
    env: Environment,
    name: str,
    sheet: Sheet,
    key: str | None = None,
    renames: Mapping[str, str] | None = None,
    skip_errors: bool = False,
    on_rows: Progress | None = None,
    caller: Caller = SYSTEM,
) -> tuple[Entity, ImportResult]:
    """Create a custom entity inferred from a file (see `inference`), then import the file.

    If the import fails the entity is dropped again: a rejected file leaves no trace.
    """
    inferred = infer_entity(name, sheet, key, renames)
    entity = env.create_entity(inferred.entity, caller)
    mapping = {column: inferred.columns.get(column, "") for column in sheet.header if column}
    try:
        result = import_sheet(
            env,
            entity.name,
            sheet,
            mapping,
            skip_errors=skip_errors,
            create=True,
            on_rows=on_rows,
            caller=caller,
        )
    except BaseException:
        env.drop_entity(entity.name, caller)
        raise
    return entity, result


class ExportFormat(StrEnum):
    """File formats an export writes."""

    CSV = "csv"
    XLSX = "xlsx"


def export_header(entity: Entity) -> list[Target]:
    """The exported columns: declared fields in order, compound fields as their parts."""
    out: list[Target] = []
    for field_ in entity.fields:
        if field_.is_compound:
            out += [Target(field_, part.name) for part in field_.parts]
        else:
            out.append(Target(field_))
    return out


def export_entity(
    env: Environment,
    entity_name: str,
    path: Path,
    file_format: ExportFormat,
    on_rows: Progress | None = None,
    caller: Caller = SYSTEM,
) -> int:
    """Write every record of an entity to a file; returns how many were written.

    The file appears only when complete: it is written under a temporary name first.
    """
    entity = env.model.entity(entity_name)
    env.codec(entity.name)  # reads find codecs only once built: an opened env has none yet
    columns = export_header(entity)
    count = 0

    def rows() -> Iterator[list[Any]]:
        nonlocal count
        for batch in env.scan(entity.name, batch_size_setting(), caller):
            for record in batch:
                yield [_export_value(record, target) for target in columns]
            count += len(batch)
            if on_rows is not None:
                on_rows(len(batch))

    partial = path.with_name(path.name + ".partial")
    header = [target.label for target in columns]
    try:
        if file_format is ExportFormat.CSV:
            write_csv(partial, header, rows())
        else:
            write_xlsx(partial, entity.name, header, rows())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def _export_value(record: Mapping[str, Any], target: Target) -> Any:
    value = record.get(target.field.name)
    if target.part is not None and isinstance(value, dict):
        return value.get(target.part)
    return value
