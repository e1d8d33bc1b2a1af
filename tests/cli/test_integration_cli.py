"""The integrator's command line, run as a real process against a SQLite source and a hub."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import run

CLIENT_YAML = """\
name: Client
fields:
  Code: {type: Text, max_length: 20}
  Name: {type: Text, max_length: 30}
  Credit: {type: Number, decimals: 2}
keys:
  ByCode: [Code]
"""

TEMPLATE_YAML = """\
name: Customers (ERP to hub)
description: ERP customers into the hub's clients
author: Tests
version: 1.0.0.1
tasks:
  - name: Customers
    legs:
      - source: erp
        source_entity: customers
        destination: hub
        destination_entity: Client
        mappings:
          - {source: number, destination: Code}
          - {source: name, destination: Name}
          - {source: credit, destination: Credit}
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    source = tmp_path / "erp.sqlite"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE customers (number TEXT PRIMARY KEY, name TEXT, credit NUMERIC)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [
                ("C1", "Alpha", 10),
                ("C2", "Beta", 20.5),
                ("C3", "A name much, much too long for the hub", 1),
            ],
        )
    (tmp_path / "client.yaml").write_text(CLIENT_YAML)
    (tmp_path / "template.yaml").write_text(TEMPLATE_YAML)
    run(home, "env", "create", "hub")
    run(home, "entity", "create", str(tmp_path / "client.yaml"), "--env", "hub")
    run(
        home, "connection", "create", "erp", "--kind", "sql", "--setting", f"url=sqlite:///{source}"
    )
    run(
        home,
        "connection",
        "create",
        "hub",
        "--kind",
        "commonground",
        "--setting",
        "environment=hub",
        "--setting",
        f"home={home}",
    )
    run(
        home,
        "connection-set",
        "create",
        "erp-hub",
        "--connection",
        "erp=erp",
        "--connection",
        "hub=hub",
        "--key",
        "erp.customers=number",
        "--key",
        "hub.Client=Code",
    )
    run(home, "template", "import", str(tmp_path / "template.yaml"))
    run(
        home,
        "project",
        "create",
        "Customers",
        "--template",
        "Customers (ERP to hub)",
        "--connection-set",
        "erp-hub",
        "--consent",
    )
    return home


def test_secrets_are_never_shown_and_discovery_works(home: Path) -> None:
    listed = run(home, "connection", "list").stdout
    assert "erp.sqlite" not in listed  # the URL is a secret (it may hold a password)
    assert "********" in listed
    assert "customers" in run(home, "connection", "entities", "erp").stdout
    fields = run(home, "connection", "entities", "erp", "--entity", "customers").stdout
    assert "number" in fields
    assert "decimal" in fields


def test_a_project_from_template_to_history(home: Path, tmp_path: Path) -> None:
    listed = run(home, "project", "list").stdout
    assert "Customers" in listed
    assert "Never" in listed
    assert "erp.customers" in run(home, "project", "show", "Customers").stdout

    dry = run(home, "run", "start", "Customers", "--dry-run").stdout
    assert "commonground history changes 1" in dry
    assert "(Code):(C1)" in run(home, "history", "changes", "1").stdout

    result = run(home, "run", "start", "Customers", check=False)
    assert result.returncode == 0
    assert "Warning" in result.stdout
    assert "commonground history errors 2" in result.stdout
    errors = run(home, "history", "errors", "2").stdout
    assert "(number):(C3)" in errors
    assert "Name" in errors
    assert "Warning" in run(home, "history", "list").stdout
    assert "Customers" in run(home, "history", "show", "2").stdout

    exported = tmp_path / "customers.yaml"
    run(home, "project", "export", "Customers", "--output", str(exported), "--with-history")
    run(home, "project", "delete", "Customers")
    run(home, "project", "import", str(exported))
    run(home, "project", "save-as-template", "Customers", "Mine", "--description", "copy")
    templates = run(home, "template", "list").stdout
    assert "Mine" in templates
    assert "1.0.0.1" in templates

    out = run(
        home,
        "schedule",
        "set",
        "Customers",
        "--every",
        "15",
        "--unit",
        "minutes",
        "--start",
        "2020-01-01T00:00:00",
        "--notify",
        "ops@example.com",
    ).stdout
    assert "next run" in out
    assert "every 15 minutes" in run(home, "schedule", "list").stdout
    assert "Customers" in run(home, "schedule", "tick").stdout  # missed runs fire once
    assert run(home, "schedule", "tick").stdout.strip() == ""


def test_errors_exit_with_clear_messages(home: Path) -> None:
    used = run(home, "connection", "delete", "erp", check=False)
    assert used.returncode == 4
    assert "used by connection set" in used.stderr
    missing = run(home, "run", "start", "Nope", check=False)
    assert missing.returncode == 3
    assert "Project 'Nope' does not exist" in missing.stderr
    bad = run(home, "connection", "create", "x", "--kind", "sql", check=False)
    assert bad.returncode == 4
    assert "url" in bad.stderr
