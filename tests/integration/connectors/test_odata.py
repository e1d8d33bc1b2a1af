"""The OData connector against a real `commonground serve` process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from commonground.integration.connectors.odata import ODataConnector, ODataSettings, writing
from commonground.integration.contracts import (
    Batch,
    Connector,
    FilterError,
    ReadRequest,
    RecordStatus,
    SchemaError,
    ValueKind,
    WriteMode,
)
from commonground.integration.registry import open_connector
from tests.fixtures.serving import add_owner_application, served_environment, token_url

ACCOUNT = {
    "PartyType": "Organization",
    "Source": "Default",
    "Status": "Active",
    "IsEmailContactAllowed": True,
    "IsPhoneContactAllowed": False,
}


def account(number: str, name: str, **extra: Any) -> dict[str, Any]:
    return {**ACCOUNT, "AccountId": number, "FullName": name, **extra}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def root(home: Path) -> Iterator[str]:
    with served_environment(home, "OData") as url:
        yield url


@pytest.fixture(scope="module")
def credentials(home: Path, root: str) -> dict[str, Any]:
    """The connector settings that sign in as an application user, Database Owner in OData."""
    client_id, client_secret = add_owner_application(home, "OData", "OData connector")
    return {"token_url": token_url(root), "client_id": client_id, "client_secret": client_secret}


@pytest.fixture
def connect(root: str, credentials: dict[str, Any]) -> Iterator[Callable[..., ODataConnector]]:
    """Opens connectors on the served environment, and closes them after the test."""
    opened: list[ODataConnector] = []

    def open_service(**settings: Any) -> ODataConnector:
        opened.append(ODataConnector(ODataSettings(url=root, **credentials, **settings)))
        return opened[-1]

    yield open_service
    for connector in opened:
        connector.close()


def records(batches: list[Batch]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b.records]


def upsert(connector: ODataConnector, rows: list[dict[str, Any]]) -> list[RecordStatus]:
    outcome = connector.write("Accounts", rows, ["AccountId"], WriteMode.UPSERT)
    assert outcome.failures == [], outcome.failures
    return outcome.statuses


def test_registered_and_protocol(root: str, credentials: dict[str, Any]) -> None:
    connector = open_connector("odata", {"url": root, **credentials})
    assert isinstance(connector, Connector)
    connector.close()


def test_discovery_from_metadata(connect: Callable[..., ODataConnector]) -> None:
    connector = connect(cursors={"Accounts": "EmployeeCount"})
    names = {e.name for e in connector.entities()}
    assert {"Accounts", "AccountGroups", "Contacts"} <= names
    info = connector.describe("accounts")
    assert info.name == "Accounts"
    assert info.keys == (("RecordId",), ("AccountId",))
    assert info.change_tracking
    assert info.cursor == "EmployeeCount"
    fields = {f.name: f for f in info.fields}
    assert fields["RecordId"].read_only
    assert fields["FullName"].kind is ValueKind.TEXT
    assert fields["FullName"].max_length == 128
    assert fields["EmployeeCount"].kind is ValueKind.INTEGER
    assert fields["Birthdate"].kind is ValueKind.DATE
    assert fields["CreditLimitAmount"].kind is ValueKind.STRUCTURED
    assert fields["IsEmailContactAllowed"].required
    assert fields["AccountGroup"].kind is ValueKind.LOOKUP
    assert fields["AccountGroup"].targets == ("AccountGroups",)
    assert "_AccountGroup_value" not in fields
    with pytest.raises(SchemaError, match="Nothings"):
        connector.describe("Nothings")


def test_upsert_inserts_updates_and_skips_unchanged(connect: Callable[..., ODataConnector]) -> None:
    connector = connect()
    assert upsert(connector, [account("U1", "One"), account("U2", "Two")]) == [
        RecordStatus.INSERTED,
        RecordStatus.INSERTED,
    ]
    outcome = connector.write(
        "Accounts",
        [{"AccountId": "U1", "FullName": "One"}, account("U3", "Three")],
        ["accountid"],
        WriteMode.UPSERT,
    )
    assert outcome.statuses == [RecordStatus.UNCHANGED, RecordStatus.INSERTED]
    assert outcome.failures == []
    again = connector.write(
        "Accounts", [{"AccountId": "U2", "FullName": "Two?"}], ["AccountId"], WriteMode.UPDATE
    )
    assert again.statuses == [RecordStatus.UPDATED]
    assert again.stamps is not None
    assert again.stamps[0]
    insert = connector.write(
        "Accounts",
        [account("U1", "Not again"), account("U4", "Four")],
        ["AccountId"],
        WriteMode.INSERT,
    )
    assert insert.statuses == [RecordStatus.UNCHANGED, RecordStatus.INSERTED]
    missing = connector.write(
        "Accounts", [{"AccountId": "U9", "FullName": "Nine"}], ["AccountId"], WriteMode.UPDATE
    )
    assert missing.statuses == [RecordStatus.FAILED]
    assert "U9" in missing.failures[0].message
    read = connector.read(ReadRequest("Accounts", fields=["AccountId", "FullName"]))
    found = {
        r["AccountId"]: (r["FullName"], s)
        for b in read
        for r, s in zip(b.records, b.stamps or [], strict=True)
    }
    assert found["U2"] == ("Two?", again.stamps[0])  # a write's stamp is the read's ETag


def test_failures_are_isolated_and_the_rest_written(
    connect: Callable[..., ODataConnector],
) -> None:
    connector = connect()
    batch = [
        account("F1", "Fine one"),
        account("F2", "x" * 500),  # too long: the service refuses it
        account("F3", "Fine three", Status="NoSuchStatus"),  # not a picklist item
        account("F4", "Fine four", EmployeeCount="many"),  # refused before it is sent
        account("F1", "twice"),
        {"FullName": "no key"},
    ]
    outcome = connector.write("Accounts", batch, ["AccountId"], WriteMode.UPSERT)
    assert outcome.statuses == [
        RecordStatus.INSERTED,
        *[RecordStatus.FAILED] * 5,
    ]
    failures = {f.position: f for f in outcome.failures}
    assert sorted(failures) == [1, 2, 3, 4, 5]
    assert failures[1].field == "FullName"
    assert failures[3].field == "EmployeeCount"
    assert "twice" in failures[4].message
    assert failures[5].field == "AccountId"
    stored = connector.resolve("Accounts", ["AccountId"], [("F1",), ("F2",), ("F3",)])
    assert set(stored) == {("F1",)}


def test_next_links_page_through_more_rows_than_a_page(
    connect: Callable[..., ODataConnector],
) -> None:
    connector = connect(page_size=3)
    upsert(connector, [account(f"P{n:02}", f"Paged {n}") for n in range(10)])
    batches = list(
        connector.read(
            ReadRequest(
                "Accounts",
                fields=["AccountId", "AccountGroup.Name"],  # rules out delta links
                filter="startswith(AccountId, 'P')",
            )
        )
    )
    assert [len(b.records) for b in batches] == [3, 3, 3, 1]
    assert [r["AccountId"] for r in records(batches)] == [f"P{n:02}" for n in range(10)]
    assert [b.watermark for b in batches] == [{}, {}, {}, {"full": True}]


def test_delta_links_bring_changes_and_deletes(connect: Callable[..., ODataConnector]) -> None:
    connector = connect(page_size=1)  # the delta arrives in pages, linked by next links
    upsert(connector, [account("D1", "Delta one"), account("D2", "Delta two")])
    first = list(connector.read(ReadRequest("Accounts", fields=["AccountId", "FullName"])))
    mark = first[-1].watermark
    assert "delta" in mark
    assert {"D1", "D2"} <= {r["AccountId"] for r in records(first)}
    upsert(connector, [account("D1", "Delta one, renamed"), account("D3", "Delta three")])
    assert connector.delete("Accounts", [{"AccountId": "D2"}, {"AccountId": "Gone"}]).statuses == [
        RecordStatus.DELETED,
        RecordStatus.UNCHANGED,
    ]
    changes = list(
        connector.read(ReadRequest("Accounts", fields=["AccountId", "FullName"], since=mark))
    )
    assert {r["AccountId"]: r["FullName"] for r in records(changes)} == {
        "D1": "Delta one, renamed",
        "D3": "Delta three",
    }
    assert len(changes) > 1
    assert all(b.watermark == mark for b in changes[:-1])  # only the end of a delta moves on
    assert changes[-1].watermark != mark
    deleted = [d for b in changes for d in b.deleted]
    assert len(deleted) == 1
    assert deleted[0]["AccountId"] == "D2"
    assert "RecordId" in deleted[0]
    later = list(connector.read(ReadRequest("Accounts", since=changes[-1].watermark, stamps=False)))
    assert records(later) == []
    assert all(b.stamps is None for b in later)


def test_delta_reads_apply_the_source_filter_here(connect: Callable[..., ODataConnector]) -> None:
    connector = connect()
    upsert(connector, [account("DF1", "Keep"), account("DF2", "Drop")])
    found = records(
        list(
            connector.read(
                ReadRequest("Accounts", fields=["AccountId"], filter="FullName eq 'Keep'")
            )
        )
    )
    assert {r["AccountId"] for r in found} >= {"DF1"}
    assert "DF2" not in {r["AccountId"] for r in found}


def test_cursor_reads_resume_across_ties(connect: Callable[..., ODataConnector]) -> None:
    """A `lookup.keyfield` field rules out delta links here, so the cursor is followed."""
    connector = connect(cursors={"Accounts": "EmployeeCount"}, page_size=2)
    upsert(
        connector, [account(f"C{n}", f"Cursor {n}", EmployeeCount=1000 + n // 3) for n in range(7)]
    )
    request = {"fields": ["AccountId", "EmployeeCount", "AccountGroup.Name"]}
    request["filter"] = "startswith(AccountId, 'C')"
    seen: list[str] = []
    since = None
    while True:  # one batch per run, each resuming from the last stored watermark
        batch = next(iter(connector.read(ReadRequest("Accounts", since=since, **request))), None)
        if batch is None or not batch.records:
            break
        assert "cursor" in batch.watermark
        seen += [r["AccountId"] for r in batch.records]
        since = batch.watermark
    assert seen == [f"C{n}" for n in range(7)]
    upsert(connector, [account("C9", "Cursor 9", EmployeeCount=1002)])  # ties the last cursor
    later = records(list(connector.read(ReadRequest("Accounts", since=since, **request))))
    assert [r["AccountId"] for r in later] == ["C9"]


def test_lookups_bind_resolve_and_fetch(connect: Callable[..., ODataConnector]) -> None:
    connector = connect()
    group = connector.write(
        "AccountGroups",
        [{"AccountGroupId": "G1", "Name": "Gold"}],
        ["AccountGroupId"],
        WriteMode.UPSERT,
    )
    assert group.statuses == [RecordStatus.INSERTED]
    refs = connector.resolve("AccountGroups", ["Name"], [("Gold",), ("gold",), ("Lead",)])
    assert set(refs) == {("Gold",), ("gold",)}
    reference = refs[("Gold",)]
    assert isinstance(reference, int)
    upsert(connector, [account("L1", "Linked", AccountGroup=reference)])
    [linked] = connector.resolve("Accounts", ["AccountId"], [("l1",)]).values()
    fetched = connector.fetch(
        "Accounts", [linked, 999999], ["FullName", "AccountGroup", "AccountGroup.Name"]
    )
    assert fetched == {
        linked: {"FullName": "Linked", "AccountGroup": reference, "AccountGroup.Name": "Gold"}
    }
    unchanged = connector.write(
        "Accounts",
        [{"AccountId": "L1", "AccountGroup": reference}],
        ["AccountId"],
        WriteMode.UPSERT,
    )
    assert unchanged.statuses == [RecordStatus.UNCHANGED]
    unbound = connector.write(
        "Accounts", [{"AccountId": "L1", "AccountGroup": None}], ["AccountId"], WriteMode.UPSERT
    )
    assert unbound.statuses == [RecordStatus.UPDATED]
    assert connector.fetch("Accounts", [linked], ["AccountGroup"]) == {
        linked: {"AccountGroup": None}
    }


def test_a_bad_filter_is_a_filter_error_with_the_service_message(
    connect: Callable[..., ODataConnector],
) -> None:
    connector = connect()
    with pytest.raises(FilterError, match="Nope"):
        list(
            connector.read(
                ReadRequest("Accounts", fields=["AccountGroup.Name"], filter="Nope eq 1")
            )
        )


def test_failures_are_isolated_one_by_one_when_rounds_run_out(
    connect: Callable[..., ODataConnector], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writing, "MAX_ROUNDS", 0)  # the first refusal sends every record alone
    connector = connect()
    batch = [account("I1", "x" * 500), account("I2", "Fine"), account("I3", "y" * 500)]
    outcome = connector.write("Accounts", batch, ["AccountId"], WriteMode.UPSERT)
    assert outcome.statuses == [RecordStatus.FAILED, RecordStatus.INSERTED, RecordStatus.FAILED]
    assert [f.field for f in outcome.failures] == ["FullName", "FullName"]
