"""Finding records by key values: exact, or with text compared case-insensitively.

One query per chunk of key tuples (an IN list for a one-field key, a balanced OR of ANDs for
a composite one, so neither the SQL nor an OData filter nests deeply), whatever the batch size;
the chunks' queries go to the access together (`query_many`: one request when remote).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from commonground.integration.connectors.commonground.access import EnvironmentAccess
from commonground.model.entity import Entity
from commonground.odata.filter_parser import MAX_CONNECTIVES
from commonground.query.expressions import Call, Expr, Path
from commonground.query.plan import Query
from commonground.service.codec import Record


def key_tuple(record: dict[str, Any], fields: Sequence[str]) -> tuple[Any, ...]:
    """A record's values of the key fields."""
    return tuple(record.get(f) for f in fields)


def records_by_key(
    access: EnvironmentAccess,
    entity: Entity,
    fields: Sequence[str],
    values: Sequence[tuple[Any, ...]],
    select: Sequence[str],
    insensitive: bool = False,
    where: Expr | None = None,
) -> list[Record]:
    """The records whose key fields hold one of the tuples, with `fields` and `select` read
    (and, when given, that also match `where`)."""
    size = access.id_chunk
    if len(fields) > 1:  # a tuple costs len(fields) 'and'/'or', which filters have a cap on
        size = min(size, MAX_CONNECTIVES) // len(fields)
    shown = tuple(dict.fromkeys((*fields, *select)))
    queries = []
    for start in range(0, len(values), size):
        condition = _condition(list(fields), values[start : start + size], insensitive)
        if where is not None:
            condition = where & condition
        queries.append(Query(entity.name, select=shown, where=condition))
    return access.query_many(queries)


def _condition(fields: list[str], values: Sequence[tuple[Any, ...]], insensitive: bool) -> Expr:
    if len(fields) == 1:
        operand: Expr = Path((fields[0],))
        items = [v[0] for v in values]
        if insensitive:
            operand = Call("tolower", (operand,))
            items = [x.lower() if isinstance(x, str) else x for x in items]
        return operand.in_(items)
    return any_of([_all_equal(fields, v, insensitive) for v in values])


def _all_equal(fields: list[str], value: tuple[Any, ...], insensitive: bool) -> Expr:
    terms: list[Expr] = []
    for name, item in zip(fields, value, strict=True):
        path: Expr = Path((name,))
        if insensitive and isinstance(item, str):
            terms.append(Call("tolower", (path,)) == item.lower())
        else:
            terms.append(path == item)
    condition = terms[0]
    for term in terms[1:]:
        condition = condition & term
    return condition


def any_of(terms: Sequence[Expr]) -> Expr:
    """The OR of the terms as a balanced tree (depth grows with log n, not n)."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return any_of(terms[:middle]) | any_of(terms[middle:])
