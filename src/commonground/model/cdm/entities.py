"""Assemble mapped fields into a valid Entity: unique names, a primary name, a Title if needed.

Field names from different CDM attributes can collide once sanitised (`name` and `Name`), and
compound fields occupy `<Field>_<Part>` columns too; the builder renames the later one and
reports it. Every entity of ours has a primary name (cds-model.md section 6): the attribute CDM
marks `namedBy`, else an obvious name field, else a new Title field.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from commonground.errors import DefinitionError
from commonground.model.cdm.context import FieldDraft
from commonground.model.cdm.names import with_suffix
from commonground.model.cdm.report import Report, ReportCode
from commonground.model.entity import SYSTEM_FIELDS, TITLE_FIELD, Entity
from commonground.model.field import Field
from commonground.model.types import FieldType, Storage

# Lower-cased names that are obviously an entity's name, best first.
NAME_CANDIDATES = ("name", "fullname", "title", "subject", "displayname", "companyname")


class EntityBuilder:
    """Collects the fields of one entity and builds it."""

    def __init__(self, name: str, report: Report) -> None:
        self.name = name
        self.report = report
        self._drafts: list[FieldDraft] = []
        self._names: set[str] = set()
        self._columns: set[str] = set()
        for system in SYSTEM_FIELDS:
            self._names.add(system.name.lower())
            self._columns.add(system.name.lower())

    @property
    def fields(self) -> list[Field]:
        """The fields added so far, in order."""
        return [draft.field for draft in self._drafts]

    def add_all(self, drafts: Iterable[FieldDraft]) -> None:
        """Add fields in order (see `add`)."""
        for draft in drafts:
            self.add(draft)

    def add(self, draft: FieldDraft) -> Field:
        """Add a field, renaming it (with a report line) if its name or a column is taken."""
        field, number = draft.field, 1
        while self._taken(field):
            number += 1
            field = draft.field.model_copy(update={"name": with_suffix(draft.field.name, number)})
        if field.name != draft.field.name:
            self.report.add(
                self.name,
                draft.source,
                ReportCode.RENAMED,
                f"field name {draft.field.name} is taken: imported as {field.name}",
            )
        self._names.add(field.name.lower())
        self._columns.update(column.lower() for column in field.column_names())
        self._drafts.append(FieldDraft(field, draft.source, draft.named_by))
        return field

    def _taken(self, field: Field) -> bool:
        """Whether the field's name, or a column it would occupy, is in use already."""
        if field.name.lower() in self._names:
            return True
        return any(column.lower() in self._columns for column in field.column_names())

    def _primary_name(self) -> str:
        """The primary name: namedBy, else an obvious name field, else a new Title field."""
        texts = [d for d in self._drafts if d.field.storage is Storage.STRING]
        for draft in texts:
            if draft.named_by:
                return draft.field.name
        wanted = (*NAME_CANDIDATES, f"{self.name.lower()}name", f"{self.name.lower()[:-1]}name")
        for candidate in wanted:
            for draft in texts:
                if candidate in (draft.field.name.lower(), draft.source.lower()):
                    return draft.field.name
        title = self.add(FieldDraft(Field(name=TITLE_FIELD, type=FieldType.TEXT), TITLE_FIELD))
        self.report.add(
            self.name,
            None,
            ReportCode.TITLE_ADDED,
            f"no obvious name field: added Text field {title.name} as the primary name",
        )
        return title.name

    def build(
        self,
        display_name: str | None = None,
        description: str | None = None,
        keys: dict[str, tuple[str, ...]] | None = None,
    ) -> Entity:
        """The Entity, with its primary name chosen (and made searchable)."""
        primary = self._primary_name()
        fields = [
            f.model_copy(update={"searchable": True}) if f.name == primary else f
            for f in self.fields
        ]
        try:
            return Entity(
                name=self.name,
                display_name=display_name,
                description=description,
                primary_name=primary,
                fields=tuple(fields),
                keys=keys or {},
            )
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise DefinitionError(f"imported entity {self.name} is not valid: {message}") from exc
