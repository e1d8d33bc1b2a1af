"""Entity and data pages in the browser: the designer, the data browser, the record form,
import with a column mapping and a row report, export, and what a user without rights sees.

The data pages work on `Widget`, a custom entity with 30 records made once for the module
through the API (so each test stands on its own); the designer test builds `Gadget` itself.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from commonground.sdk import connect_remote
from commonground.sdk.remote import RemoteBackend
from commonground.sdk.remote import signed_in as api_session
from commonground.service.tabular import write_xlsx
from tests.admin.pages import ADMIN, ENV, NOBODY, PASSWORD, Site, shoot

WIDGETS = 30
WIDGET = {
    "name": "Widget",
    "description": "things we make",
    "fields": [
        {"name": "Code", "type": "Text", "max_length": 20, "required": True},
        {"name": "Quantity", "type": "Integer"},
        {"name": "Active", "type": "Boolean"},
        {"name": "Released", "type": "Date"},
        {"name": "Maker", "type": "Lookup", "target": "Account"},
    ],
    "keys": {"ByCode": ["Code"]},
    "field_groups": {
        "DefaultList": ["Code", "Quantity", "Active", "Released"],
        "DefaultDetails": ["Code", "Quantity", "Active"],
    },
}


@pytest.fixture(scope="module")
def widgets(site: Site) -> str:
    """Entity Widget with records W01..W30 (Quantity = the number)."""
    with api_session(site.url, ADMIN, PASSWORD, None, None) as http:
        created = http.post(f"{site.url}/environments/{ENV}/metadata/entities", json=WIDGET)
        assert created.status_code == 201, created.text
    client = connect_remote(site.url, ENV, username=ADMIN, password=PASSWORD)
    records = [
        {"Code": f"W{n:02}", "Quantity": n, "Active": n % 2 == 0, "Released": "2026-01-15"}
        for n in range(1, WIDGETS + 1)
    ]
    try:
        client["Widget"].insert(records)
    finally:
        assert isinstance(client.backend, RemoteBackend)
        client.backend.close()
    return f"{site.url}/admin/environments/{ENV}/data/Widget"


def test_an_admin_designs_a_custom_entity(signed_in: Callable[[str], Page], site: Site) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/environments/{ENV}/entities")
    expect(page.get_by_role("rowheader", name="Account", exact=True)).to_be_visible()
    page.get_by_label("Entity name").fill("Gadget")
    page.get_by_label("Description").fill("small useful things")
    page.get_by_role("button", name="Create entity").click()
    expect(page.get_by_role("status")).to_have_text("Created entity Gadget.")
    expect(page.get_by_role("heading", name="Gadget (custom entity)")).to_be_visible()

    page.get_by_label("Picklist name").fill("GadgetColor")
    page.get_by_label("Items (one per line)").fill("Red\nGreen\nBlue")
    page.get_by_role("button", name="Create picklist").click()
    expect(page.get_by_role("status")).to_have_text("Created the picklist.")
    for name, kind, extra in [
        ("Code", "Text", {"Max length (text types)": "12"}),
        ("Color", "Picklist", {"Picklist (Picklist fields)": "GadgetColor"}),
        ("Maker", "Lookup", {"Target entity (Lookup fields)": "Account"}),
    ]:
        page.get_by_label("Field name").fill(name)
        page.get_by_label("Type", exact=True).select_option(kind)
        for label, value in extra.items():
            field = page.get_by_label(label)
            if label.startswith("Max"):
                field.fill(value)
            else:
                field.select_option(value)
        page.get_by_role("button", name="Add field").click()
        expect(page.get_by_role("status")).to_have_text("Added the field.")
    page.get_by_label("Key name").fill("ByCode")
    page.get_by_role("group", name="Key fields").get_by_label("Code", exact=True).check()
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_role("status")).to_have_text("Added the key.")

    code = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Code"))
    expect(code.get_by_role("cell")).to_have_text(["Text", "no", "12", "", ""])
    color = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Color"))
    expect(color.get_by_role("cell").nth(3)).to_have_text("GadgetColor")
    expect(page.get_by_text("ByCode: Code")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Gadget.Maker")).to_be_visible()
    shoot(page, "entity-designer")

    page.get_by_label("Field name").fill("Code")
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_role("alert")).to_contain_text("Field 'Code' already exists in Gadget")

    page.get_by_role("link", name=ENV).click()
    page.get_by_label("Show").select_option("custom")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("rowheader", name="Gadget")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Account", exact=True)).to_have_count(0)
    shoot(page, "entities")


def test_records_are_browsed_filtered_sorted_and_paged(
    signed_in: Callable[[str], Page], widgets: str
) -> None:
    page = signed_in(ADMIN)
    page.goto(widgets)
    body = page.locator("tbody tr")
    expect(body).to_have_count(25)
    expect(page.get_by_role("columnheader", name="Quantity")).to_be_visible()
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_role("link", name="Previous page")).to_be_visible()
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)

    page.get_by_label("Filter (OData $filter)").fill("Quantity gt 20 and startswith(Code,'W')")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.locator("#record-count")).to_contain_text("10 records match the filter")
    expect(body).to_have_count(10)
    page.get_by_role("link", name="Quantity").click()
    page.get_by_role("link", name="Quantity ↑").click()
    expect(page.get_by_role("columnheader", name="Quantity ↓")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(body.first.get_by_role("cell").first).to_have_text("W30")
    shoot(page, "records")

    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "records-phone")

    page.get_by_label("Filter (OData $filter)").fill("Quantity gt")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.get_by_role("alert")).to_contain_text("$filter: expected an expression")
    page.get_by_label("Filter (OData $filter)").fill("Code gt 5")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.get_by_role("alert")).to_contain_text("Code: expected text")


def test_a_record_is_created_with_a_message_at_the_field_then_edited_and_deleted(
    signed_in: Callable[[str], Page], widgets: str
) -> None:
    page = signed_in(ADMIN)
    page.goto(widgets)
    page.get_by_role("link", name="New record").click()
    expect(page.get_by_role("group", name="Details")).to_be_visible()
    page.get_by_label("Code").fill("NEW-1")
    page.get_by_label("Quantity").fill("99999999999")
    page.get_by_label("Active").check()
    page.get_by_role("button", name="Create record").click()
    quantity = page.get_by_label("Quantity")
    expect(quantity).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-Quantity-error")).to_contain_text("outside the range")
    expect(page.get_by_label("Code")).to_have_value("NEW-1")
    shoot(page, "record-invalid")

    quantity.fill("7")
    page.get_by_role("button", name="Create record").click()
    expect(page.get_by_role("status")).to_have_text("Created the record.")
    expect(page.get_by_label("Active")).to_be_checked()
    page.get_by_label("Quantity").fill("8")
    page.get_by_label("Released").fill("2026-03-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved the record.")
    expect(page.get_by_label("Quantity")).to_have_value("8")
    expect(page.get_by_label("Released")).to_have_value("2026-03-01")
    shoot(page, "record")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "record-phone")

    page.get_by_label("Yes, delete this Widget record").check()
    page.get_by_role("button", name="Delete record").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted record")


def test_a_csv_import_maps_columns_and_reports_the_bad_row(
    signed_in: Callable[[str], Page], widgets: str, tmp_path: Path
) -> None:
    upload = tmp_path / "widgets.csv"
    with upload.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [
                ["Code", "Qty", "Note"],
                ["IMP-1", "1", "x"],
                ["IMP-2", "lots", "y"],
                ["IMP-3", "3", ""],
            ]
        )
    page = signed_in(ADMIN)
    page.goto(widgets)
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_label("Code")).to_have_value("Code")
    expect(page.get_by_label("Qty")).to_have_value("")
    page.get_by_label("Qty").select_option("Quantity")
    shoot(page, "import-mapping")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_have_text("Nothing was imported: the file has bad rows.")
    error = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="3"))
    expect(error.get_by_role("cell")).to_have_text(
        ["Quantity", "expected a whole number, got 'lots'"]
    )
    shoot(page, "import-report")

    page.get_by_role("link", name="Import another file").click()
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()
    page.get_by_label("Qty").select_option("Quantity")
    page.get_by_label("Skip bad rows").check()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("2 created")
    expect(page.get_by_role("status")).to_contain_text("1 rejected")


def test_an_excel_file_imports_with_the_automatic_mapping(
    signed_in: Callable[[str], Page], widgets: str, tmp_path: Path
) -> None:
    upload = tmp_path / "widgets.xlsx"
    write_xlsx(upload, "Widgets", ["Code", "Quantity"], [["XL-1", 11], ["XL-2", 12]])
    page = signed_in(ADMIN)
    page.goto(f"{widgets}/import")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_label("Quantity")).to_have_value("Quantity")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("2 created")
    page.goto(f"{widgets}?filter=startswith(Code,'XL-')")
    expect(page.locator("#record-count")).to_contain_text("2 records")


def test_records_are_exported_as_csv_and_excel(
    signed_in: Callable[[str], Page], widgets: str
) -> None:
    page = signed_in(ADMIN)
    page.goto(widgets)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "Widget.csv"
    rows = list(
        csv.reader(Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines())
    )
    assert rows[0][:3] == ["Title", "Code", "Quantity"]
    assert {"W01", "W30"} <= {row[1] for row in rows[1:]}
    with page.expect_download() as workbook:
        page.get_by_role("link", name="Export Excel").click()
    assert workbook.value.suggested_filename == "Widget.xlsx"
    assert Path(workbook.value.path()).read_bytes()[:2] == b"PK"


def test_a_user_without_rights_sees_no_data_and_no_buttons(
    signed_in: Callable[[str], Page], widgets: str, site: Site
) -> None:
    page = signed_in(NOBODY)
    page.goto(f"{site.url}/admin/environments/{ENV}/entities")
    expect(page.get_by_role("button", name="Create entity")).to_have_count(0)
    widget = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Widget"))
    expect(widget.get_by_text("no access")).to_be_visible()
    page.get_by_role("link", name="Widget").click()
    for button in ("Add field", "Change field", "Add key", "Delete entity"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)
    expect(page.get_by_text("Change Code")).to_have_count(0)
    response = page.goto(widgets)
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("missing privilege: Read on Widget")
    expect(page.get_by_role("link", name="New record")).to_have_count(0)
    shoot(page, "records-forbidden")
    for refused in (f"{widgets}/new", f"{widgets}/1", f"{widgets}/import"):
        response = page.goto(refused)
        assert response is not None
        assert response.status == 403
    expect(page.get_by_role("button")).to_have_text(["Sign out"])
