"""Connectors are opened per run, or kept across the runs of a sequence."""

from __future__ import annotations

import threading

from commonground.integration.definitions import ConnectionDef
from commonground.integration.engine.connections import RunConnectors
from tests.fixtures.fix_integration import World, one_way


def test_kept_connectors_are_reused_until_their_settings_change(world: World) -> None:
    connectors = RunConnectors(world.integrator.definitions)
    with connectors.keep():
        first = connectors.open("crm-conn")
        assert connectors.open("crm-conn") is first
        connectors.release(first)  # kept: still open, still handed out
        assert connectors.open("crm-conn") is first
        world.integrator.definitions.save_connection(
            ConnectionDef(
                name="crm-conn",
                kind="commonground",
                settings={"environment": "crm", "home": str(world.home), "batch_size": 100},
            ),
            replace=True,
        )
        assert connectors.open("crm-conn") is not first
    outside = connectors.open("crm-conn")
    assert connectors.open("crm-conn") is not outside  # outside keep(): a new one each time
    connectors.release(outside)


def test_runs_inside_keep_give_the_same_results(world: World) -> None:
    world.crm.create("Customer", world.customers(1, 2, 3))
    world.save_project(one_way())
    with world.integrator.keep_connectors():
        first = world.integrator.run("CustomersToHub")
        world.crm.upsert("Customer", [{"Number": "C1", "Name": "Changed"}], key=["Number"])
        second = world.integrator.run("CustomersToHub")
    assert first.steps[0].counts.inserted == 3
    assert second.steps[0].counts.updated == 1
    assert world.hub_rows()["C1"]["Name"] == "Changed"


def test_what_one_thread_keeps_another_does_not_share(world: World) -> None:
    connectors = RunConnectors(world.integrator.definitions)
    seen: list[object] = []

    def other_thread() -> None:
        connector = connectors.open("crm-conn")
        seen.append(connector)
        connectors.release(connector)  # not kept in this thread: closed

    with connectors.keep():
        mine = connectors.open("crm-conn")
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert seen[0] is not mine
        assert connectors.open("crm-conn") is mine
