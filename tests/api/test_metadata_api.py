"""Metadata over HTTP: custom entities, fields, keys and picklists, used at once by OData."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.serving import auth_as_tester


@pytest.fixture(scope="module")
def meta(server: str) -> Iterator[httpx.Client]:
    root = server.split("/api/data/v1/")[0] + "/metadata"
    with httpx.Client(base_url=root, timeout=30, auth=auth_as_tester(server)) as http:
        yield http


def test_read_the_model(meta: httpx.Client) -> None:
    model = meta.get("").json()
    names = {e["name"] for e in model["entities"]}
    assert {"Account", "SalesOrderLine"} <= names
    assert any(p["name"] == "CurrencyCode" for p in model["picklists"])
    account = meta.get("/entities/Account").json()
    assert account["keys"] == {"AccountId": ["AccountId"]}
    assert meta.get("/entities/Nope").status_code == 404


def test_custom_entity_lifecycle_over_http(meta: httpx.Client, client: httpx.Client) -> None:
    colours = {"name": "GizmoColour", "items": ["Red", "Green"]}
    assert meta.post("/picklists", json=colours).status_code == 201
    assert meta.post("/picklists", json=colours).status_code == 409
    gizmo = {
        "name": "Gizmo",
        "fields": {
            "Code": {"type": "Text", "max_length": 10, "required": True},
            "Colour": {"type": "Picklist", "picklist": "GizmoColour"},
        },
    }
    created = meta.post("/entities", json=gizmo)
    assert created.status_code == 201, created.text
    assert created.json()["primary_name"] == "Title"
    row = {"Code": "G-1", "Colour": "Red", "Title": "First"}
    assert client.post("Gizmos", json=row).status_code == 201
    weight = meta.post("/entities/Gizmo/fields", json={"name": "Weight", "type": "Integer"})
    assert weight.status_code == 201
    assert client.patch("Gizmos(1)", json={"Weight": 5}).status_code == 204
    widened = meta.patch("/entities/Gizmo/fields/Weight", json={"type": "Number", "decimals": 2})
    assert widened.status_code == 200, widened.text
    assert client.get("Gizmos(1)").json()["Weight"] == 5
    key = meta.post("/entities/Gizmo/keys", json={"name": "Code", "fields": ["Code"]})
    assert key.status_code == 201, key.text
    assert client.get("Gizmos(Code='G-1')").json()["Title"] == "First"


def test_bad_definitions_get_400_with_the_place(meta: httpx.Client) -> None:
    bad = meta.post(
        "/entities", json={"name": "Bad", "fields": {"Size": {"type": "Text", "max_length": 900}}}
    )
    assert bad.status_code == 400
    assert "max_length 900" in bad.json()["error"]["message"]
    spaced = meta.post("/entities", json={"name": "Two words"})
    assert spaced.status_code == 400
    assert "must be a letter" in spaced.json()["error"]["message"]
    narrow = meta.post(
        "/entities/Account/fields", json={"name": "Must", "type": "Text", "required": True}
    )
    assert narrow.status_code == 400
