"""Read-ahead: order kept, errors raised in the consumer, the source closed on early exit."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from commonground.integration.engine.prefetch import Prefetch


def test_items_arrive_in_order() -> None:
    with Prefetch(lambda: iter(range(100)), depth=3) as items:
        assert list(items) == list(range(100))


def test_a_source_error_is_raised_in_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("source broke")

    with pytest.raises(ValueError, match="source broke"), Prefetch(failing) as items:
        list(items)


def test_stopping_early_closes_the_source_in_its_own_thread() -> None:
    closed: list[str] = []

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.append(threading.current_thread().name)

    with Prefetch(endless, depth=2) as items:
        for n in items:
            if n == 5:
                break
    assert closed == ["prefetch"]
