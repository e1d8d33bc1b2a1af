"""Changing an entity in the browser: a field's properties and type, an alternate key picked
from the entity's fields, deleting a custom entity, the picklist list, and lookups chosen from
the target's records on the record form.

Each test makes its own entities through the API (`made`), so it stands on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from commonground.sdk import connect_remote
from commonground.sdk.remote import RemoteBackend
from commonground.sdk.remote import signed_in as api_session
from tests.admin.pages import ADMIN, ENV, NOBODY, PASSWORD, Site, shoot

Made = Callable[[dict[str, Any], list[dict[str, Any]]], str]


@pytest.fixture
def made(site: Site) -> Made:
    """A function making a custom entity with records; it returns the designer's URL."""

    def make(entity: dict[str, Any], records: list[dict[str, Any]]) -> str:
        with api_session(site.url, ADMIN, PASSWORD, None, None) as http:
            created = http.post(f"{site.url}/environments/{ENV}/metadata/entities", json=entity)
            assert created.status_code == 201, created.text
        if records:
            client = connect_remote(site.url, ENV, username=ADMIN, password=PASSWORD)
            try:
                client[entity["name"]].insert(records)
            finally:
                assert isinstance(client.backend, RemoteBackend)
                client.backend.close()
        return f"{site.url}/admin/environments/{ENV}/entities/{entity['name']}"

    return make


SPROCKET = {
    "name": "Sprocket",
    "fields": [
        {"name": "Label", "type": "Text", "max_length": 20},
        {"name": "Teeth", "type": "Integer"},
    ],
}


def test_a_field_change_is_refused_at_the_field_then_a_type_is_widened(
    signed_in: Callable[[str], Page], made: Made
) -> None:
    designer = made(SPROCKET, [{"Label": "long label", "Teeth": 12}, {"Label": "ab"}])
    page = signed_in(ADMIN)
    page.goto(designer)
    label = page.locator("#change-Label")
    label.get_by_text("Change Label").click()
    label.get_by_label("Max length").fill("4")
    label.get_by_label("Description").fill("what is printed on it")
    label.get_by_role("button", name="Change field").click()
    expect(label.get_by_role("alert")).to_contain_text("Sprocket.Label: record")
    expect(label.get_by_label("Max length")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#change-Teeth")).not_to_have_attribute("open", "")
    shoot(page, "field-change-refused")

    expect(label.get_by_label("Description")).to_have_value("what is printed on it")
    expect(label.get_by_label("Max length")).to_have_value("4")
    label.get_by_label("Max length").fill("10")
    label.get_by_label("Searchable").check()
    label.get_by_role("button", name="Change field").click()
    expect(page.get_by_role("status")).to_have_text("Changed the field Label.")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Label"))
    expect(row.get_by_role("cell").nth(2)).to_have_text("10")

    teeth = page.locator("#change-Teeth")
    teeth.get_by_text("Change Teeth").click()
    expect(teeth.get_by_label("Field type")).to_contain_text("Number")
    teeth.get_by_label("Default value").fill("many")
    teeth.get_by_role("button", name="Change field").click()
    expect(teeth.get_by_role("alert")).to_contain_text("default value: expected a whole number")
    teeth.get_by_label("Default value").fill("")
    teeth.get_by_label("Field type").select_option("Number")
    teeth.get_by_role("button", name="Change field").click()
    expect(page.get_by_role("status")).to_have_text("Changed the field Teeth.")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Teeth"))
    expect(row.get_by_role("cell").first).to_have_text("Number")
    shoot(page, "field-changed")


def test_a_key_is_picked_from_the_fields_and_a_custom_entity_is_deleted(
    signed_in: Callable[[str], Page], made: Made, site: Site
) -> None:
    designer = made({**SPROCKET, "name": "Cog"}, [{"Label": "c1", "Teeth": 1}])
    page = signed_in(ADMIN)
    page.goto(designer)
    page.get_by_role("button", name="Add key").click()  # the browser wants a key name first
    page.get_by_label("Key name").fill("ByLabelTeeth")
    fields = page.get_by_role("group", name="Key fields")
    fields.get_by_label("Label", exact=True).check()
    fields.get_by_label("Teeth", exact=True).check()
    shoot(page, "key-fields")
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_role("status")).to_have_text("Added the key.")
    expect(page.get_by_text("ByLabelTeeth: Label, Teeth")).to_be_visible()

    page.get_by_label("Key name").fill("Nothing")
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_role("alert")).to_have_text("key: tick at least one field")

    delete = page.get_by_role("button", name="Delete entity")
    page.evaluate("document.querySelector('input[name=confirm]').required = false")
    delete.click()  # unticked: refused by the server too, as without JavaScript
    expect(page.get_by_role("alert")).to_contain_text("tick the box")
    page.get_by_label("Yes, delete Cog and all its records").check()
    shoot(page, "entity-delete")
    page.get_by_role("button", name="Delete entity").click()
    expect(page.get_by_role("status")).to_have_text("Deleted entity Cog.")
    expect(page.get_by_role("rowheader", name="Cog", exact=True)).to_have_count(0)
    response = page.goto(designer)
    assert response is not None
    assert response.status == 404

    page.goto(f"{site.url}/admin/environments/{ENV}/entities/Account")
    expect(page.get_by_role("button", name="Delete entity")).to_have_count(0)
    expect(page.locator("summary").filter(has_text="Change ")).to_have_count(
        0
    )  # no custom fields to change yet
    page.get_by_label("Field name").fill("Loyalty")
    page.get_by_role("button", name="Add field").click()
    loyalty = page.locator("#change-Loyalty")
    loyalty.get_by_text("Change Loyalty").click()
    loyalty.get_by_label("Display name").fill("Loyalty level")
    loyalty.get_by_label("Max length").fill("30")
    loyalty.get_by_role("button", name="Change field").click()
    expect(page.get_by_role("status")).to_have_text("Changed the field Loyalty.")
    expect(page.locator("summary").filter(has_text="Change ")).to_have_text(["Change Loyalty"])
    loyalty_row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Loyalty"))
    expect(loyalty_row.get_by_role("cell").nth(2)).to_have_text("30")


def test_picklists_are_listed_and_linked_from_picklist_fields(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/environments/{ENV}/entities")
    page.get_by_role("link", name="Picklists").click()
    status = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="AccountStatus", exact=True)
    )
    expect(status.get_by_role("cell").first).to_have_text("standard")
    shoot(page, "picklists")
    page.goto(f"{site.url}/admin/environments/{ENV}/entities/Account")
    page.get_by_role("link", name="AccountStatus").click()
    expect(page).to_have_url(
        f"{site.url}/admin/environments/{ENV}/picklists#picklist-AccountStatus"
    )


def test_a_lookup_is_picked_from_the_target_records(
    signed_in: Callable[[str], Page], made: Made, site: Site
) -> None:
    made({"name": "Plant", "fields": []}, [{"Title": "North plant"}, {"Title": "South plant"}])
    made({"name": "Part", "fields": []}, [{"Title": f"P{n}"} for n in range(201)])
    made(
        {
            "name": "Machine",
            "fields": [
                {"name": "Plant", "type": "Lookup", "target": "Plant"},
                {"name": "Part", "type": "Lookup", "target": "Part"},
            ],
        },
        [],
    )
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/environments/{ENV}/data/Machine/new")
    page.get_by_label("Title").fill("Press")
    plant = page.get_by_label("Plant", exact=True)
    expect(plant.locator("option")).to_have_text(["(none)", "North plant", "South plant"])
    plant.select_option(label="South plant")
    part = page.get_by_label("Part", exact=True)
    expect(part).to_have_attribute("type", "number")
    expect(page.get_by_role("link", name="Browse the Part records")).to_be_visible()
    shoot(page, "record-lookup-choice")
    page.get_by_role("button", name="Create record").click()
    expect(page.get_by_role("status")).to_have_text("Created the record.")
    expect(page.get_by_label("Plant", exact=True)).to_have_value("2")
    expect(page.get_by_role("link", name="Open Plant record 2")).to_be_visible()


def test_nobody_sees_no_change_forms(
    signed_in: Callable[[str], Page], made: Made, site: Site
) -> None:
    designer = made({**SPROCKET, "name": "Gear"}, [])
    page = signed_in(NOBODY)
    page.goto(designer)
    expect(page.get_by_role("heading", name="Gear (custom entity)")).to_be_visible()
    expect(page.locator("summary").filter(has_text="Change ")).to_have_count(0)
    expect(page.get_by_text("Key fields")).to_have_count(0)
    expect(page.get_by_label("Yes, delete Gear and all its records")).to_have_count(0)
    expect(page.get_by_role("button")).to_have_text(["Sign out"])
    page.goto(f"{site.url}/admin/environments/{ENV}/picklists")
    expect(page.get_by_role("rowheader", name="AccountStatus", exact=True)).to_be_visible()
    expect(page.get_by_role("button")).to_have_text(["Sign out"])
    response = page.goto(f"{site.url}/admin/environments/{ENV}/data/Gear/new")
    assert response is not None
    assert response.status == 403
    page.goto(designer)
    token = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    for action, form in [
        ("fields/Label", {"type": "Text", "max_length": "5"}),
        ("keys", {"key": "ByLabel", "key_field:Label": "yes"}),
        ("delete", {"confirm": "yes"}),
    ]:
        response = page.request.post(f"{designer}/{action}", form={"csrf": token, **form})
        assert response.status == 403, (action, response.status)
        assert "missing" in response.text(), response.text()


def test_field_groups_are_chosen_and_lay_out_the_records(
    signed_in: Callable[[str], Page], made: Made, site: Site
) -> None:
    designer = made({**SPROCKET, "name": "Wheel"}, [{"Label": "w1", "Teeth": 12}])
    page = signed_in(ADMIN)
    page.goto(designer)
    page.get_by_text("Choose the fields of DefaultList").click()
    group = page.get_by_role(
        "group", name="Fields of DefaultList (in this order; none removes the group)"
    )
    group.get_by_label("Teeth", exact=True).check()
    group.get_by_label("Label", exact=True).check()
    shoot(page, "field-groups")
    page.get_by_role("button", name="Save DefaultList").click()
    expect(page.get_by_role("status")).to_have_text("Saved the field group DefaultList.")
    expect(page.get_by_text("DefaultList: Label, Teeth")).to_be_visible()
    page.goto(f"{site.url}/admin/environments/{ENV}/data/Wheel")
    headers = page.get_by_role("columnheader")
    expect(headers.filter(has_text="Label")).to_have_count(1)
    expect(headers.filter(has_text="Teeth")).to_have_count(1)
