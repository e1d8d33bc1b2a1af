"""The server freezes its long-lived heap: start-up garbage is collected, the rest frozen."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from commonground.api.heap import settle_heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process keeps collecting as before


def test_settle_heap_collects_cycles_then_freezes_what_lives(unfrozen):
    a, b, kept = Node(), Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    frozen_before = gc.get_freeze_count()
    settle_heap()
    assert gone() is None  # the unreachable cycle was collected, not frozen
    assert gc.get_freeze_count() > frozen_before
    assert not any(o is kept for o in gc.get_objects())  # frozen: out of every generation
