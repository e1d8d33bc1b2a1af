"""`$batch` (JSON and multipart/mixed) and the bulk actions, against a real server process."""

from __future__ import annotations

import json
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
    parent = client.post(
        "Accounts",
        json=account("Bulk Parent", AccountId="BULK-P"),
        headers={"Prefer": "return=minimal"},
    )
    assert parent.status_code == 204
    assert parent.headers["Preference-Applied"] == "return=minimal"
    assert parent.headers["Location"] == parent.headers["OData-EntityId"]
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


# -- $batch, JSON format ---------------------------------------------------------------------


def json_batch(client: httpx.Client, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = client.post("$batch", json={"requests": requests})
    assert response.status_code == 200, response.text
    responses: list[dict[str, Any]] = response.json()["responses"]
    return responses


def test_json_batch_runs_reads_and_writes_in_order(client: httpx.Client) -> None:
    json_headers = {"Content-Type": "application/json"}
    responses = json_batch(
        client,
        [
            {
                "id": "a",
                "method": "POST",
                "url": "Accounts",
                "headers": json_headers,
                "body": account("Jb One", AccountId="JB-1"),
            },
            {"id": "b", "method": "GET", "url": "Accounts(AccountId='JB-1')?$select=FullName"},
            {
                "id": "c",
                "method": "PATCH",
                "url": "Accounts(AccountId='JB-1')",
                "headers": {**json_headers, "Prefer": "return=representation"},
                "body": {"FullName": "Jb Uno"},
            },
            {"id": "d", "method": "GET", "url": "Nothings"},
            {
                "id": "e",
                "method": "GET",
                "url": "Accounts/$count?$filter=startswith(FullName,'Jb ')",
            },
        ],
    )
    assert [r["id"] for r in responses] == ["a", "b", "c", "d", "e"]
    assert [r["status"] for r in responses] == [201, 200, 200, 404, 200]
    assert responses[0]["headers"]["odata-entityid"].endswith(")")
    assert responses[1]["body"]["FullName"] == "Jb One"
    assert responses[2]["body"]["FullName"] == "Jb Uno"
    assert responses[3]["body"]["error"]["message"]
    assert responses[4]["body"] == "1"


def test_json_atomicity_group_with_references_commits_together(client: httpx.Client) -> None:
    json_headers = {"Content-Type": "application/json"}
    contact = {
        **ACCOUNT,
        "PartyType": "Person",
        "FullName": "Jref Person",
        "IsPhoneContactAllowed": True,
        "PrimaryAccount@odata.bind": "$1",
    }
    responses = json_batch(
        client,
        [
            {
                "id": "1",
                "atomicityGroup": "g",
                "method": "POST",
                "url": "Accounts",
                "headers": json_headers,
                "body": account("Jref Company"),
            },
            {
                "id": "2",
                "atomicityGroup": "g",
                "method": "POST",
                "url": "Contacts",
                "headers": {**json_headers, "Prefer": "return=representation"},
                "body": contact,
            },
            {
                "id": "3",
                "atomicityGroup": "g",
                "method": "PATCH",
                "url": "$1",
                "headers": json_headers,
                "body": {"Description": "patched in the group"},
            },
            {"id": "4", "method": "GET", "url": "$1", "dependsOn": ["g"]},
        ],
    )
    assert [r["status"] for r in responses] == [201, 201, 204, 200]
    company = responses[3]["body"]
    assert company["Description"] == "patched in the group"
    assert responses[1]["body"]["_PrimaryAccount_value"] == company["RecordId"]


def test_json_atomicity_group_failing_half_way_writes_nothing(client: httpx.Client) -> None:
    json_headers = {"Content-Type": "application/json"}
    responses = json_batch(
        client,
        [
            {
                "id": "1",
                "atomicityGroup": "g",
                "method": "POST",
                "url": "Accounts",
                "headers": json_headers,
                "body": account("Jfail One"),
            },
            {
                "id": "2",
                "atomicityGroup": "g",
                "method": "PATCH",
                "url": "$1",
                "headers": json_headers,
                "body": {"FullName": "Jfail Two"},
            },
            {
                "id": "3",
                "atomicityGroup": "g",
                "method": "POST",
                "url": "Accounts",
                "headers": json_headers,
                "body": account("Jfail Three", Status="Bogus"),
            },
            {
                "id": "4",
                "method": "POST",
                "url": "Accounts",
                "headers": json_headers,
                "body": account("Jfail Outside"),
            },
            {"id": "5", "method": "GET", "url": "Accounts", "dependsOn": ["g"]},
        ],
    )
    assert [(r["id"], r["status"]) for r in responses] == [("3", 400), ("4", 201), ("5", 424)]
    assert responses[0]["body"]["error"]["details"][0]["target"] == "Status"
    assert names_of(client, "Jfail") == ["Jfail Outside"]


def test_json_batch_refuses_get_in_a_group_and_more_than_1000_requests(
    client: httpx.Client,
) -> None:
    get_in_group = {
        "requests": [{"id": "1", "atomicityGroup": "g", "method": "GET", "url": "Accounts"}]
    }
    assert client.post("$batch", json=get_in_group).status_code == 400
    too_many = {
        "requests": [{"id": str(n), "method": "GET", "url": "Accounts(1)"} for n in range(1001)]
    }
    assert client.post("$batch", json=too_many).status_code == 400
    assert client.post("$batch", json={"nope": []}).status_code == 400
    assert (
        client.post("$batch", content=b"x", headers={"Content-Type": "text/plain"}).status_code
        == 415
    )
    big = b'{"requests": [], "x": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    response = client.post("$batch", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413


# -- $batch, multipart/mixed format ----------------------------------------------------------


def http_part(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    content_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    mime = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id is not None:
        mime += f"Content-ID: {content_id}\r\n"
    lines = [f"{method} {url} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    text = ""
    if body is not None:
        lines.append("Content-Type: application/json")
        text = json.dumps(body)
    return mime + "\r\n" + "\r\n".join(lines) + "\r\n\r\n" + text


def multipart(boundary: str, parts: list[str]) -> str:
    return "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--\r\n"


def change_set(boundary: str, parts: list[str]) -> str:
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n" + multipart(
        boundary, parts
    )


def post_multipart(client: httpx.Client, body: str) -> httpx.Response:
    return client.post(
        "$batch",
        content=body.encode(),
        headers={"Content-Type": "multipart/mixed; boundary=batch_x"},
    )


def parse_multipart(response: httpx.Response) -> list[Any]:
    """Each part as (status, headers, body text), a change set as a list of them."""
    media = response.headers["content-type"]
    assert media.startswith("multipart/mixed")
    boundary = media.split("boundary=")[1]
    return _parts(response.text, boundary)


def _parts(text: str, boundary: str) -> list[Any]:
    out: list[Any] = []
    sections = text.split(f"--{boundary}")[1:-1]
    for section in sections:
        head, _, rest = section.strip("\r\n").partition("\r\n\r\n")
        if "multipart/mixed" in head:
            out.append(_parts(rest, head.split("boundary=")[1].strip()))
            continue
        status_block, _, body = rest.partition("\r\n\r\n")
        status_line, *header_lines = status_block.split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        out.append((int(status_line.split()[1]), headers, body.rstrip("\r\n")))
    return out


def test_multipart_batch_with_a_change_set_and_content_ids(client: httpx.Client) -> None:
    body = multipart(
        "batch_x",
        [
            http_part("GET", "Accounts?$filter=FullName eq 'nobody'&$select=FullName"),
            change_set(
                "changeset_y",
                [
                    http_part("POST", "Accounts", account("Mp Company", AccountId="MP-1"), "1"),
                    http_part(
                        "PATCH",
                        "$1",
                        {"Description": "via content id"},
                        "2",
                        {"Prefer": "return=representation"},
                    ),
                    http_part(
                        "POST",
                        "Contacts",
                        {
                            **ACCOUNT,
                            "PartyType": "Person",
                            "FullName": "Mp Person",
                            "IsPhoneContactAllowed": True,
                            "PrimaryAccount@odata.bind": "$1",
                        },
                        "3",
                    ),
                ],
            ),
            http_part("GET", "Accounts(AccountId='MP-1')?$select=Description"),
        ],
    )
    response = post_multipart(client, body)
    assert response.status_code == 200, response.text
    first, changes, last = parse_multipart(response)
    assert first[0] == 200
    assert json.loads(first[2])["value"] == []
    assert [c[0] for c in changes] == [201, 200, 201]
    assert json.loads(changes[1][2])["Description"] == "via content id"
    assert last[0] == 200
    assert json.loads(last[2])["Description"] == "via content id"


def test_multipart_change_set_failing_half_way_writes_nothing(client: httpx.Client) -> None:
    body = multipart(
        "batch_x",
        [
            change_set(
                "changeset_y",
                [
                    http_part("POST", "Accounts", account("Mpfail One"), "1"),
                    http_part("POST", "Accounts", account("Mpfail Two"), "2"),
                    http_part("DELETE", "Accounts(999999999)", None, "3"),
                ],
            ),
            http_part("POST", "Accounts", account("Mpfail Outside")),
        ],
    )
    response = post_multipart(client, body)
    assert response.status_code == 200, response.text
    failed, outside = parse_multipart(response)
    assert failed[0] == 404
    assert "Content-ID: 3\r\n" in response.text  # the failing request answers for the set
    assert outside[0] == 201
    assert names_of(client, "Mpfail") == ["Mpfail Outside"]


def test_multipart_batch_refuses_get_in_a_change_set_and_bad_bodies(client: httpx.Client) -> None:
    get_in_set = multipart("batch_x", [change_set("changeset_y", [http_part("GET", "Accounts")])])
    assert post_multipart(client, get_in_set).status_code == 400
    too_many = multipart("batch_x", [http_part("GET", "Accounts(1)")] * 1001)
    assert post_multipart(client, too_many).status_code == 400
    assert post_multipart(client, "no parts here").status_code == 400
    no_boundary = client.post(
        "$batch", content=b"--x\r\n", headers={"Content-Type": "multipart/mixed"}
    )
    assert no_boundary.status_code == 400
    nested = multipart("batch_x", [http_part("POST", "$batch", {})])
    (answer,) = parse_multipart(post_multipart(client, nested))
    assert answer[0] == 400


def test_a_batch_of_1000_creates_runs(client: httpx.Client) -> None:
    json_headers = {"Content-Type": "application/json"}
    requests: list[dict[str, Any]] = [
        {
            "id": str(n),
            "atomicityGroup": "all",
            "method": "POST",
            "url": "Accounts",
            "headers": {**json_headers, "Prefer": "return=minimal"},
            "body": account(f"Batchspeed {n:04}"),
        }
        for n in range(1000)
    ]
    started = time.perf_counter()
    responses = json_batch(client, requests)
    elapsed = time.perf_counter() - started
    assert {r["status"] for r in responses} == {204}
    count = client.get("Accounts/$count", params={"$filter": "startswith(FullName,'Batchspeed')"})
    assert count.text == "1000"
    print(f"$batch: 1000 creates in one change set in {elapsed * 1000:.0f} ms")


def test_batch_urls_may_be_absolute_and_errors_may_stop_the_batch(
    client: httpx.Client, server: str
) -> None:
    json_headers = {"Content-Type": "application/json"}
    path = httpx.URL(server).path
    requests: list[dict[str, Any]] = [
        {
            "id": "1",
            "atomicityGroup": "g",
            "method": "POST",
            "url": f"{server}Accounts",
            "headers": json_headers,
            "body": account("Jabs One"),
        },
        {
            "id": "2",
            "atomicityGroup": "g",
            "method": "PUT",
            "url": "$1/Description",
            "headers": json_headers,
            "body": {"value": "set by reference"},
        },
        {
            "id": "3",
            "method": "GET",
            "url": f"{path}Accounts/$count?$filter=FullName eq 'Jabs One'",
        },
        {"id": "4", "method": "GET", "url": "/elsewhere/Accounts"},
        {"id": "5", "method": "GET", "url": "Accounts/$count"},
    ]
    responses = json_batch(client, requests)
    assert [r["status"] for r in responses] == [201, 204, 200, 400, 200]
    assert responses[2]["body"] == "1"
    stopped = client.post(
        "$batch",
        json={"requests": requests[3:]},
        headers={"Prefer": "odata.continue-on-error=false"},
    )
    assert [r["status"] for r in stopped.json()["responses"]] == [400]
