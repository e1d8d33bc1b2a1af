"""Environments: create, open, names, copy, delete, backup and restore, on either database."""

from __future__ import annotations

import uuid
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from commonground.errors import AlreadyExistsError, DefinitionError, NotFoundError
from commonground.model.field import Field
from commonground.query import Query
from commonground.service.environment import Environment, EnvironmentSettings
from commonground.service.environments import Environments
from tests.fixtures.fix_environments import Backend, TrackingEnvironments
from tests.fixtures.records import account, add_gadget, contact, sales_order

INVALID_NAMES = ["", "1abc", "_x", "a-b", "a b", "x" * 42, "Prod;DROP", "ünïcode", "a.b"]


def everything(env: Environment) -> dict[str, list[dict]]:
    """Every record of every entity, as plain dicts."""
    return {
        e.name: [dict(r) for batch in env.scan(e.name) for r in batch] for e in env.model.entities
    }


def fill(env: Environment) -> None:
    """Records of many kinds: every field type, compounds, lookups, deletes, 32-digit decimals."""
    add_gadget(env)
    accounts = env.create(
        "Account",
        [
            account(
                "Contoso",
                CreditLimitAmount={"Amount": "1234.567891", "CurrencyCode": "EUR"},
                MailingPostalAddress={"Line1": "1 Main St", "City": "Seattle"},
                PersonName={"GivenName": "Ann", "FamilyName": "Lee"},
                Birthdate=date(1999, 12, 31),
                EmployeeCount=12,
            ),
            account("Fabrikam", Status="Inactive"),
            account("Doomed"),
        ],
    ).record_ids
    env.create("Contact", [contact("Ann", PrimaryAccount=accounts[0])])
    env.create(
        "SalesOrder", [sales_order(Account=accounts[0], OrderDate="2030-01-02T03:04:05.678901Z")]
    )
    env.create(
        "Gadget",
        [
            {
                "Code": "G1",
                "Weight": Decimal("0.125"),
                "Count": -5,
                "Active": False,
                "Price": 19.99,
                "Made": "2001-02-03",
                "Seen": datetime(2022, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
                "Serial": uuid.UUID(int=42),
                "Owner": accounts[1],
                "Colour": "Green",
                "Address": {"PostalCode": "0150"},
                "Inventor": {"MiddleName": "Q"},
                "Notes": "multi\nline ✓",
            },
            {"Code": "G2"},
        ],
    )
    env.delete("Account", [accounts[2]])


# -- create, open, names ----------------------------------------------------------------


def test_create_lists_and_opens(envs: TrackingEnvironments, more_envs):
    name = "T" + uuid.uuid4().hex[:8] + "x" * 32  # the longest name allowed: 41 characters
    settings = EnvironmentSettings(access_mode="open", description="demo")
    env = envs.create(name, settings)
    assert env.name == name
    assert name in envs.names()
    assert envs.open(name) is env
    assert envs.open(name.upper()) is env

    other = more_envs().open(name.upper())  # a fresh object reads the model from the database
    assert other is not env
    assert other.name == name
    assert other.settings == settings
    assert {e.name for e in other.model.entities} == {e.name for e in env.model.entities}
    assert other.query(Query("Lead")) == []  # reads work before anything was written
    assert other.changes_since("Worker", 0).changed == []


def test_create_with_the_default_standard_model(envs: TrackingEnvironments, new_name):
    name = new_name()
    env = Environments.create(envs, name)  # no preloaded model: the standard one is loaded
    envs.created.append(name)
    assert env.model.has_entity("SalesOrderLineShipment")
    assert len(env.model.picklists) > 100


def test_names_are_case_insensitive_and_unique(envs: TrackingEnvironments, env):
    with pytest.raises(AlreadyExistsError):
        envs.create(env.name.upper())
    with pytest.raises(AlreadyExistsError):
        envs.copy(env.name, env.name.lower())


def test_invalid_environment_names_are_refused(envs: TrackingEnvironments, env):
    source = env
    for bad in INVALID_NAMES:
        with pytest.raises(DefinitionError, match="invalid environment name"):
            envs.create(bad)
        with pytest.raises(DefinitionError):
            envs.open(bad)
        with pytest.raises(DefinitionError):
            envs.delete(bad)
        with pytest.raises(DefinitionError):
            envs.copy(source.name, bad)
    assert not set(envs.names()) & set(INVALID_NAMES)


def test_open_or_delete_of_a_missing_environment(envs: TrackingEnvironments, new_name):
    with pytest.raises(NotFoundError):
        envs.open(new_name())
    with pytest.raises(NotFoundError):
        envs.delete(new_name())


def test_settings_are_stored(env, more_envs):
    env.set_settings(EnvironmentSettings(access_mode="restricted", description="locked"))
    assert more_envs().open(env.name).settings == EnvironmentSettings("restricted", "locked")


# -- delete -----------------------------------------------------------------------------


def test_delete_removes_the_environment_and_its_data(
    envs: TrackingEnvironments, env, backend: Backend, more_envs
):
    name = env.name
    env.create("Account", [account("Contoso")])
    envs.delete(name)
    assert name not in envs.names()
    assert not envs.locator.exists(name)
    with pytest.raises(NotFoundError):
        envs.open(name)
    with pytest.raises(NotFoundError):
        more_envs().open(name)
    if backend.name == "sqlite":
        assert list((envs.home / "environments").glob(f"{name}.sqlite*")) == []
    again = envs.create(name)  # the name is free, and the new environment is empty
    assert again.count(Query("Account")) == 0


# -- copy -------------------------------------------------------------------------------


def test_copy_has_the_schema_and_data_and_is_isolated(envs: TrackingEnvironments, env, new_name):
    source = env
    fill(source)
    source.add_field("Account", Field(name="Nickname", type="Text"))

    copy = envs.copy(source.name, new_name())

    assert copy.name != source.name
    assert copy.model.has_entity("Gadget")
    assert copy.model.has_picklist("GadgetColour")
    assert copy.model.entity("Account").field_or_none("Nickname") is not None
    assert everything(copy) == everything(source)
    assert copy.current_token() == source.current_token()
    assert copy.changes_since("Account", 0).deleted == source.changes_since("Account", 0).deleted

    # Sequences carry over: new records continue the numbering.
    rid = copy.create("Account", [account("New in copy")]).record_ids[0]
    assert rid == 4
    assert copy.get("Account", rid)["AccountId"] == "ACC000004"

    # Writes and schema changes in one do not reach the other.
    copy.update("Account", [{"RecordId": 1, "FullName": "Renamed in copy"}])
    source.create("Gadget", [{"Code": "SRC-ONLY"}])
    copy.add_field("Gadget", Field(name="Extra", type="Integer"))
    assert source.get("Account", 1)["FullName"] == "Contoso"
    assert source.count(Query("Account")) == 2
    assert copy.count(Query("Gadget")) == 2
    assert source.model.entity("Gadget").field_or_none("Extra") is None
    copy.drop_entity("Gadget")
    assert source.count(Query("Gadget")) == 3


def test_copy_to_a_taken_name_or_from_a_missing_one(envs: TrackingEnvironments, env, new_name):
    other = envs.create(new_name())
    with pytest.raises(AlreadyExistsError):
        envs.copy(env.name, other.name)
    assert other.count(Query("Account")) == 0
    with pytest.raises(NotFoundError):
        envs.copy(new_name(), new_name())


# -- backup and restore -----------------------------------------------------------------


def test_backup_and_restore_round_trip(envs: TrackingEnvironments, env, new_name, tmp_path):
    source = env
    source.set_settings(EnvironmentSettings("open", "source"))
    fill(source)
    expected = everything(source)
    path = tmp_path / "backup.zip"

    saved = envs.backup(source.name, path)

    assert saved == sum(len(rows) for rows in expected.values())
    assert zipfile.is_zipfile(path)
    restored = envs.restore(path, new_name())
    assert everything(restored) == expected
    assert restored.settings == EnvironmentSettings("open", "source")
    gadget = restored.get_by_key("Gadget", {"Code": "G1"})
    assert gadget["Weight"] == Decimal("0.125")
    assert gadget["Seen"] == datetime(2022, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert gadget["Price"] == {"Amount": Decimal("19.99"), "CurrencyCode": None}
    assert gadget["Serial"] == uuid.UUID(int=42)
    assert restored.get("Account", 1)["CreditLimitAmount"]["Amount"] == Decimal("1234.567891")

    # The restored environment is a working one: numbering and change tracking continue.
    token = restored.current_token()
    assert token == source.current_token()
    rid = restored.create("Gadget", [{"Code": "G3"}]).record_ids[0]
    assert restored.get("Gadget", rid)["Number"] == "G-0003"
    assert [r["Code"] for r in restored.changes_since("Gadget", token).changed] == ["G3"]


def test_restore_under_the_original_name(envs: TrackingEnvironments, env, tmp_path):
    source = env
    source.create("Account", [account("Contoso")])
    name, path = source.name, tmp_path / "b.zip"
    envs.backup(name, path)
    with pytest.raises(AlreadyExistsError):
        envs.restore(path)
    envs.delete(name)
    restored = envs.restore(path)
    assert restored.name == name
    assert restored.get("Account", 1)["FullName"] == "Contoso"


def test_restore_of_something_that_is_not_a_backup(envs: TrackingEnvironments, tmp_path):
    path = tmp_path / "not.zip"
    path.write_text("hello")
    before = envs.names()
    with pytest.raises(DefinitionError, match="not a Common Ground backup"):
        envs.restore(path, "Whatever")
    assert envs.names() == before


def test_backup_of_sqlite_restores_on_this_backend(
    envs: TrackingEnvironments, new_name, tmp_path, standard
):
    """Backups are portable: one taken from SQLite restores on SQLite and on PostgreSQL."""
    with_sqlite = TrackingEnvironments(standard, home=tmp_path / "sqlite-home")
    try:
        source = with_sqlite.create("Source")
        fill(source)
        expected = everything(source)
        with_sqlite.backup("Source", tmp_path / "portable.zip")
    finally:
        with_sqlite.close()
    restored = envs.restore(tmp_path / "portable.zip", new_name())
    assert everything(restored) == expected


def catalog(env: Environment) -> list[tuple]:
    """The tables, columns, constraints and indexes of an environment, without its name."""
    with env.reading() as conn:
        if env.db.schema is None:
            rows = conn.exec_driver_sql(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            )
            return [tuple(r) for r in rows]
        schema = env.db.schema
        columns = conn.exec_driver_sql(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "numeric_precision, numeric_scale FROM information_schema.columns "
            "WHERE table_schema = %(s)s ORDER BY table_name, column_name",
            {"s": schema},
        )
        constraints = conn.exec_driver_sql(
            "SELECT cl.relname, con.conname, con.contype, pg_get_constraintdef(con.oid) "
            "FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid "
            "JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = %(s)s "
            "ORDER BY 1, 2",
            {"s": schema},
        )
        indexes = conn.exec_driver_sql(
            "SELECT tablename, indexname, replace(indexdef, %(s)s, 'S') FROM pg_indexes "
            "WHERE schemaname = %(s)s ORDER BY 1, 2",
            {"s": schema},
        )
        return [tuple(r) for r in [*columns, *constraints, *indexes]]


def test_the_env_fixture_is_an_exact_copy_of_a_created_environment(env, envs, new_name, more_envs):
    created = envs.create(new_name())
    stored = more_envs().open(env.name)  # the model as stored in the copy
    assert {e.name: e for e in stored.model.entities} == {e.name: e for e in env.model.entities}
    assert {p.name: p for p in stored.model.picklists} == {p.name: p for p in env.model.picklists}
    assert stored.settings == env.settings
    assert catalog(env) == catalog(created)
    assert everything(env) == everything(created)
    assert {e.name: e for e in env.model.entities} == {e.name: e for e in created.model.entities}
    with env.reading() as a, created.reading() as b:
        sequences = env.db.system["sequences"]
        assert a.execute(sequences.select()).all() == b.execute(sequences.select()).all()
