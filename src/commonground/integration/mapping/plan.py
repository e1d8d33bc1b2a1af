"""A leg's field mapping compiled once into steps, then applied to batches in a tight loop.

`compile_leg` checks the mapping against both entities and builds, per destination field, the
source record key to read and one callable (transforms, then a safe conversion to the
destination kind); plain copies of same-kind fields need no callable at all. `LegPlan.apply`
maps a batch; a record whose value a transform rejects, or whose integration key is blank, is
left out and reported by its position in the input. Destination lookups written
`lookup.keyfield` or polymorphically keep their key value until `resolve_lookups` replaces it by
the destination's reference, asking the engine's `resolve` callback once per (entity, key) with
the batch's distinct values and trying polymorphic targets in order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import compress
from operator import itemgetter
from typing import Any

from commonground.errors import DefinitionError
from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind
from commonground.integration.definitions import FieldMapping, Leg
from commonground.integration.mapping.advanced import query_entity
from commonground.integration.mapping.coercion import Coerce, coercer
from commonground.integration.mapping.paths import FieldPath, Target, declared_target, parse_path
from commonground.integration.mapping.related import (
    Fetch,
    RelatedKey,
    fill_related,
    related_targets,
)
from commonground.integration.mapping.transforms import (
    Apply,
    ValueRejectedError,
    chain,
    is_blank,
    parse_transforms,
)
from commonground.integration.records import RecordMaker

KeyValues = tuple[Any, ...]
Resolve = Callable[[str, list[str], list[KeyValues]], dict[KeyValues, Any]]


class MappingError(DefinitionError):
    """A mapping cannot be compiled against the entities (names a field that is not there)."""

    code = "InvalidMapping"


@dataclass(frozen=True)
class MappingFailure:
    """Why one input record is not in the batch: its input position, the fields, a message."""

    position: int
    source_field: str | None
    destination_field: str
    message: str


@dataclass
class PendingLookup:
    """Key values still to resolve for one destination lookup field.

    `rows` index `MappedBatch.records`; `values[i]` is the key tuple of row `rows[i]`, tried
    against `targets` in order.
    """

    field: str
    path: str
    source_field: str | None
    targets: tuple[Target, ...]
    rows: list[int] = dataclasses.field(default_factory=list)
    values: list[KeyValues] = dataclasses.field(default_factory=list)


@dataclass
class MappedBatch:
    """A mapped batch: destination records, the input position of each, failures, lookups."""

    records: list[dict[str, Any]]
    positions: list[int]
    failures: list[MappingFailure]
    lookups: list[PendingLookup]


@dataclass(frozen=True)
class _Lookup:
    field: str
    path: str
    source_field: str | None
    targets: tuple[Target, ...]


class LegPlan:
    """The compiled mapping of one leg; build it with `compile_leg`."""

    def __init__(
        self,
        leg: Leg,
        sources: tuple[FieldPath, ...],
        copies: tuple[tuple[str, str | None], ...],
        steps: tuple[tuple[str, str | None, Apply, int], ...],
        lookups: tuple[_Lookup, ...],
        key: tuple[str, ...],
        labels: tuple[tuple[str | None, str], ...],
        related: tuple[RelatedKey, ...] = (),
    ) -> None:
        self.leg = leg
        self._related = related
        self._sources = sources
        self._copies = copies
        self._steps = steps
        self._lookups = lookups
        self._key = key
        self._labels = labels
        self._records = RecordMaker([*(d for d, _ in copies), *(s[0] for s in steps)])

    def source_paths(self) -> tuple[FieldPath, ...]:
        """The source fields to read; a lookup path's value is read into the key `str(path)`."""
        return self._sources

    def source_fields(self) -> tuple[str, ...]:
        """The source record keys the plan reads (plain names and `lookup.keyfield` paths)."""
        return tuple(str(p) for p in self._sources)

    def read_fields(self) -> tuple[str, ...]:
        """The fields to request from the source connector: a lookup path's lookup field."""
        names = (p.field if p.is_lookup else str(p) for p in self._sources)
        return tuple(dict.fromkeys(names))

    def fill_related(self, records: Sequence[dict[str, Any]], fetch: Fetch) -> None:
        """Put the value of each source `lookup.keyfield` path into the records (in place).

        `fetch(entity, references, fields)` is the source's `Connector.fetch`; it is called once
        per path and target entity. Call it on the records that go into `apply` (after an
        advanced query, if any). Nothing happens when the mapping reads no such path.
        """
        if self._related and records:
            fill_related(records, self._related, fetch)

    def destination_fields(self) -> tuple[str, ...]:
        """The destination fields every mapped record holds."""
        return tuple(d for d, _ in self._copies) + tuple(s[0] for s in self._steps)

    @property
    def key(self) -> tuple[str, ...]:
        """The destination fields of the integration key (their spelling in the entity)."""
        return self._key

    def apply(self, records: Sequence[dict[str, Any]]) -> MappedBatch:
        """Map one batch; failed records are left out and reported by input position.

        The batch is mapped a destination field at a time (one pass over the batch per field,
        the callable mapped over the whole column); only a column in which some value is
        rejected is redone value by value, to find which records fail. A record is reported
        once, for the first field (in mapping order) that rejects it.
        """
        names: list[str] = []
        columns: list[list[Any]] = []
        failed: dict[int, MappingFailure] = {}
        for destination, source in self._copies:
            names.append(destination)
            columns.append(_column(records, source))
        for destination, source, convert, label in self._steps:
            names.append(destination)
            columns.append(self._converted(_column(records, source), convert, label, failed))
        for name in self._key:
            column = columns[names.index(name)]
            for position in _blank_positions(column):
                if position not in failed:
                    message = (
                        f"{name} is empty: records without an integration key value are skipped"
                    )
                    failed[position] = MappingFailure(position, None, name, message)
        positions = list(range(len(records)))
        if failed:
            kept = [position not in failed for position in positions]
            positions = list(compress(positions, kept))
            columns = [list(compress(column, kept)) for column in columns]
        out_records = self._records.from_columns(columns, len(positions))
        failures = [failed[position] for position in sorted(failed)]
        return MappedBatch(out_records, positions, failures, self._pending(out_records))

    def _converted(
        self, values: list[Any], convert: Apply, label: int, failed: dict[int, MappingFailure]
    ) -> list[Any]:
        """A column through its step; a value the step rejects fails its record."""
        try:
            return list(map(convert, values))
        except ValueRejectedError:
            pass
        out: list[Any] = []
        source, destination = self._labels[label]
        for position, value in enumerate(values):
            try:
                out.append(convert(value))
            except ValueRejectedError as exc:
                out.append(None)
                if position not in failed:
                    failed[position] = MappingFailure(position, source, destination, str(exc))
        return out

    def _pending(self, records: list[dict[str, Any]]) -> list[PendingLookup]:
        pending: list[PendingLookup] = []
        for spec in self._lookups:
            lookup = PendingLookup(spec.field, spec.path, spec.source_field, spec.targets)
            name = spec.field
            for row, out in enumerate(records):
                value = out[name]
                if is_blank(value):
                    out[name] = None
                    continue
                lookup.rows.append(row)
                lookup.values.append(_key_values(value))
            pending.append(lookup)
        return pending

    def resolve_lookups(self, mapped: MappedBatch, resolve: Resolve) -> MappedBatch:
        """Replace lookup key values by references; records with an unknown value are dropped.

        `resolve(entity, key, values)` returns the references of the records found, keyed by
        the given tuples. It is called once per (entity, key) with the distinct values: a
        polymorphic lookup's next target is asked only for the values the earlier ones lacked,
        and a target that another lookup reaches later waits for those values too. Updates
        `mapped` in place and returns it.
        """
        open_rows = [dict(zip(p.rows, p.values, strict=True)) for p in mapped.lookups]
        stages = [0] * len(mapped.lookups)
        answers = _Answers(resolve)
        while True:
            live = [
                (index, lookup.targets[stages[index]])
                for index, lookup in enumerate(mapped.lookups)
                if open_rows[index] and stages[index] < len(lookup.targets)
            ]
            if not live:
                break
            # A target some lookup will still reach later waits for it, so that each
            # (entity, key) is asked once; a cycle of polymorphic orders just goes ahead.
            later = {
                (t.entity, t.key)
                for index, _ in live
                for t in mapped.lookups[index].targets[stages[index] + 1 :]
            }
            ready = [(i, t) for i, t in live if (t.entity, t.key) not in later] or live
            answers.ask([(open_rows[i], t) for i, t in ready])
            for index, target in ready:
                table = answers.table(target)
                rows = open_rows[index]
                field = mapped.lookups[index].field
                for row, value in list(rows.items()):
                    if value in table:
                        mapped.records[row][field] = table[value]
                        del rows[row]
                stages[index] += 1
        _drop_unresolved(mapped, open_rows)
        mapped.lookups = []
        return mapped


class _Answers:
    """What `resolve` said per (entity, key); each value is asked of a target at most once."""

    def __init__(self, resolve: Resolve) -> None:
        self.resolve = resolve
        self.found: dict[tuple[str, tuple[str, ...]], dict[KeyValues, Any]] = {}
        self.asked: dict[tuple[str, tuple[str, ...]], set[KeyValues]] = {}

    def ask(self, live: list[tuple[dict[int, KeyValues], Target]]) -> None:
        """One call per (entity, key) with the distinct values not asked of it before."""
        needs: dict[tuple[str, tuple[str, ...]], dict[KeyValues, None]] = {}
        for rows, target in live:
            ident = (target.entity, target.key)
            done = self.asked.setdefault(ident, set())
            wanted = needs.setdefault(ident, {})
            for value in rows.values():
                if value not in done and len(value) == len(target.key):
                    wanted[value] = None
        for (entity, key), values in needs.items():
            if values:
                answer = self.resolve(entity, list(key), list(values))
                self.found.setdefault((entity, key), {}).update(answer)
                self.asked[(entity, key)].update(values)

    def table(self, target: Target) -> dict[KeyValues, Any]:
        """The references found so far in one target."""
        return self.found.get((target.entity, target.key), {})


def _drop_unresolved(mapped: MappedBatch, open_rows: list[dict[int, KeyValues]]) -> None:
    """Fail and remove the records whose lookup value no target knows."""
    failed: set[int] = set()
    for lookup, rows in zip(mapped.lookups, open_rows, strict=True):
        for row, value in rows.items():
            shown = ", ".join(str(v) for v in value)
            message = f"{lookup.field} with value {shown} does not exist in destination."
            position = mapped.positions[row]
            mapped.failures.append(
                MappingFailure(position, lookup.source_field, lookup.path, message)
            )
            failed.add(row)
    if failed:
        keep = [i for i in range(len(mapped.records)) if i not in failed]
        mapped.records = [mapped.records[i] for i in keep]
        mapped.positions = [mapped.positions[i] for i in keep]
        mapped.failures.sort(key=lambda f: f.position)


def compile_leg(
    leg: Leg,
    source: EntityInfo,
    destination: EntityInfo,
    key: Sequence[str] | None,
    query: str | None = None,
) -> LegPlan:
    """Compile a leg's mapping against its entities (MappingError, TransformError, PathError).

    `key` lists the destination's integration key fields (plain names or the mapped
    `lookup.keyfield` text); a mapped record with a blank key value fails instead of being
    written. None skips that check. With an advanced `query`, the mapping's sources are the
    query's output columns (QueryError when it does not run).
    """
    if query is not None:
        source = query_entity(query, source)
    sources: dict[str, FieldPath] = {}
    related: dict[str, RelatedKey] = {}
    copies: list[tuple[str, str | None]] = []
    steps: list[tuple[str, str | None, Apply, int]] = []
    lookups: list[_Lookup] = []
    labels: list[tuple[str | None, str]] = []
    written: dict[str, str] = {}  # folded destination text or field -> destination field
    for index, row in enumerate(leg.mappings):
        mapping = with_blank_source_as_none(row)
        label = f"{mapping.source or 'None'} -> {mapping.destination}"
        source_key, source_kind = _source_of(mapping, source, sources, related)
        path = parse_path(mapping.destination)
        target = _field(destination, path.field, "destination", label)
        if target.name.lower() in written:
            raise MappingError(f"mapping {label}: destination field {target.name} is mapped twice")
        written[target.name.lower()] = target.name
        written.setdefault(str(path).lower(), target.name)
        transforms = parse_transforms(
            mapping.transform,
            mapping=label,
            field=mapping.source or mapping.destination,
            max_length=None if path.is_lookup else target.max_length,
        )
        coerce: Coerce | None = None
        if path.is_lookup:
            targets = _targets(path, target, label)
            lookups.append(_Lookup(target.name, str(path), mapping.source, targets))
        elif transforms or source_kind is not target.kind:
            coerce = coercer(target.kind, target.name)
        apply = _compose(chain(transforms), coerce)
        labels.append((mapping.source, mapping.destination))
        if apply is None:
            copies.append((target.name, source_key))
        else:
            steps.append((target.name, source_key, apply, index))
    key_fields: list[str] = []
    for name in key or ():
        if name.lower() not in written:
            raise MappingError(f"integration key field {name} of {destination.name} is not mapped")
        key_fields.append(written[name.lower()])
    return LegPlan(
        leg,
        tuple(sources.values()),
        tuple(copies),
        tuple(steps),
        tuple(lookups),
        tuple(key_fields),
        tuple(labels),
        tuple(related.values()),
    )


def with_blank_source_as_none(mapping: FieldMapping) -> FieldMapping:
    """The row with an empty source field read as None (no source), as the mapping page shows."""
    if mapping.source is not None and not mapping.source.strip():
        return mapping.model_copy(update={"source": None})
    return mapping


def _column(records: Sequence[dict[str, Any]], source: str | None) -> list[Any]:
    """One source field's values across the batch (None where a record lacks it)."""
    if source is None:
        return [None] * len(records)
    try:  # every record has the field (as read): one C-level pass
        return list(map(itemgetter(source), records))
    except KeyError:
        return [record.get(source) for record in records]


def _blank_positions(values: list[Any]) -> list[int]:
    """Positions of the values that are None or text of spaces only (see `is_blank`)."""
    if None not in values and "" not in values and not any(map(_spaces, values)):
        return []
    return [position for position, value in enumerate(values) if is_blank(value)]


def _spaces(value: Any) -> bool:
    return type(value) is str and value[:1].isspace()


def _key_values(value: Any) -> KeyValues:
    """A lookup's key value as a tuple (a list or tuple already is one, for composite keys)."""
    t = type(value)
    if t is tuple:
        return value  # type: ignore[no-any-return]
    if t is list:
        return tuple(value)
    return (value,)


def _field(entity: EntityInfo, name: str, side: str, label: str) -> FieldInfo:
    info = entity.field(name)
    if info is None:
        raise MappingError(f"mapping {label}: {side} field {name} does not exist in {entity.name}")
    return info


def _source_of(
    mapping: FieldMapping,
    source: EntityInfo,
    sources: dict[str, FieldPath],
    related: dict[str, RelatedKey],
) -> tuple[str | None, ValueKind | None]:
    if mapping.source is None:
        return None, None
    label = f"{mapping.source} -> {mapping.destination}"
    path = parse_path(mapping.source)
    info = _field(source, path.field, "source", label)
    path = replace(path, field=info.name)
    text = str(sources.setdefault(str(path).lower(), path))
    if not path.is_lookup:
        return text, info.kind
    if info.kind is not ValueKind.LOOKUP:
        raise MappingError(f"mapping {label}: source field {info.name} is not a lookup")
    targets = related_targets(path, info)
    if not targets:
        raise MappingError(f"mapping {label}: lookup {info.name} has no target to read {path}")
    related.setdefault(text.lower(), RelatedKey(text, info.name, targets))
    return text, None


def _targets(path: FieldPath, field: FieldInfo, label: str) -> tuple[Target, ...]:
    if field.kind is not ValueKind.LOOKUP:
        raise MappingError(f"mapping {label}: {field.name} is not a lookup field")
    if path.key:
        if not field.targets:
            raise MappingError(f"mapping {label}: lookup {field.name} declares no target entity")
        return tuple(Target(entity, path.key) for entity in field.targets)
    targets = []
    for target in path.targets:
        entity = declared_target(target.entity, field.targets) if field.targets else target.entity
        if entity is None:
            raise MappingError(
                f"mapping {label}: lookup {field.name} cannot reference {target.entity} "
                f"(its targets are {', '.join(field.targets)})"
            )
        targets.append(Target(entity, target.key))
    return tuple(targets)


def _compose(transform: Apply | None, coerce: Coerce | None) -> Apply | None:
    if transform is None or coerce is None:
        return transform or coerce
    after = coerce
    before = transform

    def apply(value: Any) -> Any:
        return after(before(value))

    return apply
