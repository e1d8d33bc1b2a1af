"""The directory on each database: users, application users, groups, hashes and the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from commonground.errors import AlreadyExistsError, DefinitionError, NotFoundError
from commonground.security.caller import Caller, CallerKind
from commonground.security.directory import SCHEMA, Directory
from tests.fixtures.fix_environments import Backend
from tests.security.conftest import PASSWORD


def test_passwords_are_stored_as_argon2_hashes_that_verify(directory: Directory) -> None:
    directory.create_user("Alice", "alice@example.com", PASSWORD)
    users = directory.db.table("users")
    with directory.db.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert directory.check_password("alice", PASSWORD) is not None
    assert directory.check_password("alice", PASSWORD + "x") is None
    assert directory.check_password("nobody", PASSWORD) is None


def test_user_lifecycle(directory: Directory) -> None:
    directory.create_user("Alice", "alice@example.com", PASSWORD, admin=True)
    with pytest.raises(AlreadyExistsError):
        directory.create_user("ALICE", "", PASSWORD)
    with pytest.raises(DefinitionError, match="at least 8"):
        directory.create_user("Bob", "", "short")
    with pytest.raises(DefinitionError, match="reserved"):
        directory.create_user("System", "", PASSWORD)
    assert [u.name for u in directory.users()] == ["Alice"]
    assert directory.user("alice").admin

    directory.disable_user("alice")
    assert directory.user("Alice").disabled
    assert directory.check_password("Alice", PASSWORD) is None
    directory.enable_user("alice")
    assert directory.check_password("Alice", PASSWORD) is not None

    directory.set_password("alice", "a new password")
    assert directory.check_password("Alice", PASSWORD) is None
    assert directory.check_password("Alice", "a new password") is not None

    directory.delete_user("Alice")
    assert directory.users() == []
    with pytest.raises(NotFoundError):
        directory.user("Alice")


def test_application_users_get_a_secret_shown_once(directory: Directory) -> None:
    credentials = directory.create_application_user("Loader")
    apps = directory.db.table("application_users")
    with directory.db.engine.connect() as conn:
        row = conn.execute(apps.select()).one()
    assert row.secret_hash.startswith("$argon2id$")
    assert credentials.client_secret not in row.secret_hash
    assert directory.application_user("loader").client_id == credentials.client_id
    assert directory.check_client_secret(credentials.client_id, credentials.client_secret)

    renewed = directory.reset_application_secret("Loader")
    assert renewed.client_id == credentials.client_id
    assert directory.check_client_secret(credentials.client_id, credentials.client_secret) is None
    assert directory.check_client_secret(renewed.client_id, renewed.client_secret)

    directory.disable_application_user("Loader")
    assert directory.check_client_secret(renewed.client_id, renewed.client_secret) is None
    directory.enable_application_user("Loader")
    assert directory.check_client_secret(renewed.client_id, renewed.client_secret)
    with pytest.raises(AlreadyExistsError):
        directory.create_user("loader", "", PASSWORD)  # names are unique across both kinds
    directory.delete_application_user("Loader")
    assert directory.application_users() == []


def test_groups_and_callers(directory: Directory) -> None:
    directory.create_user("Alice", "", PASSWORD, admin=True)
    directory.create_application_user("Loader")
    directory.create_group("Sales")
    directory.create_group("Ops")
    directory.add_member("sales", "alice")
    directory.add_member("Sales", "ALICE")  # already in: no change
    directory.add_member("Sales", "loader")
    directory.add_member("Ops", "Alice")
    with pytest.raises(NotFoundError):
        directory.add_member("Sales", "nobody")
    assert [(g.name, g.members) for g in directory.groups()] == [
        ("Ops", ("Alice",)),
        ("Sales", ("Alice", "Loader")),
    ]
    assert directory.caller_for("alice") == Caller(
        "Alice", CallerKind.USER, frozenset({"Sales", "Ops"}), admin=True
    )
    assert directory.caller_for("Loader", CallerKind.APPLICATION) == Caller(
        "Loader", CallerKind.APPLICATION, frozenset({"Sales"})
    )
    directory.remove_member("Sales", "Alice")
    with pytest.raises(NotFoundError):
        directory.remove_member("Sales", "Alice")
    directory.delete_group("Ops")
    assert directory.groups_of("alice") == frozenset()
    directory.delete_application_user("Loader")
    assert directory.groups()[0].members == ()


def test_every_security_change_is_audited_without_secrets(directory: Directory) -> None:
    directory.create_user("Alice", "alice@example.com", PASSWORD, actor="admin")
    directory.set_password("Alice", "another password", actor="admin")
    directory.disable_user("Alice", actor="admin")
    directory.enable_user("Alice", actor="admin")
    credentials = directory.create_application_user("Loader", actor="admin")
    renewed = directory.reset_application_secret("Loader", actor="admin")
    directory.disable_application_user("Loader", actor="admin")
    directory.enable_application_user("Loader", actor="admin")
    directory.create_group("Sales", actor="admin")
    directory.add_member("Sales", "Alice", actor="admin")
    directory.remove_member("Sales", "Alice", actor="admin")
    directory.delete_group("Sales", actor="admin")
    directory.delete_application_user("Loader", actor="admin")
    directory.delete_user("Alice", actor="admin")
    directory.audit("admin", "role.granted", "Alice", {"role": "Sales"}, environment="Prod")

    log = directory.audit_log(limit=100)
    assert [e.action for e in reversed(log)] == [
        "user.created",
        "user.password_reset",
        "user.disabled",
        "user.enabled",
        "application_user.created",
        "application_user.secret_reset",
        "application_user.disabled",
        "application_user.enabled",
        "group.created",
        "group.member_added",
        "group.member_removed",
        "group.deleted",
        "application_user.deleted",
        "user.deleted",
        "role.granted",
    ]
    assert {e.actor for e in log} == {"admin"}
    assert log[0].environment == "Prod"
    assert log[0].detail == {"role": "Sales"}
    assert [e.action for e in directory.audit_log(limit=2)] == ["role.granted", "user.deleted"]
    assert len(directory.audit_log(environment="Prod")) == 1
    text = repr(log)
    for secret in (PASSWORD, "another password", credentials.client_secret, renewed.client_secret):
        assert secret not in text


def test_missing_nullable_columns_are_added_on_open(
    directory: Directory, tmp_path: Path, backend: Backend
) -> None:
    """The shared installation database upgrades an older directory in place."""
    audit = directory.db.table("audit_log")
    name = directory.db.engine.dialect.identifier_preparer.format_table(audit)
    with directory.db.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {name} DROP COLUMN environment"))
    reopened = Directory(tmp_path / "home", backend.url, directory.db.schema or SCHEMA)
    try:
        reopened.audit("a", "b", "c", environment="Prod")
        assert reopened.audit_log(limit=1)[0].environment == "Prod"
    finally:
        reopened.close()
