"""Security from the command line, run as real processes: roles and permission sets saved
from YAML, granted and revoked, and `--user` commands held to the user's rights."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import run

PASSWORD = "correct horse battery staple"

READERS = """\
name: Readers
permission_sets: [Account View]
"""

OWN_ACCOUNTS = """\
permission_sets:
  - name: Own accounts
    entities:
      Account:
        operations: [Create, Read, Update]
        policies:
          Update: {field: CreatedByUser, current_user: true}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COMMONGROUND_PASSWORD", PASSWORD)
    home = tmp_path / "home"
    run(home, "env", "create", "Prod")
    run(home, "user", "create", "alice")
    return home


def test_a_user_acts_only_within_the_roles_granted(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "accounts.csv"

    def as_alice(*args: str) -> subprocess.CompletedProcess[str]:
        return run(home, "--user", "alice", *args, "--env", "Prod", check=False)

    def export() -> subprocess.CompletedProcess[str]:
        return as_alice("export", "--entity", "Account", "--output", str(out))

    denied = export()
    assert denied.returncode == 7
    assert "missing privilege: Read on Account" in denied.stderr + denied.stdout
    assert not out.exists()

    (tmp_path / "readers.yaml").write_text(READERS)
    run(home, "role", "save", str(tmp_path / "readers.yaml"), "--env", "Prod")
    run(home, "role", "grant", "Readers", "alice", "--env", "Prod")
    assert export().returncode == 0
    assert out.exists()
    sheet = tmp_path / "new.csv"
    sheet.write_text(
        "AccountId,FullName,PartyType,Source,Status,IsEmailContactAllowed,IsPhoneContactAllowed\n"
        "A-1,Contoso,Organization,Default,Active,true,false\n"
    )
    imported = as_alice("import", str(sheet), "--entity", "Account")
    assert imported.returncode == 7
    assert "missing privilege: Create on Account" in imported.stderr + imported.stdout

    listed = json.loads(run(home, "role", "list", "--env", "Prod", "--json").stdout)
    readers = next(r for r in listed if r["name"] == "Readers")
    assert readers["members"] == [{"kind": "user", "name": "alice"}]
    refused = as_alice("role", "list")
    assert refused.returncode == 7
    assert "missing privilege: Security" in refused.stderr + refused.stdout

    run(home, "role", "revoke", "Readers", "alice", "--env", "Prod")
    assert export().returncode == 7


def test_permission_sets_from_yaml_and_their_checks(home: Path, tmp_path: Path) -> None:
    (tmp_path / "sets.yaml").write_text(OWN_ACCOUNTS)
    run(home, "permission-set", "save", str(tmp_path / "sets.yaml"), "--env", "Prod")
    listed = json.loads(
        run(home, "permission-set", "list", "--env", "Prod", "--custom", "--json").stdout
    )
    assert [s["name"] for s in listed] == ["Own accounts"]
    assert listed[0]["entities"]["Account"]["policies"]["Update"] == {
        "field": "CreatedByUser",
        "values": None,
        "current_user": True,
    }
    (tmp_path / "bad.yaml").write_text(
        "name: Bad\nentities:\n  Account:\n    operations: [Read]\n"
        "    policies: {Read: {field: Nope, current_user: true}}\n"
    )
    bad = run(
        home, "permission-set", "save", str(tmp_path / "bad.yaml"), "--env", "Prod", check=False
    )
    assert bad.returncode == 4
    assert "Account Read policy: no field 'Nope'" in bad.stderr + bad.stdout


def test_wrong_password_and_non_admins_creating_environments_are_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMONGROUND_PASSWORD", "wrong")
    refused = run(home, "--user", "alice", "entity", "list", "--env", "Prod", check=False)
    assert refused.returncode != 0
    monkeypatch.setenv("COMMONGROUND_PASSWORD", PASSWORD)
    made = run(home, "--user", "alice", "env", "create", "Mine", check=False)
    assert made.returncode == 7
    assert "missing privilege: create environments" in made.stderr + made.stdout
    run(home, "env", "access", "Prod", "open")
    assert "open" in run(home, "env", "list").stdout
