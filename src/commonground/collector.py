"""Holding off Python's cyclic garbage collector around bulk work.

A batch allocates tens of thousands of tuples and dicts, none of them in reference cycles,
and reference counting frees them; the cyclic collector would still rescan them again and
again as they pile up (about a third of a bulk load). The store's batch writer and the
integrator's legs pause it for the work and give it back as they found it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Automatic collection off inside the block; it stays off when it already was, so
    nested pauses nest (a leg's pause holds while the hub writer's inner one ends)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
