"""Values derived from one model or entity definition, computed once per definition object.

Definitions are immutable: a schema change makes a new `DataModel` and new `Entity` objects,
so what is derived from one (entity-set names, output names) can be kept for as long as that
object lives. The cache is keyed by identity, not by value: hashing a wide frozen definition
costs more than most of what is derived from it, and two environments' equal definitions may
each keep their own.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
T = TypeVar("T")


class PerDefinition(Generic[K, T]):
    """`build(definition)` memoised per definition object; an entry goes when its object does."""

    def __init__(self, build: Callable[[K], T]) -> None:
        self.build = build
        self._kept: dict[int, tuple[weakref.ref[K], T]] = {}

    def __call__(self, definition: K) -> T:
        key = id(definition)
        kept = self._kept.get(key)
        if kept is not None and kept[0]() is definition:
            return kept[1]
        value = self.build(definition)
        self._kept[key] = (weakref.ref(definition, lambda _: self._forget(key)), value)
        return value

    def _forget(self, key: int) -> None:
        kept = self._kept.get(key)
        if kept is not None and kept[0]() is None:
            del self._kept[key]
