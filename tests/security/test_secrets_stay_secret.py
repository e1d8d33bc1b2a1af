"""Passwords and client secrets appear nowhere but in the one-time display: not in any log
line (every logger at DEBUG, SQL statements and parameters included), not in the audit log,
and not in any CLI output besides `app-user create` and `reset-secret`."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from commonground.security.authentication import Authenticator
from tests.cli.test_cli import run
from tests.security.conftest import PASSWORD, ClientFactory

TOKEN = "/oauth2/token"


def test_no_log_line_holds_a_password_or_secret(
    client: ClientFactory, authenticator: Authenticator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    directory = authenticator.directory
    credentials = directory.create_application_user("Loader")
    renewed = directory.reset_application_secret("Loader")
    http = client()
    user_form = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    grant = http.post(TOKEN, data=user_form).json()
    http.post(TOKEN, data={**user_form, "password": "a wrong password"})
    http.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]})
    app_form = {"grant_type": "client_credentials", "client_id": renewed.client_id}
    http.post(TOKEN, data={**app_form, "client_secret": renewed.client_secret})
    http.post(TOKEN, data={**app_form, "client_secret": credentials.client_secret})
    directory.set_password("alice", "the next password")
    assert caplog.records, "nothing was logged, so nothing was checked"
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    for secret in (
        PASSWORD,
        "a wrong password",
        "the next password",
        credentials.client_secret,
        renewed.client_secret,
        grant["refresh_token"],
    ):
        assert secret not in logged


@pytest.mark.slow
def test_the_cli_shows_a_secret_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("COMMONGROUND_PASSWORD", "a password for the cli")
    outputs = [run(home, "user", "create", "Alice", "--email", "a@example.com", "--admin")]
    created = run(home, "app-user", "create", "Loader", "--json")
    secret = json.loads(created.stdout)["client_secret"]
    reset = run(home, "app-user", "reset-secret", "Loader")
    assert "client_secret:" in reset.stdout
    new_secret = reset.stdout.split("client_secret:")[1].split()[0]
    assert new_secret != secret
    monkeypatch.setenv("COMMONGROUND_PASSWORD", "another password for the cli")
    outputs += [
        run(home, "user", "reset-password", "alice"),
        run(home, "group", "create", "Sales"),
        run(home, "group", "add-member", "Sales", "Loader"),
        run(home, "user", "disable", "Alice"),
        run(home, "user", "list", "--json"),
        run(home, "app-user", "list", "--json"),
        run(home, "group", "list"),
        run(home, "audit", "--json"),
        run(home, "audit"),
    ]
    text = "".join(o.stdout + o.stderr for o in outputs)
    for value in ("a password for the cli", "another password for the cli", secret, new_secret):
        assert value not in text
    users = json.loads(outputs[5].stdout)
    assert users[0]["disabled"] is True
    entries = json.loads(outputs[8].stdout)
    assert [e["action"] for e in reversed(entries)] == [
        "user.created",
        "application_user.created",
        "application_user.secret_reset",
        "user.password_reset",
        "group.created",
        "group.member_added",
        "user.disabled",
    ]
    assert {e["actor"] for e in entries} == {"system"}
    missing = run(home, "user", "delete", "Nobody", "--yes", check=False)
    assert missing.returncode == 3
