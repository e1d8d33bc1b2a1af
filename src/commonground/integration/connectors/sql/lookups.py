"""Lookups: from key values to references (`resolve`) and from references to fields (`fetch`).

A reference is the primary key's value (a tuple for a composite primary key; a table without
one uses its first unique key), which is what a foreign key column referencing the table
holds, so a resolved reference can be written into such a column as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func
from sqlalchemy.sql.elements import ColumnElement

from commonground.integration.connectors.shared import folded, resolve_in_two_passes
from commonground.integration.connectors.sql.discovery import TableSpec
from commonground.integration.connectors.sql.matching import (
    read_form,
    selected_rows,
    stored_form,
)
from commonground.integration.connectors.sql.values import ColumnValues
from commonground.integration.contracts import ValueKind

Given = tuple[Any, ...]
TEXT = ValueKind.TEXT


def resolve_references(
    conn: Connection,
    spec: TableSpec,
    key: Sequence[str],
    values: Sequence[Given],
    scope: Sequence[ColumnElement[bool]],
) -> dict[Given, Any]:
    """The references of the rows whose `key` columns hold these values (exact, then
    case-insensitive for the misses), keyed by the tuples given."""
    columns = [spec.require(name) for name in key]
    reference = _reference_columns(spec)
    selected = [c.column for c in [*columns, *reference]]

    def find(given: Sequence[Given], insensitive: bool) -> dict[Given, Any]:
        fold = folded if insensitive else tuple
        converted = _converted(columns, given)
        wanted: dict[Given, list[Given]] = {}
        for values, stored in converted:
            wanted.setdefault(fold(read_form(columns, stored)), []).append(values)
        keyed: list[ColumnElement[Any]] = [c.column for c in columns]
        bound = [stored for _, stored in converted]
        if insensitive:
            keyed = [
                func.lower(c.column) if c.kind is ValueKind.TEXT else c.column for c in columns
            ]
            bound = [tuple(v.lower() if isinstance(v, str) else v for v in b) for b in bound]
        found: dict[Given, Any] = {}
        for row in selected_rows(conn, keyed, bound, selected, scope):
            for match in wanted.get(fold(read_form(columns, row[: len(columns)])), []):
                found[match] = _reference(reference, row[len(columns) :])
        return found

    return resolve_in_two_passes(
        values, lambda given: find(given, False), lambda given: find(given, True)
    )


def fetch_fields(
    conn: Connection, spec: TableSpec, references: Sequence[Any], fields: Sequence[str]
) -> dict[Any, dict[str, Any]]:
    """The given fields of the rows with these references, keyed by the references given."""
    reference = _reference_columns(spec)
    outputs = [spec.require(name) for name in fields]
    converted = _converted(reference, [r if isinstance(r, tuple) else (r,) for r in references])
    wanted: dict[Given, list[Given]] = {}
    for given, stored in converted:
        wanted.setdefault(read_form(reference, stored), []).append(given)
    keyed = [c.column for c in reference]
    selected = [c.column for c in [*reference, *outputs]]
    found: dict[Any, dict[str, Any]] = {}
    for row in selected_rows(conn, keyed, [stored for _, stored in converted], selected):
        fetched = {
            name: column.from_column(row[len(reference) + i])
            for i, (name, column) in enumerate(zip(fields, outputs, strict=True))
        }
        for match in wanted.get(read_form(reference, row[: len(reference)]), []):
            found[match if len(reference) > 1 else match[0]] = fetched
    return found


def _reference_columns(spec: TableSpec) -> list[ColumnValues]:
    return [spec.require(c.name) for c in spec.table.primary_key.columns] or spec.key()


def _reference(reference: list[ColumnValues], stored: Sequence[Any]) -> Any:
    values = read_form(reference, stored)
    return values if len(values) > 1 else values[0]


def _converted(columns: list[ColumnValues], given: Sequence[Given]) -> list[tuple[Given, Given]]:
    """Each given tuple with its stored form; tuples that do not fit the columns are left
    out, since they cannot match any row."""
    converted = []
    for values in given:
        try:
            converted.append((values, stored_form(columns, values)))
        except ValueError:
            continue
    return converted
