"""The SDK over HTTP: the same calls as in process, against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from commonground.errors import ConflictError, NotFoundError, RecordValidationError
from commonground.query import F
from commonground.sdk import Client, connect_remote
from commonground.sdk.remote import RemoteBackend
from tests.fixtures.records import account, contact
from tests.fixtures.serving import TESTER, TESTER_PASSWORD, base_of


@pytest.fixture(scope="module")
def remote(server: str) -> Iterator[Client]:
    environment = server.partition("/environments/")[2].split("/")[0]
    client = connect_remote(base_of(server), environment, username=TESTER, password=TESTER_PASSWORD)
    yield client
    assert isinstance(client.backend, RemoteBackend)
    client.backend.close()


def test_insert_query_and_types_round_trip(remote: Client) -> None:
    accounts = remote["Account"]
    result = accounts.insert(
        [
            account(
                f"Remote {n}", AccountId=f"RM-{n}", CreditLimitAmount={"Amount": Decimal("12.5")}
            )
            for n in range(3)
        ]
    )
    assert result.inserted == 3
    found = (
        accounts.query()
        .where(F.AccountId.startswith("RM-"))
        .order_by_descending("AccountId")
        .take(2)
        .to_list()
    )
    assert [r["AccountId"] for r in found] == ["RM-2", "RM-1"]
    assert found[0]["CreditLimitAmount"]["Amount"] == Decimal("12.500000")
    assert found[0]["Status"] == "Active"
    assert accounts.query().where(F.AccountId.startswith("RM-")).count() == 3
    by_key = accounts.get_by_key(AccountId="RM-0")
    assert accounts.get(by_key["RecordId"])["FullName"] == "Remote 0"


def test_upsert_outcomes_and_include(remote: Client) -> None:
    accounts = remote["Account"]
    first = accounts.upsert([account("Up A", AccountId="RU-1"), account("Up B", AccountId="RU-2")])
    assert first.inserted == 2
    again = accounts.upsert([account("Up A", AccountId="RU-1"), account("Up B2", AccountId="RU-2")])
    assert (again.unchanged, again.updated) == (1, 1)
    parent = accounts.get_by_key(AccountId="RU-1")
    remote["Contact"].insert([contact("Remote Ann", PrimaryAccount=parent["RecordId"])])
    with_contacts = accounts.query().where(F.AccountId == "RU-1").include("Contact").first()
    assert with_contacts is not None
    assert [c["FullName"] for c in with_contacts.related["Contact"]] == ["Remote Ann"]


def test_batches_are_atomic_and_conflicts_raise(remote: Client) -> None:
    accounts = remote["Account"]
    record = accounts.insert_and_retrieve(account("Versioned", AccountId="RV-1"))
    accounts.update([{"RecordId": record["RecordId"], "FullName": "Changed"}])
    batch = remote.batch().insert("Account", [account("Side", AccountId="RV-2")])
    batch.update(
        "Account",
        [
            {
                "RecordId": record["RecordId"],
                "VersionNumber": record["VersionNumber"],
                "FullName": "Mine",
            }
        ],
    )
    with pytest.raises(ConflictError):
        batch.execute()
    with pytest.raises(NotFoundError):
        accounts.get_by_key(AccountId="RV-2")
    with pytest.raises(RecordValidationError):
        accounts.insert([{"FullName": "missing flags"}])


def test_changes_since_and_delete(remote: Client) -> None:
    products = remote["Product"]
    start = products.changes_since(0)
    token = start.token
    while start.more:
        start = products.changes_since(token)
        token = start.token
    ids = products.insert(
        [{"Name": "Remote P", "ProductType": "Item", "Status": "Active"}]
    ).record_ids
    assert ids[0] is not None
    assert products.delete(ids[0]) == 1
    changes = products.changes_since(token)
    assert [t.record_id for t in changes.deleted] == [ids[0]]
    added = products.insert([{"Name": "Slim", "ProductType": "Item", "Status": "Active"}])
    (slim,) = products.changes_since(changes.token, select=["Name"]).changed
    assert slim["RecordId"] == added.record_ids[0]
    assert set(slim) == {"RecordId", "VersionNumber", "Name"}
