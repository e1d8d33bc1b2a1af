"""Which fields a read returns and under which names, lookup paths included.

A requested name is a field of the entity or `lookup.keyfield`, a field of the record the
lookup points at (`PrimaryAccount.AccountId`). Records come back under the names as
requested; the related values are read with one query per lookup and batch, by RecordId.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from commonground.integration.connectors.commonground.access import EnvironmentAccess
from commonground.integration.connectors.commonground.matching import records_by_key
from commonground.integration.contracts import SchemaError
from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.model.types import FieldType
from commonground.service.codec import Record


@dataclass(frozen=True)
class RelatedField:
    """`lookup.keyfield`: a field of the record a lookup references."""

    name: str  # as requested
    lookup: str
    target: str
    field: str


@dataclass(frozen=True)
class Projection:
    """Requested name -> field of the entity, and the related fields to fill in."""

    entity: Entity
    fields: tuple[tuple[str, str], ...]
    related: tuple[RelatedField, ...]

    @property
    def select(self) -> tuple[str, ...]:
        """The entity's fields a query must read (RecordId and VersionNumber always)."""
        names = [f for _, f in self.fields] + [r.lookup for r in self.related]
        return tuple(dict.fromkeys((RECORD_ID, VERSION, *names)))

    def shaped(self, access: EnvironmentAccess, records: Sequence[Record]) -> list[dict[str, Any]]:
        """The records as the read returns them, related fields read in one query each."""
        out = [{name: r.get(field) for name, field in self.fields} for r in records]
        for related in self.related:
            values = _related_values(access, related, records)
            for shaped, record in zip(out, records, strict=True):
                shaped[related.name] = values.get(record.get(related.lookup))
        return out


def projection(model: DataModel, entity: Entity, names: Sequence[str] | None) -> Projection:
    """The projection of a request's field names (every field when None); SchemaError else."""
    if names is None:
        return Projection(entity, tuple((f.name, f.name) for f in entity.all_fields), ())
    plain: list[tuple[str, str]] = []
    related: list[RelatedField] = []
    for name in names:
        head, _, rest = name.partition(".")
        field = entity.field_or_none(head)
        if field is None:
            raise SchemaError(f"entity {entity.name} has no field '{head}'")
        if not rest:
            plain.append((name, field.name))
            continue
        if field.type is not FieldType.LOOKUP or field.target is None:
            raise SchemaError(f"{entity.name}.{field.name} is not a lookup, so '{name}' is wrong")
        target = model.entity(field.target)
        wanted = target.field_or_none(rest)
        if wanted is None:
            raise SchemaError(f"entity {target.name} has no field '{rest}' (in '{name}')")
        related.append(RelatedField(name, field.name, target.name, wanted.name))
    return Projection(entity, tuple(plain), tuple(related))


def _related_values(
    access: EnvironmentAccess, related: RelatedField, records: Sequence[Record]
) -> dict[Any, Any]:
    ids = sorted({r[related.lookup] for r in records if r.get(related.lookup) is not None})
    target = access.model.entity(related.target)
    found = records_by_key(access, target, [RECORD_ID], [(i,) for i in ids], [related.field])
    return {r[RECORD_ID]: r.get(related.field) for r in found}
