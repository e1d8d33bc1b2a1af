"""CDM option sets (listLookup attributes) to our picklists.

CDM keeps an option set's values in a `does.haveDefault` trait on the `listLookup` data type:
rows of `[languageTag, displayText, attributeValue, displayOrder]`, plus a fifth column
`correlatedValue` for `listLookupCorrelated` (statusCode rows name the stateCode value they
belong to), cds-model.md 18.5. Resolved documents write the same rows as a `defaultValue` list of
objects. Each option set becomes a picklist named `<Entity><Attribute>`, with item names made
identifier-safe from the display text and the CDM values kept as our stored integers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from commonground.model.cdm.context import MappingContext
from commonground.model.cdm.names import field_name, unique_name
from commonground.model.cdm.report import ReportCode
from commonground.model.cdm.traits import (
    Json,
    argument,
    constant_rows,
    entity_shape,
    find_trait,
    traits_of,
)
from commonground.model.picklist import Picklist, PicklistItem

ROW_KEYS = ("languageTag", "displayText", "attributeValue", "displayOrder", "correlatedValue")
CORRELATED_SHAPE = "listLookupCorrelatedValues"


@dataclass(frozen=True)
class OptionRow:
    """One option: language, display text, value, display order and (maybe) correlated value."""

    language: str
    display: str
    value: Any
    order: Any = None
    correlated: Any = None


def _rows(value: Any) -> list[OptionRow]:
    """Option rows from a constantValues argument or a list of row objects."""
    listed: list[list[Any]] = constant_rows(value)
    if isinstance(value, list):
        listed = [[row.get(key) for key in ROW_KEYS] for row in value if isinstance(row, dict)]
    rows = []
    for row in listed:
        padded = [*row, None, None, None, None, None][:5]
        if padded[1] is not None and padded[2] is not None:
            rows.append(OptionRow(str(padded[0] or ""), str(padded[1]), *padded[2:]))
    return rows


def option_rows(attribute: Json, type_traits: Iterable[Any]) -> tuple[list[OptionRow], bool]:
    """The option rows of a listLookup attribute, and whether the set is correlated.

    Looks at the data type's traits, then the attribute's own traits, then `defaultValue`.
    """
    for traits in (list(type_traits), traits_of(attribute)):
        trait = find_trait(traits, "does.haveDefault")
        value = argument(trait, "default")
        rows = _rows(value)
        if rows:
            correlated = entity_shape(value) == CORRELATED_SHAPE
            return rows, correlated or any(r.correlated is not None for r in rows)
    rows = _rows(attribute.get("defaultValue"))
    return rows, any(r.correlated is not None for r in rows)


def _one_language(rows: list[OptionRow]) -> list[OptionRow]:
    """The English rows if there are any, else the rows of the first language listed."""
    english = [r for r in rows if r.language.lower().startswith("en")]
    if english:
        return english
    first = rows[0].language
    return [r for r in rows if r.language == first]


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _ordered(rows: list[OptionRow]) -> list[OptionRow]:
    """Rows in display order when every row has a numeric order, else as written."""
    orders = [_as_int(r.order) for r in rows]
    numbers = [order for order in orders if order is not None]
    if len(numbers) < len(rows):
        return rows
    return [row for _, row in sorted(zip(numbers, rows, strict=True), key=lambda pair: pair[0])]


def _items(rows: list[OptionRow], source: str, ctx: MappingContext) -> list[PicklistItem]:
    items: list[PicklistItem] = []
    names: set[str] = set()
    values: set[int] = set()
    for row in _ordered(_one_language(rows)):
        value = _as_int(row.value)
        if value is None or value in values:
            reason = "is not an integer" if value is None else "is listed twice"
            ctx.note(
                source,
                ReportCode.OPTION_SET,
                f"option '{row.display}' skipped: value {row.value!r} {reason}",
            )
            continue
        name = unique_name(field_name(row.display, "Item"), names)
        names.add(name.lower())
        values.add(value)
        items.append(PicklistItem(name=name, value=value, display_name=row.display))
    return items


def build_picklist(
    ctx: MappingContext,
    source: str,
    field: str,
    rows: list[OptionRow],
    labels: tuple[str | None, str | None],
    correlated: bool,
) -> str | None:
    """Create the picklist `<Entity><Field>` for an option set; None if no item survives.

    `labels` are the attribute's display name and description, which the picklist shares.
    """
    items = _items(rows, source, ctx)
    if not items:
        return None
    name = ctx.picklists.claim(ctx.entity + field)
    display_name, description = labels
    ctx.picklists.add(
        Picklist(name=name, display_name=display_name, description=description, items=tuple(items))
    )
    if correlated:
        pairs = ", ".join(
            f"{r.value}->{r.correlated}" for r in _one_language(rows) if r.correlated is not None
        )
        ctx.note(
            source,
            ReportCode.OPTION_SET,
            f"correlated option set: picklist {name} keeps the values, but not the state value "
            f"each one belongs to ({pairs}); our picklists have no correlation",
        )
    return name
