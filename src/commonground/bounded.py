"""A bounded cache shared between threads, for values derived from requests.

Parsed options and compiled query shapes come from what clients send, so the number of
different ones has no limit: a cache of them keeps at most a fixed number, dropping the
oldest first (clients repeat recent shapes; an old one is rebuilt if it comes back).
"""

from __future__ import annotations

from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")


class BoundedCache(Generic[K, V]):
    """At most `size` entries, the oldest dropped first; reads take no lock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: dict[K, V] = {}
        self._lock = Lock()

    def get(self, key: K, default: D) -> V | D:
        """The value kept for `key`, else `default`."""
        return self._items.get(key, default)

    def put(self, key: K, value: V) -> None:
        """Keep a value, dropping the oldest entry when full (iterating under the lock, as
        every change is made, so another thread's change cannot break the iteration)."""
        with self._lock:
            if key not in self._items and len(self._items) >= self.size:
                del self._items[next(iter(self._items))]
            self._items[key] = value

    def __len__(self) -> int:
        return len(self._items)
