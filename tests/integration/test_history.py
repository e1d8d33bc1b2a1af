"""Execution history: runs, steps, record errors, cancel requests, retention."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from commonground.integration.catalog.database import CatalogDatabase, as_text, utc_now
from commonground.integration.history import (
    FailedRecord,
    RunStatus,
    StepCounts,
    Trigger,
)
from commonground.integration.integrator import Integrator


def test_run_lifecycle(integrator: Integrator) -> None:
    history = integrator.history
    run = history.start("Accounts", Trigger.IMMEDIATE, full_run=False, dry_run=False, runner="me")
    step = history.add_step(run, 10, "Accounts", "Accounts -> From crm accounts to hub Account")
    history.record_progress(
        step,
        StepCounts(read=3, inserted=1, updated=1, failed=1),
        [FailedRecord("import", "(accountnumber):(A1)", "name", "too long")],
        run,
        "Accounts",
        "s",
    )
    history.finish_step(step, RunStatus.WARNING)
    history.finish(run, RunStatus.WARNING, upserts=2, errors=1, message=None)
    got = history.get(run)
    assert got.status == "Warning"
    assert got.name.startswith("Accounts ")
    assert got.name.endswith(" Immediate")
    assert got.steps[0].counts.upserts == 2
    assert history.record_errors(run)[0]["record"] == "(accountnumber):(A1)"
    assert history.count_errors(run) == 1
    assert [e.id for e in history.list("Accounts")] == [run]


def test_cancel_only_while_running(integrator: Integrator) -> None:
    history = integrator.history
    run = history.start("P", Trigger.IMMEDIATE, False, False, "me")
    assert history.request_cancel(run)
    assert history.cancel_requested(run)
    history.finish(run, RunStatus.CANCELLED, 0, 0, None)
    assert not history.request_cancel(run)


def test_purge_keeps_recent_runs(integrator: Integrator) -> None:
    history = integrator.history
    old = history.start("P", Trigger.IMMEDIATE, False, False, "me")
    new = history.start("P", Trigger.IMMEDIATE, False, False, "me")
    table = history.executions
    with integrator.db.engine.begin() as conn:
        conn.execute(
            table.update().where(table.c.id == old).values(submitted_on="2000-01-01T00:00:00+00:00")
        )
    assert history.purge(45) == 1
    assert [e.id for e in history.list()] == [new]
    assert as_text(utc_now()) > "2000"


def test_steps_know_how_long_they_took(integrator: Integrator) -> None:
    history = integrator.history
    run = history.start("P", Trigger.IMMEDIATE, False, False, "me")
    step = history.add_step(run, 10, "T", "s")
    assert history.get(run).steps[0].seconds is None
    history.finish_step(step, RunStatus.COMPLETED)
    seconds = history.get(run).steps[0].seconds
    assert seconds is not None
    assert seconds >= 0


def test_an_older_catalog_gains_the_columns_added_since(tmp_path: Path) -> None:
    path = tmp_path / "integration.sqlite"
    with sqlite3.connect(path) as db:  # the steps table as the first release created it
        db.execute(
            "CREATE TABLE steps (id INTEGER PRIMARY KEY, execution_id INTEGER NOT NULL, "
            "sequence INTEGER NOT NULL, task VARCHAR(80) NOT NULL, step VARCHAR(300) NOT NULL, "
            "status VARCHAR(20) NOT NULL, read INTEGER NOT NULL, inserted INTEGER NOT NULL, "
            "updated INTEGER NOT NULL, unchanged INTEGER NOT NULL, deleted INTEGER NOT NULL, "
            "failed INTEGER NOT NULL, message TEXT)"
        )
    catalog = CatalogDatabase(tmp_path)
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(steps)")}
    catalog.close()
    assert {"started_on", "finished_on"} <= columns
