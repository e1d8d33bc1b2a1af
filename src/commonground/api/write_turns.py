"""Writes of one environment take turns, first come first served, before a worker thread.

The store lets one writer of an environment in at a time (a lock in the process, then the
database's own). Threads waiting on a lock are woken in no promised order, so with many
concurrent writes some waited far longer than others. Queueing on the event loop is fair
(an asyncio semaphore wakes its waiters in order) and keeps waiting requests off the thread
pool, where they would only compete for the GIL with the write that can make progress. Two
writes are let through at a time, not one: the second gets ready while the first holds the
store's lock, so the hops to the worker thread and back are not on the writers' critical path.
"""

from __future__ import annotations

import asyncio
import weakref

IN_FLIGHT = 2


class WriteTurns:
    """A FIFO semaphore per environment (by name, case-insensitive) and event loop."""

    def __init__(self) -> None:
        self._turns: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    def turn(self, environment: str) -> asyncio.Semaphore:
        """What a write to `environment` holds while it runs (`async with`)."""
        per_loop = self._turns.setdefault(asyncio.get_running_loop(), {})
        name = environment.lower()
        turn = per_loop.get(name)
        if turn is None:
            turn = per_loop[name] = asyncio.Semaphore(IN_FLIGHT)
        return turn
