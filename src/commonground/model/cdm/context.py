"""What attribute mapping needs to know about the import it is part of.

Mapping one attribute depends on the rest of the import: whether a lookup's target is imported
too, which picklist names are taken, where to report. MappingContext carries that, one per
entity, so the mapping functions stay plain functions of (attribute, context).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from commonground.model.cdm.corpus import Corpus, Document
from commonground.model.cdm.names import field_name, unique_name
from commonground.model.cdm.report import Report, ReportCode
from commonground.model.entity import CREATED_BY, CREATED_ON, MODIFIED_BY, MODIFIED_ON, VERSION
from commonground.model.field import Field
from commonground.model.picklist import Picklist

# CDM attributes (CdsStandard, model.json exports) that our system fields already hold.
SYSTEM_EQUIVALENTS = {
    "createdon": CREATED_ON,
    "modifiedon": MODIFIED_ON,
    "createdby": CREATED_BY,
    "modifiedby": MODIFIED_BY,
    "versionnumber": VERSION,
}


@dataclass(frozen=True)
class FieldDraft:
    """A mapped field before it joins its entity (which may still rename it to be unique)."""

    field: Field
    source: str  # the CDM attribute name, for report lines
    named_by: bool = False  # CDM purpose namedBy: the entity's primary name


@dataclass
class MappingContext:
    """The import-wide facts and collectors that mapping one entity's attributes uses."""

    entity: str
    report: Report
    picklists: PicklistRegistry
    lookup_target: Callable[[str], str | None]
    corpus: Corpus | None = None
    members_of: Callable[[Document, str], list[str] | None] | None = None
    ignored_traits: Counter[str] = field(default_factory=Counter)

    def note(self, attribute: str | None, code: ReportCode, message: str) -> None:
        """Report a line about this entity."""
        self.report.add(self.entity, attribute, code, message)

    def report_ignored_traits(self) -> None:
        """One line per entity listing the traits that have no equivalent, with counts."""
        if not self.ignored_traits:
            return
        listed = ", ".join(
            f"{name} ({count})" for name, count in sorted(self.ignored_traits.items())
        )
        self.note(
            None,
            ReportCode.TRAITS_IGNORED,
            f"traits with no equivalent in our model ignored: {listed}",
        )

    def covered_by_system_field(self, attribute: str) -> bool:
        """Skip (and report) an attribute that one of our system fields already holds."""
        system = SYSTEM_EQUIVALENTS.get(attribute.lower())
        if system is None:
            return False
        self.note(
            attribute, ReportCode.SYSTEM_FIELD, f"not imported: the system field {system} holds it"
        )
        return True


class PicklistRegistry:
    """Hands out picklist names that are unique in the environment and collects the picklists.

    Names taken by the standard picklists (and any existing ones) are reserved, because a
    data model keyed by name would otherwise silently replace one with an imported option set.
    """

    def __init__(self, reserved: set[str]) -> None:
        self._taken = {name.lower() for name in reserved}
        self.picklists: list[Picklist] = []

    def claim(self, name: str) -> str:
        """A free name based on `name`, now taken."""
        chosen = unique_name(field_name(name, "Picklist"), self._taken)
        self._taken.add(chosen.lower())
        return chosen

    def add(self, picklist: Picklist) -> None:
        """Keep a picklist built under a claimed name."""
        self.picklists.append(picklist)
