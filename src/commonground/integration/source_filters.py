"""Parsing a task's source filter (an OData `$filter`) against any system's fields.

The product's OData parser works on entities, so a stand-in entity is built from the fields a
connector describes. It is built unchecked: a source's table and column names need not follow
the hub's naming rules, and the parser only looks fields up by name and type. Text is taken as
unbounded (a source column may be longer than the hub allows). Connectors then evaluate the
tree their own way (SQL, Python, OData), and validation uses the same parse.
"""

from __future__ import annotations

from collections.abc import Iterable

from commonground.integration.contracts import FilterError, ValueKind
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.types import FieldType
from commonground.odata.errors import ODataQueryError
from commonground.odata.filter_parser import parse_filter
from commonground.query.expressions import Expr

FIELD_TYPES: dict[ValueKind, FieldType] = {
    ValueKind.TEXT: FieldType.MULTILINE,
    ValueKind.INTEGER: FieldType.INTEGER,
    ValueKind.DECIMAL: FieldType.NUMBER,
    ValueKind.FLOAT: FieldType.NUMBER,
    ValueKind.BOOLEAN: FieldType.BOOLEAN,
    ValueKind.DATE: FieldType.DATE,
    ValueKind.DATETIME: FieldType.DATETIME,
    ValueKind.GUID: FieldType.GUID,
    ValueKind.LOOKUP: FieldType.MULTILINE,
}


def parse_source_filter(entity: str, fields: Iterable[tuple[str, ValueKind]], text: str) -> Expr:
    """The expression tree of a filter over these (name, kind) fields; FilterError if bad."""
    stand_in = Entity.model_construct(
        name=entity,
        fields=tuple(
            Field.model_construct(name=name, type=FIELD_TYPES[kind])
            for name, kind in fields
            if kind in FIELD_TYPES
        ),
    )
    try:
        return parse_filter(stand_in, DataModel([stand_in], [], check=False), text)
    except ODataQueryError as exc:
        raise FilterError(f"source filter on {entity}: {exc}") from None
