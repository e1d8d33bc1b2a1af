"""The engine end to end: two environments, real connectors, runs, history and state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commonground.integration.definitions import FieldMapping
from commonground.integration.integrator import RunInProgressError
from commonground.integration.leases import Lease
from tests.fixtures.fix_integration import TO_HUB, World, one_way, reverse


def test_full_then_incremental_runs(world: World) -> None:
    world.crm.create("Customer", world.customers(*range(1, 13)))
    world.save_project(one_way())
    first = world.integrator.run("CustomersToHub", batch_size=5)
    assert first.status == "Completed", first.message
    [step] = first.steps
    assert (step.counts.read, step.counts.inserted, first.upserts) == (12, 12, 12)
    rows = world.hub_rows()
    assert rows["C3"]["Name"] == "Customer 3"
    assert rows["C3"]["Country"] == "US"
    assert rows["C3"]["Credit"] == Decimal("30")

    quiet = world.integrator.run("CustomersToHub")
    assert quiet.status == "Completed"
    assert quiet.steps[0].counts.read == 0  # nothing changed since the watermark

    world.crm.upsert("Customer", [{"Number": "C1", "Name": "Renamed"}], key=["Number"])
    world.crm.create("Customer", world.customers(13))
    later = world.integrator.run("CustomersToHub")
    counts = later.steps[0].counts
    assert (counts.read, counts.inserted, counts.updated) == (2, 1, 1)
    assert world.hub_rows()["C1"]["Name"] == "Renamed"


def test_run_with_all_data_rereads_and_skips_unchanged(world: World) -> None:
    world.crm.create("Customer", world.customers(1, 2, 3))
    world.save_project(one_way())
    world.integrator.run("CustomersToHub")
    again = world.integrator.run("CustomersToHub", full=True)
    counts = again.steps[0].counts
    assert (counts.read, counts.unchanged, counts.upserts) == (3, 3, 0)
    assert again.status == "Completed"


def test_record_errors_give_a_warning_and_the_rest_is_written(world: World) -> None:
    world.crm.create("Customer", world.customers(1, 2))
    world.crm.create(
        "Customer", [{"Number": "C9", "Name": "A name far too long " * 3, "Country": "us"}]
    )
    world.crm.create("Customer", [{"Number": "C8", "Name": "Bad country", "Country": "Atlantis"}])
    world.save_project(one_way())
    run = world.integrator.run("CustomersToHub")
    assert run.status == "Warning"
    assert (run.upserts, run.errors) == (2, 2)
    errors = {e["record"]: e for e in world.integrator.history.record_errors(run.id)}
    assert errors["(Number):(C9)"]["field"] == "Name"
    assert errors["(Number):(C9)"]["kind"] == "import"
    assert errors["(Number):(C8)"]["kind"] == "export"
    assert set(world.hub_rows()) == {"C1", "C2"}


def test_validation_problems_end_in_error_and_write_nothing(world: World) -> None:
    world.crm.create("Customer", world.customers(1))
    mappings = [
        *TO_HUB,
        FieldMapping(source="Name", destination="Nope"),
        FieldMapping(source="Missing", destination="Name"),
    ]
    world.save_project(one_way(mappings=mappings))
    run = world.integrator.run("CustomersToHub")
    assert run.status == "Error"
    codes = {e["code"] for e in world.integrator.history.record_errors(run.id)}
    assert {"DIPV1025", "DIPV1022", "DIPV1026"} <= codes
    assert world.hub_rows() == {}


def test_filter_that_does_not_parse_is_a_validation_problem(world: World) -> None:
    world.save_project(one_way(filter="Credit gt"))
    run = world.integrator.run("CustomersToHub")
    assert run.status == "Error"
    assert [e["code"] for e in world.integrator.history.record_errors(run.id)] == ["DIPV1012"]


def test_source_filter_limits_what_is_sent(world: World) -> None:
    world.crm.create("Customer", world.customers(1, 2, 3, 4))
    world.save_project(one_way(filter="Credit ge 30"))
    world.integrator.run("CustomersToHub")
    assert set(world.hub_rows()) == {"C3", "C4"}


def test_dry_run_reports_differences_and_writes_nothing(world: World) -> None:
    world.crm.create("Customer", world.customers(1, 2))
    world.save_project(one_way())
    world.integrator.run("CustomersToHub")
    world.crm.upsert("Customer", [{"Number": "C1", "Name": "New name"}], key=["Number"])
    world.crm.create("Customer", world.customers(3))
    dry = world.integrator.run("CustomersToHub", dry_run=True)
    assert dry.dry_run
    assert dry.status == "Completed"
    changes = {c["record"]: c for c in world.integrator.history.previews(dry.id)}
    assert changes["(Code):(C1)"]["action"] == "update"
    assert changes["(Code):(C1)"]["differences"] == {"Name": ["Customer 1", "New name"]}
    assert changes["(Code):(C3)"]["action"] == "insert"
    assert world.hub_rows()["C1"]["Name"] == "Customer 1"
    real = world.integrator.run("CustomersToHub")  # the dry run did not move the watermark
    assert (real.steps[0].counts.inserted, real.steps[0].counts.updated) == (1, 1)


def test_two_way_flow_sends_no_echoes(world: World) -> None:
    world.crm.create("Customer", world.customers(1, 2))
    world.save_project(one_way())
    world.save_project(reverse())
    world.integrator.run("CustomersToHub")
    back = world.integrator.run("ClientsToCrm")
    counts = back.steps[0].counts
    assert counts.upserts == 0
    assert counts.unchanged == 2
    crm_versions = {k: r["VersionNumber"] for k, r in world.crm_rows().items()}
    world.hub.upsert("Client", [{"Code": "C2", "Name": "Hub edit"}], key=["Code"])
    back = world.integrator.run("ClientsToCrm")
    assert back.steps[0].counts.updated == 1
    assert world.crm_rows()["C2"]["Name"] == "Hub edit"
    assert world.crm_rows()["C1"]["VersionNumber"] == crm_versions["C1"]
    forth = world.integrator.run("CustomersToHub")  # and the reverse write is no echo either
    assert forth.steps[0].counts.upserts == 0


def test_deletes_propagate_when_asked(world: World) -> None:
    world.crm.create("Customer", world.customers(1, 2))
    world.save_project(one_way(propagate_deletes=True))
    world.integrator.run("CustomersToHub")
    [gone] = [r for r in world.crm_rows().values() if r["Number"] == "C1"]
    world.crm.delete("Customer", [gone["RecordId"]])
    run = world.integrator.run("CustomersToHub")
    assert run.steps[0].counts.deleted == 1
    assert set(world.hub_rows()) == {"C2"}


def test_a_project_never_runs_twice_at_once(world: World) -> None:
    world.save_project(one_way())
    other = Lease(world.integrator.db, "project:CustomersToHub", "otherhost:1:x")
    assert other.acquire()
    with pytest.raises(RunInProgressError, match="already running"):
        world.integrator.run("CustomersToHub")
    other.release()
    assert world.integrator.run("CustomersToHub").status == "Completed"


def test_cancel_stops_between_batches(world: World) -> None:
    world.crm.create("Customer", world.customers(*range(1, 21)))
    world.save_project(one_way())

    def cancel_after_first_batch(progress: object) -> None:
        running = world.integrator.history.list("CustomersToHub", 1)[0]
        world.integrator.cancel(running.id)

    run = world.integrator.run("CustomersToHub", batch_size=5, progress=cancel_after_first_batch)
    assert run.status == "Cancelled"
    assert len(world.hub_rows()) == 5
    resumed = world.integrator.run("CustomersToHub", batch_size=5)
    assert resumed.status == "Completed"
    assert len(world.hub_rows()) == 20


def test_rerun_runs_the_same_way(world: World) -> None:
    world.crm.create("Customer", world.customers(1))
    world.save_project(one_way())
    first = world.integrator.run("CustomersToHub", full=True)
    again = world.integrator.rerun(first.id)
    assert again.rerun_of == first.id
    assert again.full_run
    assert again.trigger == "Rerun"
