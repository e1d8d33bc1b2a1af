"""Cancelling a run from its page while it runs: a SQL source of many rows read in small
batches (the server's batch size is set low), so the run is still going when Cancel is
pressed, and it stops after its current batch."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from commonground.apps.serving import serving
from commonground.integration.definitions import (
    ConnectionDef,
    ConnectionSetDef,
    FieldMapping,
    Leg,
    ProjectDef,
    TaskDef,
)
from commonground.integration.integrator import Integrator
from commonground.security.directory import Directory
from commonground.security.passwords import cheap_hasher
from tests.admin.pages import ADMIN, NOBODY, PASSWORD, Site, shoot

ROWS = 50_000
BATCH = 10  # records per batch: thousands of batches, each a chance to stop
PROJECT = "Slow copy"


def _wait_for_rows(path: Path, timeout: float = 60) -> None:
    """Until the run has committed its first batch into the target's `people` table."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(path) as db:
            (count,) = db.execute("SELECT count(*) FROM people").fetchone()
        db.close()
        if count:
            return
        assert time.monotonic() < deadline, "the run wrote nothing"
        time.sleep(0.05)


def _database(path: Path, rows: int) -> str:
    """A SQLite file with a `people` table of `rows` rows; its SQLAlchemy URL."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE people (code TEXT PRIMARY KEY, name TEXT)")
        db.executemany(
            "INSERT INTO people VALUES (?, ?)", ((f"P{n}", f"Person {n}") for n in range(rows))
        )
    db.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """An installation with one project copying many rows between two SQLite files, served
    with a small batch size."""
    home = tmp_path_factory.mktemp("cancel")
    integrator = Integrator(home=home)
    try:
        store = integrator.definitions
        for name, rows in (("Source", ROWS), ("Target", 0)):
            url = _database(home / f"{name.lower()}.sqlite", rows)
            store.save_connection(ConnectionDef(name=name, kind="sql", settings={"url": url}))
        store.save_connection_set(
            ConnectionSetDef(
                name="Two files",
                connections={"from": "Source", "to": "Target"},
                keys={"to.people": ["code"]},
            )
        )
        mappings = [FieldMapping(source=f, destination=f) for f in ("code", "name")]
        leg = Leg(
            source="from",
            source_entity="people",
            destination="to",
            destination_entity="people",
            mappings=mappings,
        )
        task = TaskDef(name="People", legs=[leg])
        project = ProjectDef(name=PROJECT, connection_set="Two files", consent=True, tasks=[task])
        store.save_project(project, ADMIN)
    finally:
        integrator.close()
    directory = Directory(home, hasher=cheap_hasher())
    try:
        directory.create_user(ADMIN, "root@example.com", PASSWORD, admin=True)
        directory.create_user(NOBODY, "nobody@example.com", PASSWORD)
    finally:
        directory.close()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMMONGROUND_BATCH_SIZE", str(BATCH))
        with serving(home) as url:
            yield Site(url, home)


def test_a_running_run_is_cancelled_from_its_page(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}")
    page.get_by_role("button", name="Run project", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Started run")
    expect(page.locator("#run-status")).to_contain_text("Running")
    _wait_for_rows(site.home / "target.sqlite")  # cancel once batches are being written
    page.get_by_role("button", name="Cancel run").click()
    expect(page.get_by_role("status")).to_have_text(
        "Asked the run to stop after its current batch."
    )
    deadline = time.monotonic() + 60
    while "Running" in page.locator("#run-status").inner_text():
        assert time.monotonic() < deadline, "the run did not stop"
        time.sleep(0.3)
        page.reload()
    expect(page.locator("#run-status")).to_contain_text("Cancelled")
    shoot(page, "integration-cancelled")
    with sqlite3.connect(site.home / "target.sqlite") as db:
        (copied,) = db.execute("SELECT count(*) FROM people").fetchone()
    db.close()
    assert 0 < copied < ROWS  # stopped part way
    upserts = page.locator("dt", has_text="Upserts").locator("xpath=following-sibling::dd[1]")
    expect(upserts).to_have_text(str(copied))  # the batches before the stop count
