"""A leg holds off the cyclic garbage collector while it maps and writes a batch, and gives
it back as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from commonground.integration.engine.legs import _collector_paused


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_enabled")
def test_the_collector_is_off_inside_and_back_on_after() -> None:
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_enabled")
def test_nested_pauses_and_errors_give_the_collector_back_as_found() -> None:
    def fail_inside_nested_pauses() -> None:
        with _collector_paused():
            with _collector_paused():
                pass
            assert not gc.isenabled()  # the inner pause left it off: the outer one holds it
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside_nested_pauses()
    assert gc.isenabled()
    gc.disable()
    with _collector_paused():
        pass
    assert not gc.isenabled()  # it was off before: it stays off
