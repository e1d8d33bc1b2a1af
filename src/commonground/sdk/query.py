"""The query builder: `entity_set.query().where(...).select(...).order_by(...).take(n)`.

Each call returns a new builder (they are immutable), so a base query can be shared and
refined. Nothing runs until the builder is iterated, listed, counted or asked for `first()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from commonground.query.expressions import Expr
from commonground.query.plan import Include, Order, Query
from commonground.service.codec import Record

if TYPE_CHECKING:
    from commonground.sdk.backend import Backend


class QueryBuilder:
    """A lazily run query over one entity set."""

    def __init__(self, backend: Backend, query: Query) -> None:
        self._backend = backend
        self.plan = query

    def _with(self, **changes: object) -> QueryBuilder:
        return QueryBuilder(self._backend, replace(self.plan, **changes))  # type: ignore[arg-type]

    def where(self, condition: Expr) -> QueryBuilder:
        """Keep records matching the condition (ANDed with earlier conditions)."""
        combined = condition if self.plan.where is None else self.plan.where & condition
        return self._with(where=combined)

    def select(self, *fields: str) -> QueryBuilder:
        """Return only these fields (RecordId and VersionNumber always come along)."""
        return self._with(select=tuple(fields))

    def order_by(self, path: str, descending: bool = False) -> QueryBuilder:
        """Sort by a field (after earlier sort fields)."""
        return self._with(order_by=(*self.plan.order_by, Order(path, descending)))

    def order_by_descending(self, path: str) -> QueryBuilder:
        """Sort by a field, largest first."""
        return self.order_by(path, descending=True)

    def take(self, count: int) -> QueryBuilder:
        """Return at most `count` records."""
        if count < 0:
            raise ValueError("take() needs a count of zero or more")
        return self._with(top=count)

    def skip(self, count: int) -> QueryBuilder:
        """Skip the first `count` records."""
        if count < 0:
            raise ValueError("skip() needs a count of zero or more")
        return self._with(skip=count)

    def include(self, name: str, related: QueryBuilder | None = None) -> QueryBuilder:
        """Fetch related records: a lookup, or a child collection such as `SalesOrderLine`."""
        shape = related.plan if related is not None else None
        return self._with(include=(*self.plan.include, Include(name, shape)))

    def to_list(self) -> list[Record]:
        """Run the query."""
        return self._backend.query(self.plan)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.to_list())

    def first(self) -> Record | None:
        """The first record, or None."""
        found = self._backend.query(replace(self.plan, top=1))
        return found[0] if found else None

    def count(self) -> int:
        """How many records match the conditions (ignoring take and skip)."""
        return self._backend.count(self.plan)
