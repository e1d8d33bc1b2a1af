"""A leg holds off the cyclic garbage collector while it runs, collects young objects every
few batches instead, and gives the collector back as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from commonground.collector import paused_gc
from commonground.integration.engine import legs
from tests.fixtures.fix_integration import World, one_way


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_enabled")
def test_the_collector_is_off_inside_and_back_on_after() -> None:
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_enabled")
def test_nested_pauses_and_errors_give_the_collector_back_as_found() -> None:
    def fail_inside_nested_pauses() -> None:
        with paused_gc():
            with paused_gc():
                pass
            assert not gc.isenabled()  # the inner pause left it off: the outer one holds it
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside_nested_pauses()
    assert gc.isenabled()
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()  # it was off before: it stays off


@pytest.mark.usefixtures("collector_enabled")
def test_a_leg_runs_with_the_collector_off_and_collects_young_objects_every_few_batches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.crm.create("Customer", world.customers(*range(1, 21)))
    world.save_project(one_way())
    monkeypatch.setattr(legs, "COLLECT_EVERY", 2)
    seen: list[tuple[str, object]] = []
    monkeypatch.setattr(
        legs.gc, "collect", lambda generation=2: seen.append(("collect", generation))
    )

    def progress(_: object) -> None:
        seen.append(("enabled", gc.isenabled()))

    run = world.integrator.run("CustomersToHub", batch_size=5, progress=progress)
    assert run.status == "Completed"
    assert ("enabled", True) not in seen[:-1]  # off while the batches went through
    assert seen.count(("collect", 1)) == 2  # after batches 2 and 4 of 4
    assert gc.isenabled()
