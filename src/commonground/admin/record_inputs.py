"""A record as form inputs and form inputs as a record, one input kind per field type.

Inputs are named as the service names a value in its errors: a scalar field by its name, a
part of a compound field as `Field/Part`. So a RecordValidationError's errors land under the
input they are about without any translation table. Values travel as text both ways; the
service's coercers read text for numbers, dates, booleans and picklist item names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from commonground.errors import RecordError
from commonground.model.datamodel import DataModel
from commonground.model.entity import DEFAULT_FIELD_GROUPS, Entity
from commonground.model.field import Field
from commonground.model.types import FieldType, Storage
from commonground.service.tabular import cell_text

CHECKED = "true"
# Field groups in the order a form shows them; a field appears in the first group naming it.
FIRST_GROUPS = ("DefaultIdentification", "DefaultDetails", "DefaultCreate")
FORM_GROUPS = (*FIRST_GROUPS, *(g for g in DEFAULT_FIELD_GROUPS if g not in FIRST_GROUPS))
INPUT_TYPES = {
    Storage.DECIMAL: "number",
    Storage.INTEGER: "number",
    Storage.LOOKUP: "number",
    Storage.DATE: "date",
    Storage.DATETIME: "datetime-local",
}
TEXT_INPUT_TYPES = {
    FieldType.EMAIL: "email",
    FieldType.PHONE: "tel",
    FieldType.URL: "url",
    FieldType.IMAGE_URL: "url",
}


@dataclass(frozen=True)
class Input:
    """One form control: what it is called, how it is drawn and what it holds."""

    name: str
    label: str
    control: str  # input, checkbox, select, textarea
    input_type: str = "text"
    required: bool = False
    max_length: int | None = None
    step: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    hint: str | None = None
    target: str | None = None  # a lookup's entity, to link to the record it refers to

    @property
    def id(self) -> str:
        """The HTML id (a part's slash is not welcome in selectors)."""
        return "f-" + self.name.replace("/", "-")


@dataclass(frozen=True)
class Compound:
    """A compound field (Address, PersonName, Currency): its parts in a fieldset of their own."""

    name: str
    parts: tuple[Input, ...]


@dataclass
class Section:
    """A fieldset of the form: a field group, or the fields no group names."""

    legend: str
    widgets: list[Input | Compound] = field(default_factory=list)


def input_of(model: DataModel, field_: Field, name: str, label: str) -> Input:
    """The control for one scalar field (or compound part)."""
    storage = field_.storage
    if storage is Storage.BOOLEAN:
        return Input(name, label, "checkbox")
    if storage is Storage.PICKLIST and field_.picklist:
        items = model.picklist(field_.picklist).items
        options = tuple((i.name, i.display_name or i.name) for i in items)
        return Input(name, label, "select", required=field_.required, options=options)
    if field_.type is FieldType.MULTILINE:
        return Input(name, label, "textarea", required=field_.required, max_length=field_.length)
    hint = f"The RecordId of the {field_.target} record it refers to." if field_.target else None
    if field_.type is FieldType.AUTONUMBER:
        hint = "Leave empty to get the next number."
    step = {Storage.DECIMAL: "any", Storage.DATETIME: "1"}.get(storage)
    return Input(
        name,
        label,
        "input",
        TEXT_INPUT_TYPES.get(field_.type) or INPUT_TYPES.get(storage, "text"),
        required=field_.required and field_.type is not FieldType.AUTONUMBER,
        max_length=field_.length if storage is Storage.STRING else None,
        step=step,
        hint=hint,
        target=field_.target,
    )


def widget_of(model: DataModel, field_: Field) -> Input | Compound:
    """The control, or the group of controls, of a declared field."""
    if not field_.is_compound:
        return input_of(model, field_, field_.name, field_.name)
    parts = tuple(
        input_of(model, field_.part_field(part), f"{field_.name}/{part.name}", part.name)
        for part in field_.parts
    )
    return Compound(field_.name, parts)


def layout(model: DataModel, entity: Entity) -> list[Section]:
    """The form's fieldsets: the entity's field groups, then every field not yet shown."""
    sections: list[Section] = []
    placed: set[str] = set()
    for group in FORM_GROUPS:
        section = Section(group.removeprefix("Default"))
        for name in entity.field_groups.get(group, ()):
            found = entity.field_or_none(name)
            if found is not None and not found.system and found.name not in placed:
                placed.add(found.name)
                section.widgets.append(widget_of(model, found))
        if section.widgets:
            sections.append(section)
    rest = [f for f in entity.fields if f.name not in placed]
    if rest:
        section = Section("Other fields" if sections else "Fields")
        section.widgets = [widget_of(model, f) for f in rest]
        sections.append(section)
    return sections


def input_text(field_: Field, value: Any) -> str:
    """A stored value as an input's text (a DateTime in the form datetime-local shows)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, bool):
        return CHECKED if value else ""
    return cell_text(value)


def form_values(entity: Entity, record: Mapping[str, Any]) -> dict[str, str]:
    """A record's values keyed by input name."""
    values: dict[str, str] = {}
    for field_ in entity.fields:
        value = record.get(field_.name)
        if field_.is_compound:
            parts = value if isinstance(value, dict) else {}
            for part in field_.parts:
                values[f"{field_.name}/{part.name}"] = input_text(field_, parts.get(part.name))
        else:
            values[field_.name] = input_text(field_, value)
    return values


def record_from(entity: Entity, form: Mapping[str, str], creating: bool) -> dict[str, Any]:
    """The record a posted form describes. An empty input is no value: left out of a new
    record (so defaults and AutoNumbers apply), cleared on an existing one."""
    record: dict[str, Any] = {}
    for field_ in entity.fields:
        value: Any
        if field_.is_compound:
            parts = {
                p.name: form.get(f"{field_.name}/{p.name}", "").strip() or None
                for p in field_.parts
            }
            value = parts if any(v is not None for v in parts.values()) else None
        elif field_.storage is Storage.BOOLEAN:
            value = form.get(field_.name) == CHECKED
        else:
            value = form.get(field_.name, "").strip() or None
        if value is not None or not creating:
            record[field_.name] = value
    return record


def errors_by_input(
    sections: list[Section], errors: list[RecordError]
) -> tuple[dict[str, list[str]], list[str]]:
    """Error messages under the input (or compound field) they name, and the rest (about the
    record as a whole, or a field the form does not show) for the top of the page."""
    names = {
        name
        for section in sections
        for widget in section.widgets
        for name in (
            [widget.name]
            if isinstance(widget, Input)
            else [widget.name, *(p.name for p in widget.parts)]
        )
    }
    at_field: dict[str, list[str]] = {}
    general: list[str] = []
    for error in errors:
        if error.field is not None and error.field in names:
            at_field.setdefault(error.field, []).append(error.message)
        else:
            general.append(f"{error.field}: {error.message}" if error.field else error.message)
    return at_field, general
