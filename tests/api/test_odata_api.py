"""The OData API against a real server process over HTTP."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

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


def create(client: httpx.Client, entity_set: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(entity_set, json=body, headers={"Prefer": "return=representation"})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_service_document_and_metadata(client: httpx.Client) -> None:
    document = client.get("").json()
    names = {entry["name"] for entry in document["value"]}
    assert {"Accounts", "SalesOrderLines"} <= names
    metadata = client.get("$metadata")
    assert metadata.status_code == 200
    root = ElementTree.fromstring(metadata.content)
    assert root.tag.endswith("Edmx")
    assert client.get("openapi.json").json()["openapi"].startswith("3.")


def test_create_read_update_delete_with_etags(client: httpx.Client) -> None:
    created = create(client, "Accounts", account("Crud Ltd", AccountId="CRUD-1"))
    rid, tag = created["RecordId"], created["@odata.etag"]
    assert created["FullName"] == "Crud Ltd"
    by_key = client.get("Accounts(AccountId='CRUD-1')")
    assert by_key.json()["RecordId"] == rid
    assert client.get(f"Accounts({rid})", headers={"If-None-Match": tag}).status_code == 304
    patched = client.patch(
        f"Accounts({rid})", json={"FullName": "Crud Two"}, headers={"If-Match": tag}
    )
    assert patched.status_code == 204
    stale = client.patch(f"Accounts({rid})", json={"FullName": "Late"}, headers={"If-Match": tag})
    assert stale.status_code == 412
    assert stale.json()["error"]["message"]
    assert client.get(f"Accounts({rid})/FullName").json()["value"] == "Crud Two"
    assert client.delete(f"Accounts({rid})", headers={"If-Match": tag}).status_code == 412
    assert client.delete(f"Accounts({rid})").status_code == 204
    assert client.get(f"Accounts({rid})").status_code == 404


def test_patch_by_alternate_key_is_an_upsert_with_conditions(client: httpx.Client) -> None:
    url = "Accounts(AccountId='UPS-1')"
    prefer = {"Prefer": "return=representation"}
    assert (
        client.patch(url, json=account("Only update"), headers={"If-Match": "*"}).status_code == 404
    )
    created = client.patch(url, json=account("Upserted"), headers=prefer)
    assert created.status_code == 201
    assert created.json()["AccountId"] == "UPS-1"
    updated = client.patch(url, json={"FullName": "Again"}, headers=prefer)
    assert updated.status_code == 200
    assert updated.json()["FullName"] == "Again"
    refused = client.patch(url, json={"FullName": "x"}, headers={"If-None-Match": "*"})
    assert refused.status_code == 412


def test_a_body_less_patch_answers_the_etag_of_the_version_it_wrote(client: httpx.Client) -> None:
    url = "Accounts(AccountId='ETAG-1')"
    created = client.patch(url, json=account("Tagged"))
    assert created.status_code == 204
    assert created.headers["ETag"] == client.get(url).json()["@odata.etag"]
    changed = client.patch(url, json={"FullName": "Tagged again"})
    assert changed.headers["ETag"] == client.get(url).json()["@odata.etag"]
    assert changed.headers["ETag"] != created.headers["ETag"]
    unchanged = client.patch(url, json={"FullName": "Tagged again"})
    assert unchanged.headers["ETag"] == changed.headers["ETag"]


def test_validation_errors_name_record_and_field(client: httpx.Client) -> None:
    response = client.post("Accounts", json={"FullName": "x" * 200, "Status": "Bogus"})
    assert response.status_code == 400
    error = response.json()["error"]
    targets = {d["target"] for d in error["details"]}
    assert {"FullName", "Status"} <= targets


def test_bad_requests_get_fitting_statuses(client: httpx.Client) -> None:
    bad_filter = client.get("Accounts", params={"$filter": "FullName eq"})
    assert bad_filter.status_code == 400
    assert "position" in bad_filter.json()["error"]["message"]
    assert client.get("Nothings").status_code == 404
    assert (
        client.post("Accounts", content=b"x=1", headers={"Content-Type": "text/plain"}).status_code
        == 415
    )
    assert (
        client.post(
            "Accounts", content=b"{nope", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert client.delete("Accounts").status_code == 405
    big = b'{"FullName": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    assert (
        client.post(
            "Accounts", content=big, headers={"Content-Type": "application/json"}
        ).status_code
        == 413
    )


def test_lookups_bind_by_key_and_expand(client: httpx.Client) -> None:
    parent = create(client, "Accounts", account("Parent Co", AccountId="BIND-1"))
    contact = {
        **ACCOUNT,
        "PartyType": "Person",
        "FullName": "Ann Bind",
        "IsPhoneContactAllowed": True,
        "PrimaryAccount@odata.bind": "Accounts(AccountId='BIND-1')",
    }
    created = create(client, "Contacts", contact)
    assert created["_PrimaryAccount_value"] == parent["RecordId"]
    expanded = client.get(
        f"Accounts({parent['RecordId']})", params={"$expand": "Contacts($select=FullName)"}
    ).json()
    assert [c["FullName"] for c in expanded["Contacts"]] == ["Ann Bind"]
    filtered = client.get("Contacts", params={"$filter": "PrimaryAccount/AccountId eq 'BIND-1'"})
    assert [c["FullName"] for c in filtered.json()["value"]] == ["Ann Bind"]


def test_deep_insert_of_header_and_lines(client: httpx.Client) -> None:
    customer = create(client, "Accounts", account("Deep Buyer"))
    product = create(
        client, "Products", {"Name": "Widget", "ProductType": "Item", "Status": "Active"}
    )
    order = {
        "Account@odata.bind": f"Accounts({customer['RecordId']})",
        "OrderDate": "2026-01-02T10:00:00Z",
        "Status": "Confirmed",
        "TotalAmount": 0,
        "TotalChargeAmount": 0,
        "TotalTaxAmount": 0,
        "SalesOrderLines": [
            {
                "Sequence": n,
                "Product@odata.bind": f"Products({product['RecordId']})",
                "DiscountAmount": 0,
            }
            for n in (1, 2)
        ],
    }
    created = create(client, "SalesOrders", order)
    lines = client.get(
        "SalesOrderLines", params={"$filter": f"_SalesOrder_value eq {created['RecordId']}"}
    ).json()["value"]
    assert [line["Sequence"] for line in lines] == [1, 2]


def test_paging_follows_next_links_without_gaps_or_repeats(client: httpx.Client) -> None:
    for n in range(7):
        create(client, "Accounts", account(f"Page {n % 3}", AccountId=f"PAGE-{n}"))
    url: str | None = "Accounts"
    params: dict[str, str] | None = {
        "$filter": "startswith(AccountId,'PAGE-')",
        "$orderby": "FullName desc",
        "$count": "true",
    }
    seen: list[str] = []
    first = True
    while url:
        page = client.get(url, params=params, headers={"Prefer": "odata.maxpagesize=3"}).json()
        if first:
            assert page["@odata.count"] == 7
            first = False
        seen += [r["AccountId"] for r in page["value"]]
        url, params = page.get("@odata.nextLink"), None
        if len(seen) == 3:
            create(client, "Accounts", account("Page 9", AccountId="PAGE-late"))
    assert sorted(seen) == sorted({*seen})
    assert {f"PAGE-{n}" for n in range(7)} <= set(seen)


def test_count_endpoint_and_top(client: httpx.Client) -> None:
    for n in range(3):
        create(client, "Accounts", account(f"Count {n}", AccountId=f"CNT-{n}"))
    count = client.get("Accounts/$count", params={"$filter": "startswith(AccountId,'CNT-')"})
    assert count.text == "3"
    top = client.get(
        "Accounts", params={"$filter": "startswith(AccountId,'CNT-')", "$top": "2"}
    ).json()
    assert len(top["value"]) == 2
    assert "@odata.nextLink" not in top


def test_change_tracking_with_delta_links(client: httpx.Client) -> None:
    create(client, "Products", {"Name": "Tracked A", "ProductType": "Item", "Status": "Active"})
    first = client.get("Products", headers={"Prefer": "odata.track-changes"})
    assert first.status_code == 200
    names = {p["Name"] for p in first.json()["value"]}
    assert "Tracked A" in names
    delta = first.json()["@odata.deltaLink"]
    assert "deltatoken=" in delta
    unchanged = client.get(delta).json()
    assert unchanged["value"] == []
    b = create(client, "Products", {"Name": "Tracked B", "ProductType": "Item", "Status": "Active"})
    a = client.get("Products", params={"$filter": "Name eq 'Tracked A'"}).json()["value"][0]
    assert client.delete(f"Products({a['RecordId']})").status_code == 204
    changes = client.get(unchanged["@odata.deltaLink"]).json()
    changed = [v for v in changes["value"] if "reason" not in v]
    deleted = [v for v in changes["value"] if v.get("reason") == "deleted"]
    assert [c["RecordId"] for c in changed] == [b["RecordId"]]
    assert [d["id"].rsplit("/", 1)[-1] for d in deleted] == [f"Products({a['RecordId']})"]
    refused = client.get(
        "Products", params={"$filter": "Name eq 'x'"}, headers={"Prefer": "odata.track-changes"}
    )
    assert refused.status_code == 400


def test_change_tracking_keeps_the_select_of_the_first_read(client: httpx.Client) -> None:
    create(client, "Products", {"Name": "Slim A", "ProductType": "Item", "Status": "Active"})
    first = client.get(
        "Products", params={"$select": "Name"}, headers={"Prefer": "odata.track-changes"}
    ).json()
    assert {frozenset(p) for p in first["value"]} == {
        frozenset({"@odata.etag", "RecordId", "VersionNumber", "Name"})
    }
    delta = first["@odata.deltaLink"]
    assert "%24select=Name" in delta
    create(client, "Products", {"Name": "Slim B", "ProductType": "Item", "Status": "Active"})
    (changed,) = client.get(delta).json()["value"]
    assert changed["Name"] == "Slim B"
    assert set(changed) == {"@odata.etag", "RecordId", "VersionNumber", "Name"}
    bad = client.get(
        "Products", params={"$select": "Nope"}, headers={"Prefer": "odata.track-changes"}
    )
    assert bad.status_code == 400


def test_apply_groups_and_counts_by_status(client: httpx.Client) -> None:
    for n, status in enumerate(["Active", "Active", "Inactive"]):
        create(client, "Accounts", account(f"Agg {n}", AccountId=f"AGG-{n}", Status=status))
    apply = "filter(startswith(AccountId,'AGG-'))/groupby((Status),aggregate($count as Count))"
    response = client.get("Accounts", params={"$apply": apply, "$orderby": "Count desc"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["@odata.context"].endswith("$metadata#Accounts(Status,Count)")
    assert body["value"] == [{"Status": "Active", "Count": 2}, {"Status": "Inactive", "Count": 1}]
    assert "@odata.nextLink" not in body
    only_filter = client.get("Accounts", params={"$apply": "filter(AccountId eq 'AGG-2')"})
    assert [a["FullName"] for a in only_filter.json()["value"]] == ["Agg 2"]
    refused = client.get("Accounts", params={"$apply": apply, "$count": "true"})
    assert refused.status_code == 400


def test_apply_sums_decimals_with_a_filter_and_nests_grouped_parts(client: httpx.Client) -> None:
    amounts = [("0.10", "Oslo"), ("0.20", "Oslo"), ("1234567.89", "Bergen")]
    for n, (amount, city) in enumerate(amounts):
        body = account(
            f"Sum {n}",
            AccountId=f"SUM-{n}",
            CreditLimitAmount={"Amount": amount},
            MailingPostalAddress={"City": city},
        )
        create(client, "Accounts", body)
    apply = (
        "filter(startswith(AccountId,'SUM-') and CreditLimitAmount/Amount lt 1000)"
        "/aggregate(CreditLimitAmount/Amount with sum as Total, $count as Count)"
    )
    body = client.get("Accounts", params={"$apply": apply}).json()
    assert body["value"] == [{"Total": 0.3, "Count": 2}]
    exact = client.get(
        "Accounts",
        params={"$apply": apply},
        headers={"Accept": "application/json;IEEE754Compatible=true"},
    ).json()
    assert exact["value"] == [{"Total": "0.300000", "Count": 2}]
    grouped = client.get(
        "Accounts",
        params={
            "$apply": "filter(startswith(AccountId,'SUM-'))/groupby((MailingPostalAddress/City,"
            "ParentAccount),aggregate(CreditLimitAmount/Amount with max as Most))",
            "$orderby": "MailingPostalAddress/City",
            "$top": "1",
        },
    ).json()
    assert grouped["@odata.context"].endswith(
        "#Accounts(MailingPostalAddress(City),_ParentAccount_value,Most)"
    )
    assert grouped["value"] == [
        {
            "MailingPostalAddress": {"City": "Bergen"},
            "_ParentAccount_value": None,
            "Most": 1234567.89,
        }
    ]


def test_instants_before_year_1000_round_trip(client: httpx.Client) -> None:
    """Regression (found by schemathesis): such instants were stored as '80-08-22 ...' on
    SQLite (strftime does not pad the year), and reading the record back answered 500."""
    early = {"SalesInvoiceId": "EARLY-1", "InvoiceDate": "0080-08-23T16:34:55.193+22:26"}
    created = create(client, "SalesInvoices", early)
    assert created["InvoiceDate"] == "0080-08-22T18:08:55.193000Z"
    found = client.get(
        "SalesInvoices",
        params={"$filter": "InvoiceDate lt 0100-01-01T00:00:00Z", "$select": "SalesInvoiceId"},
    )
    assert [r["SalesInvoiceId"] for r in found.json()["value"]] == ["EARLY-1"]


def test_numbers_beyond_64_bit_integers_round_trip(client: httpx.Client) -> None:
    """Regression (found by schemathesis): a whole number above 2**63 overflowed SQLite's
    INTEGER (500); it is stored as a double, exact to the 15 digits SQLite keeps."""
    conversion = {
        "FromUnitOfMeasure": "SquareMeter",
        "ToUnitOfMeasure": "Gallon",
        "FromToConversionRate": -7.96414866484535e25,
        "ToFromConversionRate": 1,
    }
    created = create(client, "UnitOfMeasureConversions", conversion)
    assert created["FromToConversionRate"] == -79641486648453500000000000
    again = client.get(f"UnitOfMeasureConversions({created['RecordId']})").json()
    assert again["FromToConversionRate"] == -79641486648453500000000000


def test_non_ascii_digits_in_tokens_and_headers_are_400(client: httpx.Client) -> None:
    """Regression (found by schemathesis): '¹' passes str.isdigit() but not int(), and a
    delta token, page size or ETag made of it answered 500."""
    rid = create(client, "Accounts", account("Digits Ltd"))["RecordId"]
    delta = client.get("Accounts", params={"$deltatoken": "¹"})
    assert delta.status_code == 400
    assert delta.json()["error"]["code"] == "InvalidDeltaToken"
    page = client.get("Accounts", headers={"Prefer": "odata.maxpagesize=¹".encode("latin-1")})
    assert page.status_code == 400
    tag = 'W/"¹"'.encode("latin-1")
    assert client.patch(f"Accounts({rid})", json={}, headers={"If-Match": tag}).status_code == 400
    assert client.get(f"Accounts({rid})", headers={"If-None-Match": tag}).status_code == 200
