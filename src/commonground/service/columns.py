"""A file's columns matched to an entity's fields, and how its rows find stored records.

Columns match fields by name, case-insensitively, with compound parts as `Field/Part` or
`Field_Part`; the user's --map overrides a name or skips a column. Problems are collected and
raised together, so a user fixes a file in one go rather than one column per attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from commonground.errors import DefinitionError, NotFoundError
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.model.field import Field
from commonground.model.types import FieldType
from commonground.service.tabular import cell_value


@dataclass(frozen=True)
class Target:
    """Where a column goes: a field, or one part of a compound field."""

    field: Field
    part: str | None = None

    @property
    def scalar(self) -> Field:
        """The scalar field the column's values are converted for."""
        if self.part is None:
            return self.field
        return self.field.part_field(next(p for p in self.field.parts if p.name == self.part))

    @property
    def label(self) -> str:
        """How reports name the target: `Field` or `Field/Part`."""
        return self.field.name if self.part is None else f"{self.field.name}/{self.part}"


def targets_of(entity: Entity) -> dict[str, Target | None]:
    """Every column name an entity accepts (lower case); None marks a read-only system field.

    Compound parts are accepted as `Field/Part` and `Field_Part`, and a Currency field's own
    name stands for its amount, as the service accepts a bare number for a Currency.
    """
    names: dict[str, Target | None] = {}
    for field_ in entity.all_fields:
        if field_.system:
            writable = field_.name in (RECORD_ID, VERSION)
            names[field_.name.lower()] = Target(field_) if writable else None
        elif field_.is_compound:
            for part in field_.parts:
                for sep in ("/", "_"):
                    names[f"{field_.name}{sep}{part.name}".lower()] = Target(field_, part.name)
            if field_.type is FieldType.CURRENCY:
                names[field_.name.lower()] = Target(field_, "Amount")
        else:
            names[field_.name.lower()] = Target(field_)
    return names


@dataclass(frozen=True)
class ColumnPlan:
    """Which cell of a row fills which field; turns rows into the records the service takes."""

    entity: Entity
    targets: tuple[tuple[int, Target], ...]

    @property
    def fields(self) -> set[str]:
        """The names of the scalar fields the file provides."""
        return {t.field.name for _, t in self.targets if t.part is None}

    def record(self, cells: Sequence[Any]) -> dict[str, Any]:
        """One record: scalar fields by name, compound fields as dicts of their parts."""
        record: dict[str, Any] = {}
        for position, target in self.targets:
            value = cell_value(target.scalar, cells[position])
            if target.part is None:
                record[target.field.name] = value
            else:
                record.setdefault(target.field.name, {})[target.part] = value
        return record


def plan_columns(entity: Entity, header: Sequence[str], mapping: Mapping[str, str]) -> ColumnPlan:
    """Match columns to fields; `mapping` (column -> field, or "" to skip) overrides names.

    Every problem is collected before one error is raised, so a user fixes the file once:
    columns that match no field, mapped names that are not fields, read-only system fields
    and two columns filling the same field.
    """
    accepted = targets_of(entity)
    overrides = {column.lower(): name for column, name in mapping.items()}
    absent = sorted(set(overrides) - {h.lower() for h in header if h})
    problems = (
        [f"--map names columns the file does not have: {', '.join(absent)}"] if absent else []
    )
    unknown: list[str] = []
    read_only: list[str] = []
    targets: list[tuple[int, Target]] = []
    used: dict[str, str] = {}
    for position, column in enumerate(header):
        name = overrides.get(column.lower(), column)
        if not column or not name:
            continue  # no header (Sheet checks the column is empty) or skipped with --map
        if name.lower() not in accepted:
            if name == column:
                unknown.append(column)
            else:
                problems.append(f"--map {column}={name}: {entity.name} has no such field")
            continue
        target = accepted[name.lower()]
        if target is None:
            read_only.append(column)
        elif target.label in used:
            problems.append(
                f"columns '{used[target.label]}' and '{column}' both fill {target.label}"
            )
        else:
            used[target.label] = column
            targets.append((position, target))
    if unknown:
        problems.append(
            f"columns that are not fields of {entity.name}: {', '.join(unknown)} "
            "(map them with --map column=Field, or skip them with --map column=)"
        )
    if read_only:
        problems.append(f"columns of read-only system fields: {', '.join(read_only)}")
    if problems:
        raise DefinitionError("; ".join(problems))
    return ColumnPlan(entity, tuple(targets))


@dataclass(frozen=True)
class Matching:
    """How rows find stored records: by an alternate key, by RecordId, or not at all."""

    key: tuple[str, ...] | None
    generated: bool = False  # rows without key values are created and get generated keys

    def describe(self) -> str:
        """For the summary: what the import did with existing records."""
        return "create" if self.key is None else f"upsert by {', '.join(self.key)}"


def choose_matching(entity: Entity, plan: ColumnPlan, key: str | None) -> Matching:
    """The key named with --key, else RecordId or the primary key when the file has them."""
    provided = {name.lower() for name in plan.fields}
    if key is not None:
        fields = entity.key_fields(key)
        single = entity.field_or_none(key)
        if fields is None and single is not None and (single.unique or single.name == RECORD_ID):
            fields = (single.name,)
        if fields is None:
            raise NotFoundError(
                "Key", key, f"{entity.name} (keys: {', '.join(entity.keys) or 'none'})"
            )
        missing = [f for f in fields if f.lower() not in provided]
        if missing:
            raise DefinitionError(f"key {key}: the file has no column for {', '.join(missing)}")
    elif RECORD_ID.lower() in provided:
        fields = (RECORD_ID,)
    elif entity.primary_key and all(f.lower() in provided for f in entity.primary_key):
        fields = entity.primary_key
    else:
        return Matching(None)
    kinds = [entity.field_or_none(f) for f in fields]
    generated = all(
        k is not None and (k.type is FieldType.AUTONUMBER or k.name == RECORD_ID) for k in kinds
    )
    return Matching(tuple(fields), generated)
