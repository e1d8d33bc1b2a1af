"""`$batch` (JSON and multipart/mixed) and the bulk actions, against a real server process."""

from __future__ import annotations

import time
from typing import Any

import httpx

ACCOUNT = {
    "PartyType": "Organization",
    "Source": "Default",
    "Status": "Active",
    "IsEmailContactAllowed": True,
    "IsPhoneContactAllowed": False,
}


def account(name: str, **extra: Any) -> dict[str, Any]:
    return {**ACCOUNT, "FullName": name, **extra}


def names_of(client: httpx.Client, prefix: str) -> list[str]:
    response = client.get(
        "Accounts",
        params={"$filter": f"startswith(FullName, '{prefix}')", "$orderby": "FullName"},
    )
    assert response.status_code == 200, response.text
    return [r["FullName"] for r in response.json()["value"]]


# -- bulk actions ----------------------------------------------------------------------------


def test_create_multiple_writes_all_targets_and_answers_their_ids(client: httpx.Client) -> None:
    parent = client.post("Accounts", json=account("Bulk Parent", AccountId="BULK-P"))
    assert parent.status_code == 204
    targets = [
        account(f"Bulk C{n}", **{"ParentAccount@odata.bind": "Accounts(AccountId='BULK-P')"})
        for n in range(5)
    ]
    response = client.post("Accounts/CommonGround.CreateMultiple", json={"Targets": targets})
    assert response.status_code == 200, response.text
    ids = response.json()["Ids"]
    assert len(ids) == 5
    assert len(set(ids)) == 5
    record = client.get(f"Accounts({ids[3]})").json()
    assert record["FullName"] == "Bulk C3"
    parent_id = client.get("Accounts(AccountId='BULK-P')").json()["RecordId"]
    assert record["_ParentAccount_value"] == parent_id
    assert client.get("Accounts/CommonGround.CreateMultiple").status_code == 405


def test_upsert_multiple_matches_by_primary_key_or_record_id(client: httpx.Client) -> None:
    first = client.post(
        "Accounts/CommonGround.UpsertMultiple",
        json={"Targets": [account(f"Ups {n}", AccountId=f"UPSM-{n}") for n in range(3)]},
    )
    assert first.status_code == 200, first.text
    ids = first.json()["Ids"]
    again = client.post(
        "Accounts/CommonGround.UpsertMultiple",
        json={
            "Targets": [
                {"AccountId": "UPSM-0", "FullName": "Ups zero"},
                {"AccountId": "UPSM-3", **account("Ups 3")},
                {"RecordId": ids[2], "FullName": "Ups two"},
                {"@odata.id": "Accounts(AccountId='UPSM-1')", "FullName": "Ups one"},
            ]
        },
    )
    assert again.status_code == 200, again.text
    new_ids = again.json()["Ids"]
    assert new_ids[0] == ids[0]
    assert new_ids[2] == ids[2]
    assert new_ids[3] == ids[1]
    assert new_ids[1] not in ids
    assert names_of(client, "Ups ") == ["Ups 3", "Ups one", "Ups two", "Ups zero"]


def test_an_invalid_target_writes_nothing_and_names_every_failure(client: httpx.Client) -> None:
    targets: list[Any] = [account(f"Bad batch {n}") for n in range(4)]
    targets[1] = account("Bad batch 1", Status="Bogus")
    targets[3] = {**account("Bad batch 3"), "ParentAccount@odata.bind": "Accounts(AccountId='NO')"}
    response = client.post("Accounts/CommonGround.CreateMultiple", json={"Targets": targets})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    failures = {(d["index"], d["field"]) for d in error["details"]}
    assert failures == {(1, "Status"), (3, "ParentAccount")}
    assert all(d["message"] for d in error["details"])
    assert names_of(client, "Bad batch") == []


def test_bulk_actions_refuse_bad_bodies_and_more_than_1000_targets(client: httpx.Client) -> None:
    action = "Accounts/CommonGround.CreateMultiple"
    too_many = {"Targets": [account("x")] * 1001}
    assert client.post(action, json=too_many).status_code == 400
    assert client.post(action, json={"targets": []}).status_code == 400
    assert client.post(action, json={"Targets": ["no"]}).status_code == 400
    assert client.post("Accounts/CommonGround.Nothing", json={"Targets": []}).status_code == 404
    assert client.post("Nothings/CommonGround.CreateMultiple", json={}).status_code == 404


def test_bulk_create_of_1000_records_is_one_fast_request(client: httpx.Client) -> None:
    targets = [account(f"Speed {n:04}") for n in range(1000)]
    started = time.perf_counter()
    response = client.post("Accounts/CommonGround.CreateMultiple", json={"Targets": targets})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert len(response.json()["Ids"]) == 1000
    count = client.get("Accounts/$count", params={"$filter": "startswith(FullName, 'Speed ')"})
    assert count.text == "1000"
    print(f"CreateMultiple: 1000 records in {elapsed * 1000:.0f} ms")
