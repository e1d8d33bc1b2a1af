"""Aggregated rows (`$apply`) in the OData JSON format, and the context URL that names them.

The service returns groups as OData shows them: a grouped lookup as `_<Lookup>_value` (its
RecordId), like in records, and a grouping by a compound part or a lookup's property as a
nested object: `{"MailingPostalAddress": {"City": "Oslo"}}`, `{"Account": {"Name": "A"}}`.
The context URL lists the same shape: `Accounts(MailingPostalAddress(City),Total)`.
"""

from __future__ import annotations

from typing import Any

from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.types import FieldType
from commonground.odata.json_format import json_value
from commonground.odata.naming import lookup_value_property
from commonground.query.aggregate import Apply

Tree = dict[str, "Tree"]


def _lookup_leaves(model: DataModel, entity: Entity, apply: Apply) -> set[tuple[str, ...]]:
    """The key paths of grouping paths that end at a lookup (shown as `_X_value`)."""
    leaves: set[tuple[str, ...]] = set()
    for path in apply.group_by:
        segments = tuple(p for p in path.split("/") if p)
        current: Entity | None = entity
        for position, name in enumerate(segments):
            field = current.field_or_none(name) if current is not None else None
            if field is None or field.type is not FieldType.LOOKUP:
                break
            if position == len(segments) - 1:
                leaves.add(segments)
            else:
                assert field.target is not None
                current = model.entity(field.target)
    return leaves


def _shape(model: DataModel, entity: Entity, apply: Apply) -> Tree:
    """The nested property names of a result object, in the order of the request."""
    leaves = _lookup_leaves(model, entity, apply)
    tree: Tree = {}
    for path in apply.group_by:
        segments = tuple(p for p in path.split("/") if p)
        place = tree
        for position, name in enumerate(segments):
            key = name
            if segments[: position + 1] in leaves:
                key = lookup_value_property(name)
            place = place.setdefault(key, {})
    for aggregate in apply.aggregates:
        tree.setdefault(aggregate.alias, {})
    return tree


def context_properties(model: DataModel, entity: Entity, apply: Apply) -> str:
    """`Status,MailingPostalAddress(City),Total`: the properties a group holds."""

    def render(tree: Tree) -> str:
        return ",".join(f"{name}({render(sub)})" if sub else name for name, sub in tree.items())

    return render(_shape(model, entity, apply))


def encode_groups(
    groups: list[dict[str, Any]], ieee754_compatible: bool = False
) -> list[dict[str, Any]]:
    """The groups as OData JSON objects (the service already names lookups `_X_value`)."""
    return [json_value(group, ieee754_compatible) for group in groups]
