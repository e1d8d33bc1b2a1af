"""The import report: everything that did not map one-to-one, and what was done instead.

CDM can express more than our metadata (polymorphic lookups, correlated option sets, repeating
address groups, 64-bit integers, traits without an equivalent). The importer never drops such
things silently: each one becomes a ReportLine that names the entity and attribute, so a person
can review the result before the entities are created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ReportCode(StrEnum):
    """What kind of deviation a report line describes (stable, for filtering and tests)."""

    UNKNOWN_TYPE = "unknown-type"  # data type not known: mapped to Text
    BIG_INTEGER = "big-integer"  # 64-bit integer mapped to Integer (BigInteger is reserved)
    LENGTH = "length"  # a maximum length moved the field to Multiline or was clamped
    PRIMARY_KEY = "primary-key"  # the CDM primary key is played by our RecordId
    SYSTEM_FIELD = "system-field"  # covered by one of our system fields
    LOOKUP_TARGET_MISSING = "lookup-target-missing"  # target not imported: kept as a Guid
    POLYMORPHIC = "polymorphic"  # lookup to several entities: kept as id plus type column
    ADDRESS = "address"  # an address expansion mapped to Address fields
    UNSUPPORTED_ATTRIBUTE = "unsupported-attribute"  # an attribute shape we cannot represent
    ATTRIBUTE_GROUP_MISSING = "attribute-group-missing"
    BASE_ENTITY_MISSING = "base-entity-missing"
    TRAITS_IGNORED = "traits-ignored"
    OPTION_SET = "option-set"  # option-set values that were skipped or not fully kept
    RENAMED = "renamed"  # a name was changed to be valid or unique
    TITLE_ADDED = "title-added"  # no obvious name field: a Title field was added
    DUPLICATE_ENTITY = "duplicate-entity"
    NOT_FOLLOWED = "not-followed"  # a reference that was not followed (remote, unavailable)
    RELATIONSHIP = "relationship"  # a model.json relationship and what became of it


@dataclass(frozen=True)
class ReportLine:
    """One deviation: which entity and attribute (None when it concerns the whole import)."""

    entity: str | None
    attribute: str | None
    code: ReportCode
    message: str

    def __str__(self) -> str:
        where = ".".join(part for part in (self.entity, self.attribute) if part)
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Report:
    """Collects report lines while an import runs."""

    lines: list[ReportLine] = field(default_factory=list)
    _seen: set[ReportLine] = field(default_factory=set, repr=False)

    def add(
        self, entity: str | None, attribute: str | None, code: ReportCode, message: str
    ) -> None:
        """Record one line; an identical line is kept once (shared groups repeat them)."""
        line = ReportLine(entity, attribute, code, message)
        if line not in self._seen:
            self._seen.add(line)
            self.lines.append(line)
