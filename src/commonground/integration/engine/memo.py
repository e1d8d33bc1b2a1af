"""What the lookups of one leg run found, so a later batch does not ask for it again.

A leg's batches keep naming the same related records (the products of order lines, the
accounts of contacts, a currency): without memory every batch fetches and resolves them
again, and the work grows with batches times distinct values instead of distinct values.
Only what was found is remembered: a value not found may be created later in the run (a
record referencing one further on in the same source), so it is asked again. The memory
belongs to one leg run and stays bounded: past `limit` values per table it starts over.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

Lookup = Callable[[str, list[str], list[Any]], dict[Any, Any]]


class LookupMemo:
    """A lookup `(entity, names, wanted) -> {wanted item: answer}` that remembers answers."""

    def __init__(self, lookup: Lookup, limit: int = 100_000) -> None:
        self._lookup = lookup
        self._limit = limit
        self._known: dict[tuple[str, tuple[str, ...]], dict[Hashable, Any]] = {}

    def __call__(self, entity: str, names: Sequence[str], wanted: Sequence[Any]) -> dict[Any, Any]:
        """The answers for `wanted`: remembered ones, and the rest asked in one call."""
        known = self._known.setdefault((entity, tuple(names)), {})
        answer = {item: known[item] for item in wanted if item in known}
        missing = [item for item in wanted if item not in answer]
        if missing:
            found = self._lookup(entity, list(names), missing)
            answer.update(found)
            if len(known) + len(found) > self._limit:
                known.clear()
            known.update(found)
        return answer
