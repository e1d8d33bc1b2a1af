"""Keeping the garbage collector's full collections short in a long-running server.

A server holds a large, long-lived heap: the data models, table definitions and compiled
statements of every environment it has opened (over 100,000 objects). CPython's full
collection walks all of it: in bench/api.py one such collection fell inside a measured
phase and took 73-77 ms, and every request in flight waited for it. What is built at
start-up and when an environment is opened lives as long as the process, so it is moved
out of the collector's sight (`gc.freeze`); full collections then walk only what requests
have made since.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect what start-up left over, then freeze everything alive now: it stays."""
    gc.collect()
    gc.freeze()
