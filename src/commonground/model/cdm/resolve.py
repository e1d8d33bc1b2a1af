"""Resolve a CDM entity to its flat attribute list: layers, attribute groups, de-duplication.

A CDM entity is rarely written out in one place. `extendsEntity` stacks it on a base
(CdsStandard, CdmEntity, or the same entity one folder up through a moniker, cds-model.md 18.6),
and `hasAttributes` nests attribute groups, inline or included by name. Resolving walks the
layers from the base up, expands the groups in order, and keeps one attribute per name: when a
later layer declares a name again, its declaration wins (in the position of the first one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commonground.model.cdm.corpus import Corpus, Document
from commonground.model.cdm.names import entity_name
from commonground.model.cdm.report import Report, ReportCode
from commonground.model.cdm.traits import Json, description, display_name, reference_name

# Root entities that carry no attributes: their absence is not worth a report line.
ROOT_ENTITIES = frozenset({"CdmEntity", "CdmObject"})


@dataclass(frozen=True)
class Declaration:
    """An entity definition to import and the document it was written in."""

    definition: Json
    document: Document

    @property
    def name(self) -> str:
        """The CDM entity name."""
        return str(self.definition.get("entityName", ""))


@dataclass(frozen=True)
class SourceAttribute:
    """One attribute of a resolved entity and the document whose names it resolves against."""

    data: Json
    document: Document

    @property
    def name(self) -> str:
        """The CDM attribute name."""
        return str(self.data["name"])

    @property
    def is_entity_attribute(self) -> bool:
        """Whether it references another entity (a relationship) rather than holding a value."""
        return "entity" in self.data


@dataclass(frozen=True)
class ResolvedEntity:
    """An entity with every layer and group applied."""

    declaration: Declaration
    attributes: tuple[SourceAttribute, ...]
    layers: int
    display_name: str | None
    description: str | None

    @property
    def name(self) -> str:
        """The CDM entity name."""
        return self.declaration.name


class EntityResolver:
    """Resolves entities of one corpus, reporting missing base entities and groups."""

    def __init__(self, corpus: Corpus, report: Report) -> None:
        self.corpus = corpus
        self.report = report

    def resolve(self, declaration: Declaration, label: str | None = None) -> ResolvedEntity:
        """The resolved entity; `label` is the name report lines use (default: ours)."""
        label = label or entity_name(declaration.name)
        layers = self._layers(declaration.definition, declaration.document, label, ())
        merged: dict[str, SourceAttribute] = {}
        for definition, document in layers:
            members = definition.get("hasAttributes")
            for attribute in self._flatten(members, document, label, ()):
                merged[attribute.name.lower()] = attribute
        # Only layers of this very entity describe it; CdsStandard's label is not Account's.
        definitions = [d for d, _ in reversed(layers) if d.get("entityName") == declaration.name]
        return ResolvedEntity(
            declaration=declaration,
            attributes=tuple(merged.values()),
            layers=len(layers),
            display_name=_first(display_name(d, "exhibitsTraits") for d in definitions),
            description=_first(description(d, "exhibitsTraits") for d in definitions),
        )

    def member_names(self, document: Document, reference: str) -> list[str] | None:
        """The attribute names of the entity a reference names, or None if it is not found."""
        found = self.corpus.find(document, "entity", reference)
        if found is None:
            return None
        quiet = EntityResolver(self.corpus, Report())
        resolved = quiet.resolve(Declaration(found.definition, found.document), reference)
        return [attribute.name for attribute in resolved.attributes]

    def _layers(
        self, definition: Json, document: Document, label: str, seen: tuple[int, ...]
    ) -> list[tuple[Json, Document]]:
        """The layers of an entity, base first."""
        if id(definition) in seen:
            self.report.add(
                label,
                None,
                ReportCode.BASE_ENTITY_MISSING,
                "extendsEntity forms a cycle: stopped there",
            )
            return []
        base = reference_name(definition.get("extendsEntity"), "entityReference")
        below: list[tuple[Json, Document]] = []
        if base:
            found = self.corpus.find(document, "entity", base)
            if found is not None:
                below = self._layers(
                    found.definition, found.document, label, (*seen, id(definition))
                )
            elif base.rpartition("/")[2] not in ROOT_ENTITIES:
                self.report.add(
                    label,
                    None,
                    ReportCode.BASE_ENTITY_MISSING,
                    f"base entity {base} not found: its attributes were not imported",
                )
        return [*below, (definition, document)]

    def _flatten(
        self, members: Any, document: Document, label: str, groups: tuple[str, ...]
    ) -> list[SourceAttribute]:
        """The attributes of a member list, with attribute groups expanded in place."""
        out: list[SourceAttribute] = []
        for member in members if isinstance(members, list) else []:
            group = member.get("attributeGroupReference") if isinstance(member, dict) else member
            if isinstance(group, str):
                out += self._group(group, document, label, groups)
            elif isinstance(group, dict) and "members" in group:
                out += self._flatten(group["members"], document, label, groups)
            elif isinstance(group, dict) and isinstance(group.get("attributeGroupName"), str):
                out += self._group(group["attributeGroupName"], document, label, groups)
            elif isinstance(member, dict) and isinstance(member.get("name"), str):
                out.append(SourceAttribute(member, document))
            else:
                self.report.add(
                    label,
                    None,
                    ReportCode.UNSUPPORTED_ATTRIBUTE,
                    f"a member in {document.path.name} is neither attribute nor group: skipped",
                )
        return out

    def _group(
        self, name: str, document: Document, label: str, groups: tuple[str, ...]
    ) -> list[SourceAttribute]:
        if name in groups:
            return []
        found = self.corpus.find(document, "attributeGroup", name)
        if found is None:
            self.report.add(
                label,
                None,
                ReportCode.ATTRIBUTE_GROUP_MISSING,
                f"attribute group {name} not found: its attributes were not imported",
            )
            return []
        members = found.definition.get("members")
        return self._flatten(members, found.document, label, (*groups, name))


def _first(values: Any) -> str | None:
    for value in values:
        if value:
            return str(value)
    return None
