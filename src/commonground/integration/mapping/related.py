"""Source paths `lookup.keyfield`: the related record's key, read with `Connector.fetch`.

A source record holds only the lookup's reference. Before mapping, the engine calls
`LegPlan.fill_related(records, fetch)`, which asks the source connector once per path and target
entity for the key fields of the distinct references, and stores each record's value under the
path's text (`customerid.accountnumber`), where the plan reads it. A polymorphic path
(`customerid.Account(accountnumber).Contact(msdynce_contactnumber)`) asks its targets in order,
each for the references the earlier ones did not know. A composite key gives a tuple; a
reference no target knows gives None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from commonground.integration.contracts import FieldInfo
from commonground.integration.mapping.paths import FieldPath, Target, declared_target

Fetch = Callable[[str, list[Any], list[str]], dict[Any, dict[str, Any]]]


@dataclass(frozen=True)
class RelatedKey:
    """One source path to fill: the record key it fills, the lookup field, the targets."""

    path: str
    field: str
    targets: tuple[Target, ...]


def related_targets(path: FieldPath, lookup: FieldInfo) -> tuple[Target, ...]:
    """The targets a source path reads from (empty when the lookup names none)."""
    if path.targets:
        if not lookup.targets:
            return path.targets
        found = ((declared_target(t.entity, lookup.targets), t.key) for t in path.targets)
        return tuple(Target(entity, key) for entity, key in found if entity is not None)
    return tuple(Target(entity, path.key) for entity in lookup.targets)


def fill_related(
    records: Sequence[dict[str, Any]], related: Sequence[RelatedKey], fetch: Fetch
) -> None:
    """Store each path's value into the records (in place), fetching per target entity."""
    for item in related:
        references = dict.fromkeys(record.get(item.field) for record in records)
        references.pop(None, None)
        values: dict[Any, Any] = {}
        remaining = list(references)
        for target in item.targets:
            if not remaining:
                break
            found = fetch(target.entity, remaining, list(target.key))
            for reference, row in found.items():
                key = tuple(_value(row, name) for name in target.key)
                values[reference] = key[0] if len(key) == 1 else key
            remaining = [r for r in remaining if r not in values]
        for record in records:
            record[item.path] = values.get(record.get(item.field))


def _value(row: dict[str, Any], name: str) -> Any:
    if name in row:
        return row[name]
    wanted = name.lower()
    return next((v for k, v in row.items() if k.lower() == wanted), None)
