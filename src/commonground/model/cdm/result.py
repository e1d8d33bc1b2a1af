"""The result of an import: entities, picklists and the report, plus what they share.

Both importers (CDM documents and model.json) end the same way: entity names made ours and
unique, lookups resolved against the import and the environment, picklist names kept clear of
the standard ones. Those shared steps live here next to the result they produce.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commonground.model.cdm.names import entity_name, unique_name
from commonground.model.cdm.report import Report, ReportCode, ReportLine
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.picklist import Picklist
from commonground.model.yaml_loader import standard_picklists


@dataclass(frozen=True)
class CdmImport:
    """Imported entities and picklists, and the report of everything that did not map 1:1.

    `DataModel(entities + existing entities, standard picklists + picklists)` is valid: every
    lookup targets an imported or existing entity and every picklist field has its picklist.
    """

    entities: list[Entity]
    picklists: list[Picklist]
    report: list[ReportLine]

    def lines(
        self,
        code: ReportCode | None = None,
        entity: str | None = None,
        attribute: str | None = None,
    ) -> list[ReportLine]:
        """The report lines matching every given filter."""
        return [
            line
            for line in self.report
            if (code is None or line.code is code)
            and (entity is None or line.entity == entity)
            and (attribute is None or line.attribute == attribute)
        ]


def our_entity_names(
    source_names: list[str], existing: DataModel | None, report: Report
) -> dict[str, str]:
    """Map each source entity name (lower-cased) to a unique entity name of ours.

    A name the environment already uses gets a suffix, so that combining the import with the
    existing model never silently replaces an existing entity.
    """
    taken = {e.name.lower() for e in existing.entities} if existing else set()
    names: dict[str, str] = {}
    for source in source_names:
        wanted = entity_name(source)
        ours = unique_name(wanted, taken)
        taken.add(ours.lower())
        names[source.lower()] = ours
        if ours != wanted:
            reason = (
                "exists in the environment"
                if existing and existing.has_entity(wanted)
                else "is taken"
            )
            report.add(
                ours, None, ReportCode.RENAMED, f"entity name {wanted} {reason}: imported as {ours}"
            )
    return names


def lookup_resolver(
    names: dict[str, str], existing: DataModel | None
) -> Callable[[str], str | None]:
    """A function from a referenced source entity name to our target entity, or None.

    Imported entities come first; otherwise an entity of that name in the environment.
    """

    def resolve(source: str) -> str | None:
        ours = names.get(source.lower())
        if ours is not None:
            return ours
        candidate = entity_name(source)
        if existing is not None and existing.has_entity(candidate):
            return existing.entity(candidate).name
        return None

    return resolve


def reserved_picklist_names(existing: DataModel | None) -> set[str]:
    """Picklist names an import must not reuse: the standard ones and the environment's."""
    names = {p.name for p in standard_picklists()}
    if existing is not None:
        names |= {p.name for p in existing.picklists}
    return names
