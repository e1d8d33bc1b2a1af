"""Bad input at run time: each problem is reported precisely and nothing is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from commonground.integration.definitions import (
    ConnectionDef,
    ConnectionSetDef,
    FieldMapping,
    Leg,
    ProjectDef,
    TaskDef,
)
from tests.fixtures.fix_integration import World


def _sql_project(world: World, url: str, mappings: list[FieldMapping]) -> None:
    store = world.integrator.definitions
    store.save_connection(
        ConnectionDef(name="erp", kind="sql", settings={"url": url}), replace=True
    )
    store.save_connection_set(
        ConnectionSetDef(
            name="erp-hub",
            connections={"erp": "erp", "hub": "hub-conn"},
            keys={"erp.customers": ["number"], "hub.Client": ["Code"]},
        ),
        replace=True,
    )
    task = TaskDef(
        name="Customers",
        legs=[
            Leg(
                source="erp",
                source_entity="customers",
                destination="hub",
                destination_entity="Client",
                mappings=mappings,
            )
        ],
    )
    world.save_project(
        ProjectDef(name="FromErp", connection_set="erp-hub", consent=True, tasks=[task])
    )


MAPPINGS = [
    FieldMapping(source="number", destination="Code"),
    FieldMapping(source="name", destination="Name"),
    FieldMapping(
        source="country",
        destination="Country",
        transform=[{"transformType": "ValueMap", "valueMap": {"usa": "US", "germany": "DE"}}],
    ),
]


def _source(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (number TEXT PRIMARY KEY, name TEXT, country TEXT)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [("C1", "One", "USA"), ("C2", "Two", "France"), ("C3", "Three", "germany")],
        )
    return f"sqlite:///{path}"


def test_an_unreachable_system_ends_the_run_in_error_with_its_reason(world: World) -> None:
    _sql_project(world, "postgresql+psycopg://nobody:pw-secret@127.0.0.1:1/none", MAPPINGS)
    run = world.integrator.run("FromErp")
    assert run.status == "Error"
    [problem] = world.integrator.history.record_errors(run.id)
    assert problem["code"] == "DIPV1000"
    assert "pw-secret" not in problem["message"]
    assert world.hub_rows() == {}


def test_a_value_map_that_misses_fails_only_that_record(world: World, tmp_path: Path) -> None:
    _sql_project(world, _source(tmp_path / "erp.sqlite"), MAPPINGS)
    run = world.integrator.run("FromErp")
    assert run.status == "Warning"
    [error] = world.integrator.history.record_errors(run.id)
    assert error["record"] == "(number):(C2)"
    assert error["field"] == "country"
    assert "France" in error["message"]
    assert {k: r["Country"] for k, r in world.hub_rows().items()} == {"C1": "US", "C3": "DE"}


def test_a_source_schema_that_changed_is_a_validation_problem(world: World, tmp_path: Path) -> None:
    url = _source(tmp_path / "erp.sqlite")
    _sql_project(world, url, MAPPINGS)
    assert world.integrator.run("FromErp").status == "Warning"
    with sqlite3.connect(tmp_path / "erp.sqlite") as db:
        db.execute("ALTER TABLE customers DROP COLUMN country")
    run = world.integrator.run("FromErp")
    assert run.status == "Error"
    [problem] = world.integrator.history.record_errors(run.id)
    assert problem["code"] == "DIPV1022"
    assert "country" in problem["message"]


def test_a_failed_record_is_sent_again_once_fixed(world: World, tmp_path: Path) -> None:
    path = tmp_path / "erp.sqlite"
    _sql_project(world, _source(path), MAPPINGS)
    assert world.integrator.run("FromErp").status == "Warning"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE customers SET country = 'usa' WHERE number = 'C2'")
    # the table has no cursor, so every run reads it whole: the fixed record now flows
    again = world.integrator.run("FromErp")
    assert again.status == "Completed"
    assert world.hub_rows()["C2"]["Country"] == "US"
