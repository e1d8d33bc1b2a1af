"""Checks of a leg before a run, reported with the original's DIPV codes (section 22).

Every problem `compile_leg` would raise is found here first, with all the others, so a project
run can list everything wrong at once ("Project validation step"). Codes used:

    DIPV1003  no integration key for the destination entity
    DIPV1010  a mandatory destination field is not mapped
    DIPV1011  a read-only destination field is mapped
    DIPV1012  the source filter does not parse
    DIPV1014  an integration key field is not mapped
    DIPV1015  a lookup cannot be resolved: not a lookup, no target, unknown target, or a
              lookup written without its key field
    DIPV1021  a row without a source field and without a default
    DIPV1022  a source field is missing from the schema
    DIPV1023  duplicate rows (same source and destination)
    DIPV1024  a row without a destination field
    DIPV1025  a destination field is missing from the schema
    DIPV1026  duplicate destination fields
    DIPV1028  a source path follows a field that is not a lookup, or a lookup without a
              target it can read from (source side of DIPV1015)
    DIPV1029  duplicate value map keys (compared case-insensitively)
    DIPV1030  data type mismatch
    DIPV1031  a mandatory destination field without a source has no Default transform

Product codes, for what the original had no code for:

    CGV1001   a transform array is malformed (unknown transformType, missing valueMap, ...)
    CGV1002   a field reference does not parse
    CGV1003   the advanced query is not a single SELECT or does not run
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind
from commonground.integration.definitions import FieldMapping, Leg
from commonground.integration.mapping.advanced import QueryError, query_entity
from commonground.integration.mapping.coercion import compatible
from commonground.integration.mapping.filters import filter_problem
from commonground.integration.mapping.paths import FieldPath, PathError, declared_target, parse_path
from commonground.integration.mapping.plan import with_blank_source_as_none
from commonground.integration.mapping.related import related_targets
from commonground.integration.mapping.transforms import (
    CountryRegionCode,
    Default,
    TransformError,
    ValueMap,
    duplicate_keys,
    parse_transforms,
)


@dataclass(frozen=True)
class Problem:
    """One validation finding: a DIPV (or CGV) code, the task, the field concerned, a message."""

    code: str
    task: str
    field: str | None
    message: str


Report = Callable[[str, str | None, str], None]


def validate_leg(
    task: str,
    leg: Leg,
    source: EntityInfo,
    destination: EntityInfo,
    key: Sequence[str] | None,
    filter: str | None = None,
    query: str | None = None,
) -> list[Problem]:
    """Every problem of one leg; an empty list means `compile_leg` will succeed."""
    problems: list[Problem] = []

    def report(code: str, field: str | None, message: str) -> None:
        problems.append(Problem(code, task, field, message))

    if filter:
        problem = filter_problem(source, filter)
        if problem:
            report("DIPV1012", None, f"Source filter cannot be parsed: {problem}")
    sources: EntityInfo | None = source
    if query:
        try:
            sources = query_entity(query, source, task)
        except QueryError as exc:
            report("CGV1003", None, str(exc))
            sources = None
    if not key:
        report("DIPV1003", None, f"Integration keys are missing for {destination.name}")
    written: dict[str, str | None] = {}  # folded destination field or path -> folded source
    for mapping in leg.mappings:
        _check_row(with_blank_source_as_none(mapping), sources, destination, written, report)
    for field in destination.fields:
        folded = field.name.lower()
        organization = (destination.organization_field or "").lower()
        unmapped = folded not in written and folded != organization
        if field.required and not field.read_only and unmapped:
            message = f"Mandatory destination field {field.name} must be mapped"
            report("DIPV1010", field.name, message)
    for name in key or ():
        if name.lower() not in written:
            report("DIPV1014", name, f"Mapping missing for integration key field {name}")
    return problems


def _check_row(
    mapping: FieldMapping,
    source: EntityInfo | None,
    destination: EntityInfo,
    written: dict[str, str | None],
    report: Report,
) -> None:
    label = f"{mapping.source or 'None'} -> {mapping.destination}"
    source_field = _check_source(mapping, source, report)
    if not mapping.destination.strip():
        report("DIPV1024", mapping.source, f"Destination field missing in mapping {label}")
        return
    path = _parse(mapping.destination, report)
    if path is None:
        return
    target = destination.field(path.field)
    if target is None:
        report("DIPV1025", path.field, f"Missing destination field {path.field} in the schema")
        return
    _check_destination(mapping, path, target, written, report)
    has_default, typed, produced = _check_transforms(mapping, label, target, path, report)
    if mapping.source is None and not has_default:
        if target.required:
            message = f"Mandatory destination field {target.name} has no source and no Default"
            report("DIPV1031", target.name, message)
        else:
            message = f"Source field missing in mapping {label}: map a field or add a Default"
            report("DIPV1021", target.name, message)
    if path.is_lookup:
        _check_lookup(path, target, report)
    elif target.kind is ValueKind.LOOKUP:
        if source_field is None or source_field.kind is not ValueKind.LOOKUP:
            message = (
                f"Mapping missing for the key fields of lookup {target.name}: "
                f"map {target.name}.<key field>"
            )
            report("DIPV1015", target.name, message)
    elif source_field is not None and typed:
        kind = produced or source_field.kind
        if not compatible(kind, target.kind):
            message = (
                f"Data type mismatch: source field {source_field.name} is {kind}, "
                f"destination field {target.name} is {target.kind}"
            )
            report("DIPV1030", target.name, message)


def _check_source(
    mapping: FieldMapping, source: EntityInfo | None, report: Report
) -> FieldInfo | None:
    """The source field of a plain source (None for None, a path, or a problem)."""
    if mapping.source is None or source is None:
        return None
    path = _parse(mapping.source, report)
    if path is None:
        return None
    field = source.field(path.field)
    if field is None:
        report("DIPV1022", path.field, f"Missing source field {path.field} in the schema")
        return None
    if path.is_lookup:
        if field.kind is not ValueKind.LOOKUP:
            message = f"Source field {field.name} is not a lookup, so {path} cannot be read"
            report("DIPV1028", field.name, message)
        elif not related_targets(path, field):
            message = f"Lookup {field.name} has no target entity from which to read {path}"
            report("DIPV1028", field.name, message)
        return None
    return field


def _check_destination(
    mapping: FieldMapping,
    path: FieldPath,
    target: FieldInfo,
    written: dict[str, str | None],
    report: Report,
) -> None:
    if target.read_only:
        message = f"Read-only destination field {target.name} must not be mapped"
        report("DIPV1011", target.name, message)
    folded = target.name.lower()
    source = mapping.source.lower() if mapping.source else None
    if folded in written:
        if written[folded] == source:
            message = f"Duplicate source fields - {mapping.source} mapped twice to {target.name}"
            report("DIPV1023", mapping.source, message)
        else:
            message = f"Duplicate destination fields - {target.name} present in the mapping"
            report("DIPV1026", mapping.source, message)
        return
    written[folded] = source
    written.setdefault(str(path).lower(), source)


def _check_transforms(
    mapping: FieldMapping, label: str, target: FieldInfo, path: FieldPath, report: Report
) -> tuple[bool, bool, ValueKind | None]:
    """Check one row's transforms and say what they do to its value.

    Returns (has default, whether the output kind is known, that kind or None for the source's).
    A ValueMap may produce anything, and transforms that do not parse are not type checked.
    """
    spec: Any = mapping.transform
    if spec is None:
        return False, True, None
    duplicates = False
    for item in spec if isinstance(spec, list) else ():
        value_map = item.get("valueMap") if isinstance(item, dict) else None
        for name in duplicate_keys(value_map) if isinstance(value_map, dict) else ():
            duplicates = True
            message = f"Duplicate value map - key '{name}' present in the mapping {label}"
            report("DIPV1029", target.name, message)
    if duplicates:
        return True, False, None
    try:
        transforms = parse_transforms(
            spec,
            mapping=label,
            field=mapping.source or mapping.destination,
            max_length=None if path.is_lookup else target.max_length,
        )
    except TransformError as exc:
        report("CGV1001", target.name, str(exc))
        return True, False, None
    has_default = any(
        isinstance(t, Default) or (isinstance(t, ValueMap) and t.has_blank) for t in transforms
    )
    if any(isinstance(t, ValueMap) for t in transforms):
        return has_default, False, None
    if any(isinstance(t, CountryRegionCode) for t in transforms):
        return has_default, True, ValueKind.TEXT
    return has_default, True, None


def _check_lookup(path: FieldPath, target: FieldInfo, report: Report) -> None:
    if target.kind is not ValueKind.LOOKUP:
        message = f"{target.name} is not a lookup field, so {path} cannot be resolved"
        report("DIPV1015", target.name, message)
        return
    if path.key and not target.targets:
        message = f"Lookup {target.name} declares no target entity for {path}"
        report("DIPV1015", target.name, message)
        return
    for entity in path.targets:
        if target.targets and declared_target(entity.entity, target.targets) is None:
            message = (
                f"Lookup {target.name} cannot reference {entity.entity} "
                f"(its targets are {', '.join(target.targets)})"
            )
            report("DIPV1015", target.name, message)


def _parse(text: str, report: Report) -> FieldPath | None:
    try:
        return parse_path(text)
    except PathError as exc:
        report("CGV1002", text, str(exc))
        return None
