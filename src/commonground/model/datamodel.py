"""The data model of one environment: its entities and picklists, checked as a whole."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from commonground.errors import DefinitionError, NotFoundError
from commonground.model.entity import Entity
from commonground.model.field import Field, RelationshipKind
from commonground.model.picklist import Picklist
from commonground.model.types import FieldType, Storage


@dataclass(frozen=True)
class Relationship:
    """A lookup seen from its target: `child.field` references `parent` records."""

    parent: str
    child: str
    field: str
    kind: RelationshipKind


class DataModel:
    """Entities and picklists that refer to each other consistently.

    Immutable: a schema change builds a new DataModel (`with_entity`, `with_picklist`), which is
    checked before anything is stored, so a bad change never reaches the database.
    """

    def __init__(
        self, entities: Iterable[Entity], picklists: Iterable[Picklist], *, check: bool = True
    ) -> None:
        self._entities = {e.name.lower(): e for e in entities}
        self._picklists = {p.name.lower(): p for p in picklists}
        if check:
            self.check()
        self._children: dict[str, list[Relationship]] = {}
        for entity in self._entities.values():
            for lookup in entity.lookups:
                assert lookup.target is not None
                if not self.has_entity(lookup.target):
                    continue  # only in an unchecked model under construction
                parent = self.entity(lookup.target).name
                self._children.setdefault(parent.lower(), []).append(
                    Relationship(parent, entity.name, lookup.name, lookup.kind)
                )

    def check(self) -> None:
        """Check that every lookup target and picklist exists (DefinitionError if not)."""
        for entity in self._entities.values():
            for field in entity.fields:
                self._check_field(entity, field)

    def _check_field(self, entity: Entity, field: Field) -> None:
        where = f"{entity.name}.{field.name}"
        target = field.target if field.type is FieldType.LOOKUP else None
        if target is not None and target.lower() not in self._entities:
            raise DefinitionError(f"{where}: lookup target entity '{target}' does not exist")
        picklists = [field.picklist] if field.picklist else []
        picklists += [p.picklist for p in field.parts if p.picklist]
        for name in picklists:
            if name.lower() not in self._picklists:
                raise DefinitionError(f"{where}: picklist '{name}' does not exist")
        if field.default is not None and field.storage is Storage.PICKLIST:
            assert field.picklist is not None
            if self.picklist(field.picklist).value_of(str(field.default)) is None:
                raise DefinitionError(
                    f"{where}: default '{field.default}' is not in picklist {field.picklist}"
                )

    @property
    def entities(self) -> tuple[Entity, ...]:
        """All entities, in the order they were given."""
        return tuple(self._entities.values())

    @property
    def picklists(self) -> tuple[Picklist, ...]:
        """All picklists, in the order they were given."""
        return tuple(self._picklists.values())

    def entity(self, name: str) -> Entity:
        """The entity with this name (case-insensitive); NotFoundError if there is none."""
        found = self._entities.get(name.lower())
        if found is None:
            raise NotFoundError("Entity", name)
        return found

    def has_entity(self, name: str) -> bool:
        """Whether an entity of this name exists."""
        return name.lower() in self._entities

    def picklist(self, name: str) -> Picklist:
        """The picklist with this name (case-insensitive); NotFoundError if there is none."""
        found = self._picklists.get(name.lower())
        if found is None:
            raise NotFoundError("Picklist", name)
        return found

    def has_picklist(self, name: str) -> bool:
        """Whether a picklist of this name exists."""
        return name.lower() in self._picklists

    def children_of(self, entity: str) -> tuple[Relationship, ...]:
        """The lookups elsewhere that reference this entity."""
        return tuple(self._children.get(entity.lower(), ()))

    def with_entity(self, entity: Entity) -> DataModel:
        """A new model with this entity added or replaced, checked as a whole."""
        entities = dict(self._entities)
        entities[entity.name.lower()] = entity
        return DataModel(entities.values(), self._picklists.values())

    def without_entity(self, name: str) -> DataModel:
        """A new model without this entity; fails if other entities still look it up."""
        entity = self.entity(name)
        others = [r for r in self.children_of(entity.name) if r.child.lower() != name.lower()]
        if others:
            refs = ", ".join(f"{r.child}.{r.field}" for r in others)
            raise DefinitionError(f"entity {entity.name} is referenced by {refs}")
        entities = {k: v for k, v in self._entities.items() if k != name.lower()}
        return DataModel(entities.values(), self._picklists.values())

    def with_picklist(self, picklist: Picklist) -> DataModel:
        """A new model with this picklist added or replaced, checked as a whole."""
        picklists = dict(self._picklists)
        picklists[picklist.name.lower()] = picklist
        return DataModel(self._entities.values(), picklists.values())
