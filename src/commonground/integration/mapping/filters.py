"""Whether a task's source filter parses, using the project's own OData `$filter` parser.

The parser resolves names against a model entity, so the source's EntityInfo is described as
one: each field becomes a model field of the matching type (a lookup as text, since the
filter compares its reference as a value). Fields the model cannot name (system names, names
no OData identifier can spell) are left out; a filter naming them fails like an unknown field.
"""

from __future__ import annotations

from commonground.integration.contracts import EntityInfo, ValueKind
from commonground.model.datamodel import DataModel
from commonground.model.entity import SYSTEM_FIELD_NAMES, Entity
from commonground.model.field import NAME_PATTERN, Field
from commonground.model.types import FieldType
from commonground.odata.errors import ODataQueryError
from commonground.odata.filter_parser import parse_filter

_TYPES: dict[ValueKind, FieldType] = {
    ValueKind.TEXT: FieldType.TEXT,
    ValueKind.INTEGER: FieldType.INTEGER,
    ValueKind.DECIMAL: FieldType.NUMBER,
    ValueKind.FLOAT: FieldType.NUMBER,
    ValueKind.BOOLEAN: FieldType.BOOLEAN,
    ValueKind.DATE: FieldType.DATE,
    ValueKind.DATETIME: FieldType.DATETIME,
    ValueKind.GUID: FieldType.GUID,
    ValueKind.LOOKUP: FieldType.TEXT,
}


def filter_entity(source: EntityInfo) -> Entity:
    """A model entity with the source's fields, for the filter parser."""
    system = {name.lower() for name in SYSTEM_FIELD_NAMES}
    fields: dict[str, Field] = {}
    for info in source.fields:
        folded = info.name.lower()
        kind = _TYPES.get(info.kind)
        if kind is None or folded in system or folded in fields:
            continue
        if NAME_PATTERN.match(info.name):
            fields[folded] = Field(name=info.name, type=kind)
    return Entity(name="Source", fields=tuple(fields.values()))


def filter_problem(source: EntityInfo, text: str) -> str | None:
    """Why a `$filter` on the source does not parse (None when it parses)."""
    try:
        entity = filter_entity(source)
    except ValueError:  # the model refuses the description; the connector checks at read
        return None
    try:
        parse_filter(entity, DataModel([entity], []), text)
    except ODataQueryError as exc:
        return str(exc)
    return None
