"""The catalog on each database: definitions with sealed secrets, leases, watermarks."""

from __future__ import annotations

import pytest

from commonground.errors import AlreadyExistsError, DefinitionError, NotFoundError
from commonground.integration.catalog.definitions_store import MASK
from commonground.integration.definitions import ConnectionDef, ConnectionSetDef, ProjectDef
from commonground.integration.integrator import Integrator
from commonground.integration.leases import Lease, new_holder


def _connection(name: str = "crm", password: str = "hunter2") -> ConnectionDef:
    return ConnectionDef(
        name=name, kind="sql", settings={"url": f"postgresql://u:{password}@h/db", "cursors": {}}
    )


def test_connection_secrets_are_sealed_and_masked(integrator: Integrator) -> None:
    store = integrator.definitions
    store.save_connection(_connection())
    table = integrator.db.table("connections")
    with integrator.db.engine.connect() as conn:
        row = conn.execute(table.select()).one()
    assert "hunter2" not in row.settings
    assert "hunter2" not in (row.secrets or "")
    assert store.connection("crm").settings["url"] == MASK
    assert "hunter2" in store.connection("crm", reveal=True).settings["url"]
    with pytest.raises(AlreadyExistsError):
        store.save_connection(_connection())
    # replacing without the secret keeps it; giving it replaces it
    store.save_connection(
        ConnectionDef(name="crm", kind="sql", settings={"url": "sqlite:///x.db"}), replace=True
    )
    assert store.connection("crm", reveal=True).settings["url"] == "sqlite:///x.db"


def test_sets_and_projects_refer_to_what_exists(integrator: Integrator) -> None:
    store = integrator.definitions
    with pytest.raises(NotFoundError, match="Connection 'crm'"):
        store.save_connection_set(ConnectionSetDef(name="s", connections={"a": "crm", "b": "x"}))
    store.save_connection(_connection("crm"))
    store.save_connection(_connection("erp"))
    store.save_connection_set(
        ConnectionSetDef(
            name="s",
            connections={"sales": "crm", "ops": "erp"},
            organizations=[{"sales": "BU", "ops": "USMF"}],
        )
    )
    with pytest.raises(DefinitionError, match="needs consent"):
        store.save_project(ProjectDef(name="p", connection_set="s"), "me")
    with pytest.raises(DefinitionError, match="organization mapping 3 does not exist"):
        store.save_project(
            ProjectDef(name="p", connection_set="s", organization=3, consent=True), "me"
        )
    store.save_project(ProjectDef(name="p", connection_set="s", organization=0, consent=True), "me")
    consents = integrator.db.table("consents")
    with integrator.db.engine.connect() as conn:
        assert conn.execute(consents.select()).one().given_by == "me"
    with pytest.raises(DefinitionError, match="used by project"):
        store.delete_connection_set("s")
    with pytest.raises(DefinitionError, match="used by connection set"):
        store.delete_connection("crm")
    store.delete_project("p")
    store.delete_connection_set("s")
    store.delete_connection("crm")
    assert [c.name for c in store.connections()] == ["erp"]


def test_leases_and_watermarks(integrator: Integrator) -> None:
    first = Lease(integrator.db, "project:p", new_holder())
    assert first.acquire()
    assert not Lease(integrator.db, "project:p", new_holder()).acquire()
    with integrator.db.engine.begin() as conn:
        integrator.state.save_watermark(conn, "p", "t", 0, {"token": 5})
        integrator.state.save_watermark(conn, "p", "t", 0, {"token": 7})
    assert integrator.state.watermark("p", "t", 0) == {"token": 7}
    integrator.state.forget_project("p")
    assert integrator.state.watermark("p", "t", 0) is None


def test_sync_stamps_remember_their_origin(integrator: Integrator) -> None:
    state = integrator.state
    assert not state.has_stamps("hub", "Client")
    with integrator.db.engine.begin() as conn:
        state.remember(
            conn, "hub", "Client", {"(Code):(C1)": "7", "(Code):(C2)": "8"}, "crm/Customer"
        )
        state.remember(conn, "hub", "Client", {"(Code):(C1)": "9"}, "erp/Debtor")
    assert state.has_stamps("hub", "Client")
    assert state.stamps("hub", "Client", ["(Code):(C1)", "(Code):(C2)", "(Code):(C3)"]) == {
        "(Code):(C1)": ("9", "erp/Debtor"),
        "(Code):(C2)": ("8", "crm/Customer"),
    }


def test_a_connection_made_embedded_drops_the_remote_credentials(integrator: Integrator) -> None:
    remote = {
        "environment": "Sales",
        "url": "http://127.0.0.1:1",
        "token_url": "http://127.0.0.1:1/oauth2/token",
        "client_id": "c",
        "client_secret": "s3cret",
    }
    store = integrator.definitions
    store.save_connection(ConnectionDef(name="Sales", kind="commonground", settings=remote))
    embedded = {"environment": "Sales", "home": "/tmp/home"}
    store.save_connection(
        ConnectionDef(name="Sales", kind="commonground", settings=embedded), replace=True
    )
    assert store.connection("Sales", reveal=True).settings == embedded
