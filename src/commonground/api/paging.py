"""Server-driven paging with keyset skip tokens.

A next link carries the sort values and RecordId of the last record of the page, and the
next page asks for records strictly after it in the same order. Unlike OFFSET, this neither
skips nor repeats a record when others are inserted or deleted between two pages, and it
costs the same on page 1,000 as on page 1. Nulls sort as the smallest value (the store
orders ascending nulls first, descending nulls last), which the conditions below mirror.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from commonground.api.errors import ApiError
from commonground.model.entity import RECORD_ID, Entity
from commonground.odata.json_format import json_value
from commonground.query.expressions import Binary, Expr, Literal, Path
from commonground.query.plan import Order, Query
from commonground.service.codec import Record

DEFAULT_PAGE = 5000


def sort_value(record: Record, path: str) -> Any:
    """The value a record has for a sort path (a field or a compound part)."""
    parts = [p for p in path.split("/") if p]
    value: Any = record.get(parts[0])
    for part in parts[1:]:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def skip_token(query: Query, record: Record) -> str:
    """The token that continues after `record`."""
    values = [json_value(sort_value(record, o.path), True) for o in query.order_by]
    payload = orjson.dumps({"v": values, "id": record[RECORD_ID]})
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def after_token(query: Query, token: str) -> Expr:
    """A condition selecting the records after the one a token names."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        values, last_id = list(data["v"]), int(data["id"])
    except (ValueError, KeyError, TypeError) as exc:
        message = "$skiptoken is not one this service issued"
        raise ApiError(400, "InvalidSkipToken", message) from exc
    if len(values) != len(query.order_by):
        raise ApiError(400, "InvalidSkipToken", "$skiptoken does not match $orderby")
    alternatives: list[Expr] = []
    equal: list[Expr] = []
    for order, value in zip(query.order_by, values, strict=True):
        later = _later(order, value)
        if later is not None:
            alternatives.append(_all([*equal, later]))
        equal.append(_path(order.path) == value)
    alternatives.append(_all([*equal, Path((RECORD_ID,)) > last_id]))
    condition = alternatives[0]
    for other in alternatives[1:]:
        condition = condition | other
    return condition


def _path(text: str) -> Path:
    return Path(tuple(p for p in text.split("/") if p))


def _later(order: Order, value: Any) -> Expr | None:
    path = _path(order.path)
    if value is None:
        return None if order.descending else path.is_not_null()
    if order.descending:
        return Binary("lt", path, Literal(value)) | path.is_null()
    return Binary("gt", path, Literal(value))


def _all(terms: list[Expr]) -> Expr:
    condition = terms[0]
    for term in terms[1:]:
        condition = condition & term
    return condition


def sort_fields(entity: Entity, query: Query) -> list[str] | None:
    """The top-level fields the sort reads, or None when a sort path goes through a lookup
    (keyset paging needs every sort value in the record itself)."""
    fields = []
    for order in query.order_by:
        head, _, rest = order.path.partition("/")
        field = entity.field_or_none(head)
        if field is None or (rest and not field.is_compound):
            return None
        fields.append(field.name)
    return fields
