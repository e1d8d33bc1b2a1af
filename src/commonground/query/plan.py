"""A query plan: which records of one entity, which fields, in which order, with what related."""

from __future__ import annotations

from dataclasses import dataclass, field

from commonground.query.expressions import Expr


@dataclass(frozen=True)
class Order:
    """Sort by a field path, ascending unless `descending`."""

    path: str
    descending: bool = False


@dataclass(frozen=True)
class Include:
    """Related records to fetch with each result: a lookup (one) or a child collection (many).

    `name` is a lookup field of the queried entity, or a child entity name whose lookup points
    at the queried entity (`SalesOrderLine`), optionally qualified by that lookup
    (`SalesOrderLine.SalesOrder`). `query` narrows and shapes the related records.
    """

    name: str
    query: Query | None = None


@dataclass(frozen=True)
class Query:
    """Everything needed to read records of one entity."""

    entity: str
    select: tuple[str, ...] | None = None
    where: Expr | None = None
    order_by: tuple[Order, ...] = ()
    top: int | None = None
    skip: int | None = None
    include: tuple[Include, ...] = field(default_factory=tuple)
