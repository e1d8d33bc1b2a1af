"""The integrator's admin API against a real `commonground serve`: definitions, templates,
export and import, schedules, and runs through the SQL connector (SQLite files).

Every response body is kept, so the last test can check that a secret given on create came
back in none of them, error bodies included.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.api.conftest import free_port, wait_until_up
from tests.fixtures.serving import add_tester, auth_as_tester

SECRET = "hush-hush-0451"  # a client secret: must never come back
MASK = "********"


@dataclass
class Served:
    """The integration root of a running server and the home folder it serves."""

    url: str
    home: Path
    bodies: list[str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("integration-home")
    env = {**os.environ, "COMMONGROUND_RATE_LIMIT": "0", "COMMONGROUND_BATCH_SIZE": "20"}
    for name in ("COMMONGROUND_DATABASE_URL", "COMMONGROUND_SECRET_KEY"):
        env.pop(name, None)
    add_tester(home)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "commonground", "--home", str(home), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield Served(f"{url}/integration", home, [])
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def api(served: Served) -> Iterator[httpx.Client]:
    def keep(response: httpx.Response) -> None:
        response.read()
        served.bodies.append(response.text)

    with httpx.Client(
        base_url=served.url,
        timeout=30,
        auth=auth_as_tester(served.url),
        event_hooks={"response": [keep]},
    ) as http:
        yield http


def error_of(response: httpx.Response, status: int) -> str:
    """The error message of a response that must have this status."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message"}
    return str(error["message"])


def remote_connection(name: str, port: int = 9, secret: str = SECRET) -> dict[str, Any]:
    """A connection to a remote Common Ground (nothing listens there) with a client secret."""
    return {
        "name": name,
        "kind": "commonground",
        "description": "remote hub",
        "settings": {
            "environment": "Hub",
            "url": f"http://127.0.0.1:{port}/environments/Hub/api/data/v1/",
            "token_url": f"http://127.0.0.1:{port}/token",
            "client_id": "integrator",
            "client_secret": secret,
        },
    }


def connection_set(name: str, source: str, destination: str) -> dict[str, Any]:
    return {
        "name": name,
        "connections": {"source": source, "destination": destination},
        "organizations": [{"source": "S1", "destination": "D1"}],
        "keys": {
            "source.people": ["code"],
            "destination.contacts": ["code"],
            "source.bulk": ["code"],
            "destination.bulk_copy": ["code"],
        },
    }


def project(
    name: str, links: str, entities: tuple[str, str] = ("people", "contacts"), **extra: Any
) -> dict[str, Any]:
    task = {
        "name": "People",
        "legs": [
            {
                "source": "source",
                "source_entity": entities[0],
                "destination": "destination",
                "destination_entity": entities[1],
                "mappings": [
                    {"source": "code", "destination": "code"},
                    {"source": "name", "destination": "name"},
                ],
            }
        ],
    }
    return {"name": name, "connection_set": links, "consent": True, "tasks": [task], **extra}


# -- connections ------------------------------------------------------------------------------


def test_connection_lifecycle_keeps_secrets_hidden(api: httpx.Client) -> None:
    created = api.post("/connections", json=remote_connection("HubA"))
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/integration/connections/HubA")
    assert created.json()["settings"]["client_secret"] == MASK
    assert api.post("/connections", json=remote_connection("HubB")).status_code == 201
    error_of(api.post("/connections", json=remote_connection("HubA")), 409)

    listed = {c["name"]: c for c in api.get("/connections").json()}
    assert {"HubA", "HubB"} <= set(listed)
    assert listed["HubA"]["settings"]["client_secret"] == MASK
    assert listed["HubA"]["settings"]["client_id"] == "integrator"
    shown = api.get("/connections/HubA").json()
    assert shown["description"] == "remote hub"

    changed = {**shown, "description": "renamed hub"}  # the mask sent back keeps the secret
    updated = api.put("/connections/HubA", json=changed)
    assert updated.status_code == 200, updated.text
    assert updated.json()["description"] == "renamed hub"
    assert updated.json()["settings"]["client_secret"] == MASK

    error_of(api.get("/connections/Nope"), 404)
    error_of(api.put("/connections/Nope", json={**changed, "name": "Nope"}), 404)
    assert "name" in error_of(api.put("/connections/HubA", json={**changed, "name": "X"}), 400)
    assert api.delete("/connections/HubB").status_code == 204
    error_of(api.get("/connections/HubB"), 404)
    error_of(api.delete("/connections/HubB"), 404)


def test_bad_connection_bodies_name_the_field(api: httpx.Client) -> None:
    good = remote_connection("Bad", secret="another-secret")
    assert "kind" in error_of(api.post("/connections", json={**good, "kind": "nosuch"}), 400)
    assert "name" in error_of(api.post("/connections", json={**good, "name": "no/slash"}), 400)
    missing = {k: v for k, v in good.items() if k != "kind"}
    assert "kind" in error_of(api.post("/connections", json=missing), 400)
    extra = {**good, "colour": "red"}
    assert "colour" in error_of(api.post("/connections", json=extra), 400)
    settings = {**good["settings"], "batch_size": 0}
    bad_setting = api.post("/connections", json={**good, "settings": settings})
    assert "batch_size" in error_of(bad_setting, 400)
    assert "another-secret" not in bad_setting.text
    error_of(api.post("/connections", json=[good]), 400)
    error_of(api.post("/connections", content=b"{oops", headers=JSON), 400)
    error_of(api.post("/connections", content=b"name: x", headers=YAML), 415)
    error_of(api.get("/connections/Bad"), 404)  # nothing was stored


def test_discovery_failure_is_a_502_without_the_secret(api: httpx.Client) -> None:
    port = free_port()
    assert api.post("/connections", json=remote_connection("Down", port)).status_code == 201
    answer = api.get("/connections/Down/entities")
    assert error_of(answer, 502)
    assert SECRET not in answer.text
    error_of(api.get("/connections/Nope/entities"), 404)


# -- connection sets ------------------------------------------------------------------------


def test_connection_set_lifecycle(api: httpx.Client) -> None:
    api.post("/connections", json=remote_connection("SetA"))
    api.post("/connections", json=remote_connection("SetB"))
    body = connection_set("Pair", "SetA", "SetB")
    created = api.post("/connection-sets", json=body)
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/integration/connection-sets/Pair")
    error_of(api.post("/connection-sets", json=body), 409)
    assert "Pair" in {s["name"] for s in api.get("/connection-sets").json()}
    assert api.get("/connection-sets/Pair").json()["connections"]["source"] == "SetA"

    keys = {**body, "keys": {"source.people": ["code", "name"]}}
    updated = api.put("/connection-sets/Pair", json=keys)
    assert updated.status_code == 200, updated.text
    assert api.get("/connection-sets/Pair").json()["keys"] == {"source.people": ["code", "name"]}

    dangling = connection_set("Dangling", "SetA", "Missing")
    assert "connections.destination" in error_of(api.post("/connection-sets", json=dangling), 400)
    single = {**body, "name": "Single", "connections": {"source": "SetA"}}
    assert "connections" in error_of(api.post("/connection-sets", json=single), 400)
    error_of(api.get("/connection-sets/Nope"), 404)
    error_of(api.put("/connection-sets/Nope", json={**body, "name": "Nope"}), 404)

    assert "Pair" in error_of(api.delete("/connections/SetA"), 409)  # in use
    assert api.delete("/connection-sets/Pair").status_code == 204
    error_of(api.delete("/connection-sets/Pair"), 404)
    assert api.delete("/connections/SetA").status_code == 204


# -- projects, schedules, export and import ---------------------------------------------------


@pytest.fixture(scope="module")
def links(api: httpx.Client) -> str:
    """A connection set of two remote connections, for projects that are never run."""
    api.post("/connections", json=remote_connection("LinkA"))
    api.post("/connections", json=remote_connection("LinkB"))
    assert api.post("/connection-sets", json=connection_set("Links", "LinkA", "LinkB")).is_success
    return "Links"


def test_project_lifecycle_and_list_columns(api: httpx.Client, links: str) -> None:
    spaced = api.post("/projects", json=project("Two words", links))
    assert spaced.headers["location"].endswith("/integration/projects/Two%20words")
    assert api.get("/projects/Two words").json()["name"] == "Two words"
    created = api.post("/projects", json=project("Alpha", links, description="first"))
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/integration/projects/Alpha")
    error_of(api.post("/projects", json=project("Alpha", links)), 409)

    shown = api.get("/projects/Alpha").json()
    assert shown["tasks"][0]["legs"][0]["destination_entity"] == "contacts"
    updated = api.put("/projects/Alpha", json={**shown, "description": "changed"})
    assert updated.status_code == 200, updated.text
    assert api.get("/projects/Alpha").json()["description"] == "changed"

    [row] = [p for p in api.get("/projects").json() if p["name"] == "Alpha"]
    assert row["connections"] == ["LinkA", "LinkB"]
    assert row["latest_sync"] is None
    assert row["next_sync"] == "Not scheduled"

    assert "Links" in error_of(api.delete("/connection-sets/Links"), 409)  # in use
    error_of(api.get("/projects/Nope"), 404)
    error_of(api.put("/projects/Nope", json={**shown, "name": "Nope"}), 404)
    assert api.delete("/projects/Alpha").status_code == 204
    error_of(api.delete("/projects/Alpha"), 404)


def test_bad_project_bodies_name_the_field(api: httpx.Client, links: str) -> None:
    no_consent = project("NoConsent", links, consent=False)
    assert "consent" in error_of(api.post("/projects", json=no_consent), 400)
    unknown_set = project("Lost", "NoSuchSet")
    assert "connection_set" in error_of(api.post("/projects", json=unknown_set), 400)
    no_legs = project("NoLegs", links)
    no_legs["tasks"][0]["legs"] = []
    assert "tasks.0.legs" in error_of(api.post("/projects", json=no_legs), 400)
    far_organization = project("Far", links, organization=5)
    assert "organization" in error_of(api.post("/projects", json=far_organization), 400)
    error_of(api.get("/projects/NoConsent"), 404)


def test_schedule_sets_the_next_sync(api: httpx.Client, links: str) -> None:
    assert api.post("/projects", json=project("Timed", links)).status_code == 201
    every_hour = {"every": 1, "unit": "hours", "start": "2026-01-01T00:00:00Z"}
    saved = api.put("/projects/Timed/schedule", json=every_hour)
    assert saved.status_code == 200, saved.text
    upcoming = datetime.fromisoformat(saved.json()["next_sync"])
    assert (upcoming.minute, upcoming.second, upcoming.utcoffset()) == (0, 0, timedelta(0))
    assert datetime.now(UTC) < upcoming <= datetime.now(UTC) + timedelta(hours=1)
    [row] = [p for p in api.get("/projects").json() if p["name"] == "Timed"]
    assert row["next_sync"] == saved.json()["next_sync"]
    assert api.get("/projects/Timed").json()["schedule"]["unit"] == "hours"

    bad_unit = {**every_hour, "unit": "fortnights"}
    assert "unit" in error_of(api.put("/projects/Timed/schedule", json=bad_unit), 400)
    no_unit = {"every": 2, "start": "2026-01-01T00:00:00Z"}
    assert "unit" in error_of(api.put("/projects/Timed/schedule", json=no_unit), 400)
    no_start = {"every": 2, "unit": "days"}
    assert "start" in error_of(api.put("/projects/Timed/schedule", json=no_start), 400)
    error_of(api.put("/projects/Nope/schedule", json=every_hour), 404)

    manual = api.put("/projects/Timed/schedule", json={})
    assert manual.json()["next_sync"] == "Not scheduled"


def test_export_and_import_round_trip(api: httpx.Client, links: str) -> None:
    assert api.post("/projects", json=project("Exported", links)).status_code == 201
    exported = api.get("/projects/Exported/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/yaml")
    data = yaml.safe_load(exported.text)
    assert data["name"] == "Exported"
    assert "history" not in data

    data["name"] = "Imported"
    imported = api.post("/projects/import", content=yaml.safe_dump(data), headers=YAML)
    assert imported.status_code == 201, imported.text
    assert api.get("/projects/Imported").json()["tasks"] == data["tasks"]
    error_of(api.post("/projects/import", content=yaml.safe_dump(data), headers=YAML), 409)
    data["description"] = "again"
    replaced = api.post("/projects/import?replace=true", content=yaml.safe_dump(data), headers=YAML)
    assert replaced.status_code == 201, replaced.text
    assert api.get("/projects/Imported").json()["description"] == "again"

    with_history = yaml.safe_load(api.get("/projects/Exported/export?history=true").text)
    assert with_history["history"] == []
    imported_again = {**with_history, "name": "WithHistory"}  # the history part is ignored
    assert api.post("/projects/import", content=yaml.safe_dump(imported_again)).is_success

    error_of(api.post("/projects/import", content=b"name: [unclosed", headers=YAML), 400)
    data.pop("tasks")
    data["taskz"] = []
    assert "taskz" in error_of(api.post("/projects/import", content=yaml.safe_dump(data)), 400)
    error_of(api.get("/projects/Nope/export"), 404)
    error_of(api.get("/projects/Exported/export?history=maybe"), 400)


# -- templates ------------------------------------------------------------------------------


def test_templates_saved_listed_used_and_deleted(api: httpx.Client, links: str) -> None:
    assert api.post("/projects", json=project("Model", links)).status_code == 201
    about = {"name": "PeopleSync", "description": "people", "version": "2.0.0.0", "author": "me"}
    saved = api.post("/projects/Model/template", json=about)
    assert saved.status_code == 201, saved.text
    assert saved.headers["location"].endswith("/integration/templates/PeopleSync")
    error_of(api.post("/projects/Model/template", json=about), 409)
    error_of(api.post("/projects/Nope/template", json=about), 404)
    assert "name" in error_of(api.post("/projects/Model/template", json={"name": "a/b"}), 400)

    [row] = [t for t in api.get("/templates").json() if t["name"] == "PeopleSync"]
    assert (row["version"], row["author"], row["builtin"]) == ("2.0.0.0", "me", False)
    assert row["created_on"]
    assert row["roles"] == ["destination", "source"]
    template = api.get("/templates/PeopleSync").json()
    assert template["tasks"][0]["name"] == "People"

    wizard = {"template": "PeopleSync", "name": "FromTemplate", "connection_set": links}
    created = api.post("/projects", json={**wizard, "consent": True, "organization": 0})
    assert created.status_code == 201, created.text
    assert created.json()["tasks"] == template["tasks"]
    assert "consent" in error_of(api.post("/projects", json={**wizard, "name": "NoConsent"}), 400)
    unknown = {**wizard, "template": "Nope", "name": "Other", "consent": True}
    assert "template" in error_of(api.post("/projects", json=unknown), 400)

    as_yaml = yaml.safe_dump({**template, "name": "FromYaml"})
    posted = api.post("/templates", content=as_yaml, headers=YAML)
    assert posted.status_code == 201, posted.text
    as_json = api.post("/templates", json={**template, "name": "FromJson", "version": "3"})
    assert as_json.status_code == 201, as_json.text
    error_of(api.post("/templates", json={**template, "name": "FromJson"}), 409)
    assert api.post("/templates?replace=true", json={**template, "name": "FromJson"}).is_success
    no_tasks = {k: v for k, v in template.items() if k != "tasks"}
    assert "tasks" in error_of(api.post("/templates", json={**no_tasks, "name": "Empty"}), 400)

    assert api.delete("/templates/FromYaml").status_code == 204
    error_of(api.get("/templates/FromYaml"), 404)
    error_of(api.delete("/templates/FromYaml"), 404)


# -- runs -----------------------------------------------------------------------------------

BULK = 10_000  # rows of table `bulk`: 500 batches of 20, a run that lasts about a second
JSON = {"content-type": "application/json"}
YAML = {"content-type": "application/yaml"}


@dataclass(frozen=True)
class SqlProject:
    """A project that moves SQLite table `people` to SQLite table `contacts`."""

    name: str
    source: Path

    def execute(self, sql: str, *values: Any) -> None:
        with sqlite3.connect(self.source) as db:
            db.execute(sql, values)


@pytest.fixture(scope="module")
def sql_project(api: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> SqlProject:
    """Project `Sync`: a SQLite table `people` to a SQLite table `contacts`, one task."""
    from commonground.integration.registry import connector_type

    try:
        connector_type("sql")
    except Exception as exc:  # the SQL connector is written alongside; say why runs are skipped
        pytest.skip(f"runs need the sql connector, which cannot be loaded: {exc!r}")
    folder = tmp_path_factory.mktemp("sql")
    with sqlite3.connect(folder / "source.db") as db:
        db.execute("CREATE TABLE people (code TEXT PRIMARY KEY, name TEXT)")
        db.executemany(
            "INSERT INTO people VALUES (?, ?)", [("A", "Ann"), ("B", "Bob"), ("C", "C" * 50)]
        )
        db.execute("CREATE TABLE bulk (code TEXT PRIMARY KEY, name TEXT)")
        db.executemany(
            "INSERT INTO bulk VALUES (?, ?)", [(f"K{n:05}", f"Name {n}") for n in range(BULK)]
        )
    with sqlite3.connect(folder / "destination.db") as db:
        db.execute("CREATE TABLE contacts (code VARCHAR(10) PRIMARY KEY, name VARCHAR(10))")
        db.execute("CREATE TABLE bulk_copy (code TEXT PRIMARY KEY, name TEXT)")
    for name, file in (("SqlSource", "source.db"), ("SqlDestination", "destination.db")):
        body = {"name": name, "kind": "sql", "settings": {"url": f"sqlite:///{folder / file}"}}
        assert api.post("/connections", json=body).status_code == 201
    sql_links = connection_set("SqlLinks", "SqlSource", "SqlDestination")
    assert api.post("/connection-sets", json=sql_links).status_code == 201
    assert api.post("/projects", json=project("Sync", "SqlLinks")).status_code == 201
    return SqlProject("Sync", folder / "source.db")


def finished(api: httpx.Client, execution: int) -> dict[str, Any]:
    """Poll an execution until it ends."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = api.get(f"/executions/{execution}").json()
        if found["status"] != "Running":
            return dict(found)
        time.sleep(0.1)
    raise AssertionError(f"execution {execution} did not finish within 60 s")


def test_discovery_lists_tables_with_fields_and_keys(
    api: httpx.Client, sql_project: SqlProject
) -> None:
    found = api.get("/connections/SqlSource/entities")
    assert found.status_code == 200, found.text
    [people] = [e for e in found.json() if e["name"] == "people"]
    assert people["keys"] == [["code"]]
    code = next(f for f in people["fields"] if f["name"] == "code")
    assert set(code) == {"name", "kind", "max_length", "required", "read_only", "targets"}
    assert code["kind"] == "text"
    one = api.get("/connections/SqlDestination/entities", params={"entity": "contacts"})
    assert one.status_code == 200, one.text
    assert {f["name"]: f["max_length"] for f in one.json()["fields"]}["name"] == 10
    error_of(api.get("/connections/SqlSource/entities", params={"entity": "nope"}), 404)


def test_run_in_the_background_then_drill_into_errors(
    api: httpx.Client, sql_project: SqlProject
) -> None:
    started = api.post(f"/projects/{sql_project.name}/runs", json={"full": False, "dry_run": False})
    assert started.status_code == 202, started.text
    execution = started.json()["id"]
    assert started.headers["location"].endswith(f"/integration/executions/{execution}")
    assert started.json()["project"] == sql_project.name

    run = finished(api, execution)
    assert run["status"] == "Warning", run
    assert (run["upserts"], run["errors"]) == (2, 1)
    [step] = run["steps"]
    assert (step["counts"]["read"], step["counts"]["inserted"], step["counts"]["failed"]) == (
        3,
        2,
        1,
    )
    errors = api.get(f"/executions/{execution}/errors").json()
    assert errors["total"] == 1
    [error] = errors["errors"]
    assert (error["record"], error["field"], error["kind"]) == ("(code):(C)", "name", "import")
    assert api.get(f"/executions/{execution}/errors?offset=1").json()["errors"] == []
    error_of(api.get(f"/executions/{execution}/errors?limit=0"), 400)
    error_of(api.get(f"/executions/{execution}/errors?offset=x"), 400)

    listed = api.get("/executions", params={"project": sql_project.name, "limit": 5}).json()
    assert listed[0]["id"] == execution
    [row] = [p for p in api.get("/projects").json() if p["name"] == sql_project.name]
    assert row["latest_sync"]["status"] == "Warning"
    assert row["latest_sync"]["execution"] == execution

    done = api.post(f"/executions/{execution}/cancel")
    assert "not running" in error_of(done, 409)
    assert "not a dry run" in error_of(api.get(f"/executions/{execution}/changes"), 400)

    sql_project.execute("UPDATE people SET name = 'Cy' WHERE code = 'C'")  # fix the source
    again = api.post(f"/executions/{execution}/rerun")
    assert again.status_code == 202, again.text
    rerun = finished(api, again.json()["id"])
    assert (rerun["rerun_of"], rerun["trigger"]) == (execution, "Rerun")
    assert (rerun["status"], rerun["upserts"], rerun["errors"]) == ("Completed", 1, 0), rerun


def test_dry_run_records_changes(api: httpx.Client, sql_project: SqlProject) -> None:
    sql_project.execute("UPDATE people SET name = 'Robert' WHERE code = 'B'")
    started = api.post(f"/projects/{sql_project.name}/runs", json={"full": True, "dry_run": True})
    assert started.status_code == 202, started.text
    run = finished(api, started.json()["id"])
    assert run["dry_run"]
    assert run["full_run"]
    assert run["status"] == "Completed", run["message"]
    changes = api.get(f"/executions/{run['id']}/changes")
    assert changes.status_code == 200, changes.text
    [change] = changes.json()["changes"]
    assert (change["action"], change["record"]) == ("update", "(code):(B)")
    assert change["differences"] == {"name": ["Bob", "Robert"]}


def test_a_long_run_answers_at_once_and_can_be_cancelled(
    api: httpx.Client, sql_project: SqlProject
) -> None:
    bulk = project("Bulk", "SqlLinks", entities=("bulk", "bulk_copy"))
    assert api.post("/projects", json=bulk).status_code == 201
    started = api.post("/projects/Bulk/runs")
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "Running"  # answered before the run ended
    execution = started.json()["id"]
    assert "already running" in error_of(api.post("/projects/Bulk/runs"), 409)
    asked = api.post(f"/executions/{execution}/cancel")
    assert asked.status_code == 202, asked.text
    assert asked.json()["cancel_requested"] is True
    run = finished(api, execution)
    assert run["status"] == "Cancelled", run
    assert run["steps"][0]["counts"]["read"] < BULK


def test_run_answers_409_while_running_and_cancel_asks_to_stop(
    api: httpx.Client, served: Served, sql_project: SqlProject
) -> None:
    from commonground.integration.history import RunStatus, Trigger
    from commonground.integration.integrator import Integrator
    from commonground.integration.leases import Lease

    integrator = Integrator(home=served.home)
    try:
        lease = Lease(
            integrator.db, f"project:{sql_project.name}", "another-runner", integrator.lease_ttl
        )
        assert lease.acquire()
        try:
            busy = api.post(f"/projects/{sql_project.name}/runs")
            assert "already running" in error_of(busy, 409)
            assert "already running" in error_of(api.delete(f"/projects/{sql_project.name}"), 409)
            running = integrator.history.start(
                sql_project.name, Trigger.IMMEDIATE, False, False, "another-runner"
            )
            asked = api.post(f"/executions/{running}/cancel")
            assert asked.status_code == 202, asked.text
            assert asked.json()["cancel_requested"] is True
            assert integrator.history.cancel_requested(running)
            integrator.history.finish(running, RunStatus.CANCELLED, 0, 0, "stopped")
        finally:
            lease.release()
    finally:
        integrator.close()


def test_bad_run_requests(api: httpx.Client, sql_project: SqlProject) -> None:
    error_of(api.post("/projects/Nope/runs"), 404)
    assert "full" in error_of(
        api.post(f"/projects/{sql_project.name}/runs", json={"full": "yes"}), 400
    )
    assert "fast" in error_of(
        api.post(f"/projects/{sql_project.name}/runs", json={"fast": True}), 400
    )
    error_of(api.get("/executions/999999"), 404)
    error_of(api.get("/executions/999999/errors"), 404)
    error_of(api.get("/executions/999999/changes"), 404)
    error_of(api.post("/executions/999999/rerun"), 404)
    error_of(api.post("/executions/999999/cancel"), 404)
    error_of(api.get("/executions?limit=5000"), 400)


# -- last: secrets ----------------------------------------------------------------------------


def test_no_response_ever_held_the_secret(api: httpx.Client, served: Served) -> None:
    assert len(served.bodies) > 50
    assert not [b for b in served.bodies if SECRET in b]
