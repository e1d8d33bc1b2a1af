"""The command line, run as a real process: environments, entities, the demo, error handling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ENTITY_YAML = """\
name: Gadget
description: A thing we track.
fields:
  Code: {type: Text, max_length: 20, required: true, unique: true}
  Weight: {type: Number, decimals: 2}
keys:
  Code: [Code]
"""


def run(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `commonground --home HOME ARGS...` and return its result."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("COMMONGROUND_DATABASE_URL", None)
    command = [sys.executable, "-m", "commonground", "--home", str(home), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_environment_lifecycle(home: Path, tmp_path: Path) -> None:
    assert "Created environment Prod" in run(home, "env", "create", "Prod").stdout
    run(home, "env", "copy", "Prod", "Sandbox")
    listing = run(home, "env", "list").stdout
    assert "Prod" in listing
    assert "Sandbox" in listing
    backup = tmp_path / "prod.zip"
    run(home, "env", "backup", "Prod", str(backup))
    assert backup.stat().st_size > 0
    run(home, "env", "delete", "Prod", "--yes")
    run(home, "env", "restore", str(backup))
    run(home, "env", "restore", str(backup), "--name", "Restored")
    names = run(home, "env", "list").stdout
    assert "Restored" in names
    assert "Prod" in names


def test_errors_have_clear_messages_and_exit_codes(home: Path) -> None:
    missing = run(home, "entity", "list", "--env", "Nowhere", check=False)
    assert missing.returncode == 3
    assert "Environment 'Nowhere' does not exist" in missing.stderr
    run(home, "env", "create", "Prod")
    again = run(home, "env", "create", "prod", check=False)
    assert again.returncode == 5
    assert "already exists" in again.stderr
    bad_name = run(home, "env", "create", "no-dashes", check=False)
    assert bad_name.returncode == 4
    assert "invalid environment name" in bad_name.stderr


def test_entity_create_show_and_add_field(home: Path, tmp_path: Path) -> None:
    run(home, "env", "create", "Prod")
    definition = tmp_path / "gadget.yaml"
    definition.write_text(ENTITY_YAML)
    assert (
        "Created entity Gadget"
        in run(home, "entity", "create", str(definition), "--env", "Prod").stdout
    )
    run(
        home,
        "entity",
        "add-field",
        "Gadget",
        "Colour",
        "--type",
        "Text",
        "--max-length",
        "30",
        "--env",
        "Prod",
    )
    shown = run(home, "entity", "show", "Gadget", "--env", "Prod").stdout
    for expected in ("Title", "Code", "Weight", "Colour", "RecordId", "Key Code: Code"):
        assert expected in shown
    custom = run(home, "entity", "list", "--custom", "--env", "Prod").stdout
    assert "Gadget" in custom
    assert "Account" not in custom


def test_bad_entity_file_names_file_and_line(home: Path, tmp_path: Path) -> None:
    run(home, "env", "create", "Prod")
    definition = tmp_path / "broken.yaml"
    definition.write_text("name: Broken\nfields:\n  Size: {type: Text, max_length: 500}\n")
    result = run(home, "entity", "create", str(definition), "--env", "Prod", check=False)
    assert result.returncode == 4
    assert "broken.yaml:3" in result.stderr
    assert "max_length 500 exceeds the Text limit of 128" in result.stderr


def test_add_field_rejects_an_unknown_type(home: Path) -> None:
    run(home, "env", "create", "Prod")
    result = run(
        home,
        "entity",
        "add-field",
        "Account",
        "Shoe",
        "--type",
        "Shoe",
        "--env",
        "Prod",
        check=False,
    )
    assert result.returncode == 4
    assert "unknown field type 'Shoe'" in result.stderr


def test_the_prospect_to_cash_demo_verifies_and_runs_again(home: Path) -> None:
    out = run(home, "demo", "--accounts", "60").stdout
    assert "Creating the Sales app, the hub and the Operations database" in out
    assert "Full run, in the documented order" in out
    assert out.strip().splitlines()[-1].startswith("verified: yes")
    rerun = run(home, "demo", "--accounts", "60").stdout
    assert "Reusing the Sales app" in rerun
    assert rerun.strip().splitlines()[-1].startswith("verified: yes")


def test_custom_picklist_then_entity_using_it(home: Path, tmp_path: Path) -> None:
    run(home, "env", "create", "Prod")
    picklists = tmp_path / "colours.yaml"
    picklists.write_text("name: GadgetColour\ndisplay_name: Colour\nitems: [Red, Green, Blue]\n")
    assert (
        "Created picklist GadgetColour with 3 items"
        in run(home, "picklist", "create", str(picklists), "--env", "Prod").stdout
    )
    again = run(home, "picklist", "create", str(picklists), "--env", "Prod", check=False)
    assert again.returncode == 5
    assert "Picklist 'GadgetColour' already exists" in again.stderr
    shown = run(home, "picklist", "show", "GadgetColour", "--env", "Prod").stdout
    assert "Green" in shown
    assert "Custom" in run(home, "picklist", "list", "--custom", "--env", "Prod").stdout
    definition = tmp_path / "gadget.yaml"
    definition.write_text(
        "name: Gadget\nfields:\n  Colour: {type: Picklist, picklist: GadgetColour}\n"
    )
    run(home, "entity", "create", str(definition), "--env", "Prod")


def test_import_cdm_creates_entities_and_reports(home: Path) -> None:
    run(home, "env", "create", "Prod")
    fixtures = Path(__file__).parents[1] / "model" / "fixtures" / "cdm"
    manifest = fixtures / "schema/core/applicationCommon/applicationCommon.manifest.cdm.json"
    out = run(home, "entity", "import-cdm", str(manifest), "--env", "Prod").stdout
    assert "Imported entity" in out
    assert "Import report" in out
    listing = run(home, "entity", "list", "--custom", "--env", "Prod").stdout
    assert "Custom" in listing
    orders = run(
        home, "entity", "import-cdm", str(fixtures / "modeljson/orders/model.json"), "--env", "Prod"
    )
    assert "Imported entity" in orders.stdout
    broken = fixtures / "errors/missing_entity.manifest.cdm.json"
    failed = run(home, "entity", "import-cdm", str(broken), "--env", "Prod", check=False)
    assert failed.returncode == 4
    assert "Ghost.cdm.json" in failed.stderr
