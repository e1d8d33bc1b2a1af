"""Render aggregation plans (`Apply`) with SQLAlchemy Core, and read their rows back.

One statement does all the work: WHERE from the filter, GROUP BY the grouping paths, one
aggregate function per alias. Paths are resolved as in `store.query` (a compound part is its
column, a path through lookups an outer join), so grouping by `Account/Name` keeps the
records whose Account is empty in a group of their own, as OData asks.

Values come back as the service's canonical types on both stores, whatever the driver hands
over: SQLite sums decimal columns in binary floating point, so a sum is rounded back to the
field's scale (exact, since every addend had that scale); averages are rounded to
`AVERAGE_SCALE` places on both stores so they agree; counts and integer sums are ints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Integer as SqlInteger
from sqlalchemy import Select, String, cast, distinct, func, select

from commonground.model.datamodel import DataModel
from commonground.model.field import Field
from commonground.model.types import Storage
from commonground.query.aggregate import Aggregate, Apply
from commonground.query.plan import Order
from commonground.store.database import Database
from commonground.store.query import QueryError, Scope, compile_expr, resolve_path

AVERAGE_SCALE = 10  # float averages (SQLite) carry about 15 significant digits
WHOLE_STORAGES = frozenset({Storage.INTEGER, Storage.BIG_INTEGER, Storage.LOOKUP})


@dataclass(frozen=True)
class OutputColumn:
    """One column of an aggregated row and where its value goes in the result object.

    `keys` is the place in the (nested) result: `("Status",)`, `("MailingPostalAddress",
    "City")`, `("Account", "Name")` or `("_Account_value",)` (see `lookup_value_key`) for a
    grouping path, `("Total",)` for an alias. `field`
    describes the values (None for a count); `method` is None for a grouping column.
    """

    label: str
    keys: tuple[str, ...]
    field: Field | None
    method: str | None = None


def compile_apply(
    db: Database,
    model: DataModel,
    entity_name: str,
    apply: Apply,
    order_by: Sequence[Order] = (),
    top: int | None = None,
    coerce: Callable[[Field, Any], Any] | None = None,
    skip: int | None = None,
) -> tuple[Select[Any], list[OutputColumn]]:
    """The SELECT for an aggregation and its columns, in order.

    `order_by` may name grouping paths (as `Apply.group_by` spells them) or aliases; the
    grouping columns follow as tie-breakers, so `top` always cuts the same groups.
    """
    entity = model.entity(entity_name)
    scope = Scope(db, model, entity, db.table(entity.name), coerce=coerce)
    condition = compile_expr(scope, apply.filter) if apply.filter is not None else None
    outputs: list[OutputColumn] = []
    columns: list[Any] = []
    by_name: dict[str, Any] = {}
    group_columns: list[Any] = []
    for position, path in enumerate(apply.group_by):
        segments = _segments(path)
        resolved = resolve_path(scope, segments)
        label = f"g{position}"
        columns.append(resolved.column.label(label))
        group_columns.append(resolved.column)
        by_name[path] = resolved.column
        outputs.append(OutputColumn(label, _keys(model, entity_name, segments), resolved.field))
    for position, aggregate in enumerate(apply.aggregates):
        label = f"a{position}"
        expression, field = _aggregate(scope, aggregate)
        labelled = expression.label(label)
        columns.append(labelled)
        by_name[aggregate.alias] = labelled
        outputs.append(OutputColumn(label, (aggregate.alias,), field, aggregate.method))
    if not columns:
        raise QueryError("$apply needs grouping properties or aggregates")
    assert scope.from_clause is not None
    statement = select(*columns).select_from(scope.from_clause)
    if condition is not None:
        statement = statement.where(condition)
    if group_columns:
        statement = statement.group_by(*group_columns)
    order = []
    for item in order_by:
        column = by_name.get(item.path)
        if column is None:
            raise QueryError(f"'{item.path}' is neither a grouping property nor an aggregate")
        # Nulls first ascending, last descending: OData's rule, on every database.
        order.append(column.desc().nulls_last() if item.descending else column.asc().nulls_first())
    order += [column.asc().nulls_first() for column in group_columns]
    if order:
        statement = statement.order_by(*order)
    if top is not None:
        statement = statement.limit(top)
    if skip:
        statement = statement.offset(skip)
    return statement, outputs


def _segments(path: str) -> tuple[str, ...]:
    return tuple(p for p in path.split("/") if p)


def _keys(model: DataModel, entity_name: str, segments: tuple[str, ...]) -> tuple[str, ...]:
    """A path's place in the result, with each name spelled as the model spells it."""
    entity = model.entity(entity_name)
    keys: list[str] = []
    for position, name in enumerate(segments):
        found = entity.field_or_none(name)
        if found is None:
            keys += segments[position:]  # resolve_path has vouched for the rest already
            break
        last = position == len(segments) - 1
        keys.append(lookup_value_key(found.name) if last and found.target else found.name)
        if found.is_compound and position + 1 < len(segments):
            part = segments[position + 1].lower()
            keys += [p.name for p in found.parts if p.name.lower() == part]
            break
        if found.target is not None:
            entity = model.entity(found.target)
    return tuple(keys)


def lookup_value_key(lookup: str) -> str:
    """Where a grouped lookup's RecordId goes: `_Account_value`, as the OData API names it.

    Not `Account`: grouping by both `Account` and `Account/Name` needs both the RecordId and
    a nested `{"Account": {"Name": ...}}` in one object.
    """
    return f"_{lookup}_value"


def _aggregate(scope: Scope, aggregate: Aggregate) -> tuple[Any, Field | None]:
    """The SQL aggregate for one alias and the field its values come from."""
    if aggregate.method == "count" or aggregate.path is None:
        return func.count(), None
    resolved = resolve_path(scope, _segments(aggregate.path))
    column: Any = resolved.column
    field = resolved.field
    method = aggregate.method
    if method == "countdistinct":
        return func.count(distinct(column)), field
    if method == "sum":
        return func.sum(column), field
    if method == "average":
        return func.avg(column), field
    if method in ("min", "max"):
        # PostgreSQL has no min/max of booleans or uuids: compare their integer/text forms.
        if field.storage is Storage.BOOLEAN:
            column = cast(column, SqlInteger)
        elif field.storage is Storage.GUID:
            column = cast(column, String)
        return (func.min(column) if method == "min" else func.max(column)), field
    raise QueryError(f"unknown aggregation method '{aggregate.method}'")


class RowReader:
    """Turns aggregated rows into nested result objects with canonical values."""

    def __init__(self, model: DataModel, outputs: Sequence[OutputColumn]) -> None:
        self.model = model
        self.outputs = list(outputs)
        self._picklists: dict[str, dict[int, str]] = {}

    def read(self, row: Sequence[Any]) -> dict[str, Any]:
        """One result object: grouping values nested by path, aggregates under their aliases."""
        out: dict[str, Any] = {}
        for output, raw in zip(self.outputs, row, strict=True):
            place = out
            for key in output.keys[:-1]:
                nested = place.get(key)
                if not isinstance(nested, dict):
                    nested = place[key] = {}
                place = nested
            place[output.keys[-1]] = self.value(output, raw)
        return out

    def value(self, output: OutputColumn, raw: Any) -> Any:
        """One value as the service's canonical type (see the module docstring)."""
        method, field = output.method, output.field
        if method in ("count", "countdistinct"):
            return int(raw or 0)
        if raw is None or field is None:
            return None
        if method == "average":
            return _tidy(_decimal(raw).quantize(Decimal(1).scaleb(-AVERAGE_SCALE)))
        if method == "sum":
            if field.storage in WHOLE_STORAGES:
                return int(raw)
            return _decimal(raw).quantize(Decimal(1).scaleb(-field.scale))
        return self._stored(field, raw)

    def _stored(self, field: Field, raw: Any) -> Any:
        """A grouping value, or a min/max of one: as a record read would show it."""
        storage = field.storage
        if storage is Storage.PICKLIST:
            return self._picklist_names(field).get(int(raw), raw)
        if storage is Storage.BOOLEAN:
            return bool(raw)
        if storage is Storage.GUID:
            return raw if isinstance(raw, UUID) else UUID(str(raw))
        if storage is Storage.DECIMAL:
            return _decimal(raw).quantize(Decimal(1).scaleb(-field.scale))
        if storage in WHOLE_STORAGES:
            return int(raw)
        if isinstance(raw, datetime):
            return raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)
        return raw

    def _picklist_names(self, field: Field) -> dict[int, str]:
        assert field.picklist is not None
        names = self._picklists.get(field.picklist)
        if names is None:
            items = self.model.picklist(field.picklist).items
            names = self._picklists[field.picklist] = {i.value: i.name for i in items}
        return names


def _decimal(value: Any) -> Decimal:
    """A driver number as a Decimal; a float through its shortest repr, not its binary value."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _tidy(value: Decimal) -> Decimal:
    """Without trailing zeros (2.5000000000 -> 2.5), never in exponent form (100, not 1E+2)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
