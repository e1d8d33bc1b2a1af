"""OData names for the data model, decided once and used by $metadata, routing and payloads.

- Entity types keep the entity name (`Account`); entity sets are its plural (`Accounts`).
- A lookup field becomes a navigation property of the same name (`PrimaryContact`) and a
  structural property `_PrimaryContact_value` holding the RecordId, as the Dataverse Web API
  does (`_primarycontactid_value`), so the two never clash.
- A picklist is an enum type of the same name; compound types are complex types
  (`Address`, `PersonName`, `Currency`).
- A child collection (the records whose lookup points here) is named by the child's entity
  set (`SalesOrderLines`), or `<ChildSet>_<Lookup>` when the child has several lookups to the
  same parent entity (`Quotations_InvoiceAccount`).
"""

from __future__ import annotations

from dataclasses import dataclass

from commonground.model.datamodel import DataModel, Relationship
from commonground.model.entity import Entity
from commonground.odata.memo import PerDefinition

NAMESPACE = "CommonGround"


def entity_set_name(entity: str) -> str:
    """The plural used as entity set name: Account -> Accounts, Opportunity -> Opportunities."""
    lowered = entity.lower()
    if lowered.endswith("y") and len(entity) > 1 and lowered[-2] not in "aeiou":
        return entity[:-1] + "ies"
    if lowered.endswith(("s", "x", "z", "ch", "sh")):
        return entity + "es"
    return entity + "s"


def lookup_value_property(field: str) -> str:
    """The structural property holding a lookup's RecordId."""
    return f"_{field}_value"


@dataclass(frozen=True)
class Collection:
    """A child collection navigation property."""

    name: str
    relationship: Relationship


def child_collections(model: DataModel, entity: Entity) -> list[Collection]:
    """The collection navigation properties of an entity, in a stable order."""
    relationships = sorted(model.children_of(entity.name), key=lambda r: (r.child, r.field))
    per_child: dict[str, int] = {}
    for relationship in relationships:
        per_child[relationship.child] = per_child.get(relationship.child, 0) + 1
    out = []
    for relationship in relationships:
        plural = entity_set_name(relationship.child)
        name = plural if per_child[relationship.child] == 1 else f"{plural}_{relationship.field}"
        out.append(Collection(name, relationship))
    return out


def entity_for_set(model: DataModel, name: str) -> Entity | None:
    """The entity whose entity set has this name (case-insensitive), or None."""
    return _entities_by_set(model).get(name.lower())


def _set_index(model: DataModel) -> dict[str, Entity]:
    """Lower-cased entity set name -> entity (the first, should two plurals meet)."""
    index: dict[str, Entity] = {}
    for entity in model.entities:
        index.setdefault(entity_set_name(entity.name).lower(), entity)
    return index


# Every request names its entity set: looked up in a model's index, built once per model.
_entities_by_set: PerDefinition[DataModel, dict[str, Entity]] = PerDefinition(_set_index)
