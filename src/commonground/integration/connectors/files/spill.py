"""Sorting more rows than memory should hold: sorted runs spilled to disk, then merged.

A file is not sorted by its cursor column, yet an incremental read must return rows in
(cursor, key) order so that each batch's watermark is safe to store. Rows are cut into runs
of at most `run_size`, each sorted in memory and pickled to a temporary file, and the runs
are merged lazily (`heapq.merge`): memory holds one run while spilling and one row per run
while merging. Pickling keeps values exact (decimals, aware datetimes), which a SQL table
would turn into text or floats that no longer sort the same way.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")
RUN_SIZE = 100_000


def sorted_on_disk(
    items: Iterable[T], key: Callable[[T], Any], run_size: int | None = None
) -> Iterator[T]:
    """The items in `key` order, holding at most `run_size` (RUN_SIZE) in memory at a time."""
    run_size = run_size or RUN_SIZE
    with tempfile.TemporaryDirectory(prefix="commonground-sort-") as folder, ExitStack() as stack:
        iterator = iter(items)
        runs: list[Iterator[T]] = []
        while run := list(islice(iterator, run_size)):
            run.sort(key=key)
            if not runs and len(run) < run_size:
                yield from run  # everything fits in one run: no need to touch the disk
                return
            path = Path(folder) / f"run-{len(runs)}"
            with path.open("wb") as handle:
                for item in run:
                    pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)
            runs.append(_unpickled(stack.enter_context(path.open("rb"))))
        yield from heapq.merge(*runs, key=key)


def _unpickled(handle: IO[bytes]) -> Iterator[Any]:
    while True:
        try:
            yield pickle.load(handle)
        except EOFError:
            return
