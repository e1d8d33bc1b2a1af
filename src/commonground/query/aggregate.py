"""Aggregation plans: what OData `$apply` asks for, as data the store can render later.

Kept apart from `Query` because an aggregated read returns groups, not records: different
rows, different paging, different JSON. `filter` narrows the records before grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

from commonground.query.expressions import Expr

AGGREGATE_METHODS = frozenset({"sum", "average", "min", "max", "countdistinct", "count"})


@dataclass(frozen=True)
class Aggregate:
    """One aggregated value per group: `method` over the field at `path`, named `alias`.

    `path` is a field path as in `Order` (`Amount`, `TotalAmount/Amount`, `Account/Name`);
    it is None for `count`, the number of records in the group (OData `$count as X`).
    """

    path: str | None
    method: str
    alias: str


@dataclass(frozen=True)
class Apply:
    """Filter, then group by `group_by` paths and compute `aggregates` per group.

    No `group_by` means one group of all (filtered) records; no `aggregates` means the
    distinct combinations of the `group_by` values.
    """

    filter: Expr | None = None
    group_by: tuple[str, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
