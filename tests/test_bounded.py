"""BoundedCache keeps the newest `size` keys, and stays whole under concurrent use."""

from __future__ import annotations

from threading import Thread

from hypothesis import given
from hypothesis import strategies as st

from commonground.bounded import BoundedCache

MISSING = object()


@given(size=st.integers(1, 5), keys=st.lists(st.integers(0, 9), max_size=40))
def test_keeps_the_newest_keys_with_their_latest_values(size: int, keys: list[int]) -> None:
    cache: BoundedCache[int, tuple[int, int]] = BoundedCache(size)
    model: dict[int, tuple[int, int]] = {}  # insertion order: first put of a key still held
    for step, key in enumerate(keys):
        if key not in model and len(model) >= size:
            del model[next(iter(model))]
        model[key] = (key, step)
        cache.put(key, (key, step))
    assert len(cache) == len(model)
    for key in range(10):
        assert cache.get(key, MISSING) == model.get(key, MISSING)


def test_threads_putting_and_getting_at_once_never_break_it() -> None:
    cache: BoundedCache[int, int] = BoundedCache(64)
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(20_000):
                cache.put((i * 7 + offset) % 500, i)
                cache.get(i % 500, None)
        except BaseException as exc:  # any failure in a thread is the finding
            failures.append(exc)

    threads = [Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(cache) == 64
