"""Tabular files, column mapping, all-or-nothing imports and exports that import back unchanged."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from commonground.errors import DefinitionError, NotFoundError
from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID
from commonground.model.field import Field
from commonground.model.types import FieldType
from commonground.query.plan import Query
from commonground.service.columns import choose_matching, plan_columns
from commonground.service.environment import Environment
from commonground.service.tabular import cell_text, cell_value, open_sheet
from commonground.service.transfer import (
    ExportFormat,
    ImportRejectedError,
    export_entity,
    import_new_entity,
    import_sheet,
)
from tests.fixtures.records import account, add_gadget

ACCOUNT_HEADER = (
    "AccountId,FullName,PartyType,Source,Status,IsEmailContactAllowed,IsPhoneContactAllowed"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def accounts_csv(path: Path, rows: list[str]) -> Path:
    return write(path, "\n".join([ACCOUNT_HEADER, *rows]) + "\n")


def good(n: int) -> str:
    return f"ACC{n},Account {n},Organization,Default,Active,true,false"


def count(env: Environment, entity: str) -> int:
    return env.count(Query(entity))


# -- files ------------------------------------------------------------------------------------


def test_cell_text_and_cell_value() -> None:
    assert cell_text(None) == ""
    assert cell_text(3.0) == "3"
    assert cell_text(0.25) == "0.25"
    assert cell_text(True) == "true"
    assert cell_text(Decimal("12.500000")) == "12.5"
    assert cell_text(Decimal("100.000000")) == "100"
    assert cell_text(date(2024, 1, 2)) == "2024-01-02"
    text = Field(name="Zip", type=FieldType.TEXT)
    number = Field(name="Count", type=FieldType.INTEGER)
    assert cell_value(text, "") is None
    assert cell_value(text, 12345.0) == "12345"
    assert cell_value(number, 3.0) == 3.0
    assert cell_value(number, "7") == "7"


def test_csv_with_byte_order_mark_numbers_rows_like_a_spreadsheet(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "\ufeffName,City\nA,Oslo\n\nB\n", encoding="utf-8")
    sheet = open_sheet(path)
    assert sheet.header == ["Name", "City"]
    assert list(sheet.rows()) == [(2, ["A", "Oslo"]), (4, ["B", ""])]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name,name\nA,B\n", "appears twice"),
        ("Name\nA,B\n", "row 2 has 2 values"),
        ("Name,\nA,B\n", "column 2 has a value but no header"),
        ("", "empty"),
    ],
)
def test_malformed_csv_is_a_definition_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        list(open_sheet(write(tmp_path / "bad.csv", text)).rows())


def test_workbook_keeps_cell_types_and_row_numbers(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (["Name", "Count", "Day"], ["A", 3, date(2024, 1, 2)], [], ["B", 1.5, None]):
        sheet.append(row)
    workbook.save(tmp_path / "book.xlsx")
    opened = open_sheet(tmp_path / "book.xlsx")
    assert opened.header == ["Name", "Count", "Day"]
    assert list(opened.rows()) == [(2, ["A", 3.0, date(2024, 1, 2)]), (4, ["B", 1.5, ""])]


def test_unsupported_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="unsupported"):
        open_sheet(write(tmp_path / "a.json", "{}"))
    with pytest.raises(DefinitionError, match="no such file"):
        open_sheet(tmp_path / "missing.csv")


# -- mapping ----------------------------------------------------------------------------------


def test_columns_map_by_name_part_and_option(standard: DataModel) -> None:
    entity = standard.entity("Account")
    header = [
        "fullname",
        "MailingPostalAddress/City",
        "mailingpostaladdress_postalcode",
        "Town",
        "",
    ]
    plan = plan_columns(entity, header, {"Town": "OtherPostalAddress/City"})
    assert [(p, t.label) for p, t in plan.targets] == [
        (0, "FullName"),
        (1, "MailingPostalAddress/City"),
        (2, "MailingPostalAddress/PostalCode"),
        (3, "OtherPostalAddress/City"),
    ]
    assert plan.record(["X", "Oslo", "", "Lyon", ""]) == {
        "FullName": "X",
        "MailingPostalAddress": {"City": "Oslo", "PostalCode": None},
        "OtherPostalAddress": {"City": "Lyon"},
    }


def test_mapping_problems_are_reported_together(standard: DataModel) -> None:
    entity = standard.entity("Account")
    header = ["FullName", "Shoe", "Hat", "CreatedOnDateTime", "Name", "Skip"]
    with pytest.raises(DefinitionError) as caught:
        plan_columns(entity, header, {"Name": "fullname", "Gone": "FullName", "Skip": ""})
    message = str(caught.value)
    assert "not fields of Account: Shoe, Hat" in message
    assert "read-only system fields: CreatedOnDateTime" in message
    assert "'FullName' and 'Name' both fill FullName" in message
    assert "does not have: gone" in message


def test_matching_prefers_given_key_then_record_id_then_primary_key(standard: DataModel) -> None:
    entity = standard.entity("Account")

    def matching(header: list[str], key: str | None = None) -> tuple[str, ...] | None:
        return choose_matching(entity, plan_columns(entity, header, {}), key).key

    assert matching(["AccountId", "FullName"]) == ("AccountId",)
    assert matching(["FullName"]) is None
    assert matching(["RecordId", "AccountId"]) == (RECORD_ID,)
    assert matching(["RecordId", "AccountId"], "accountid") == ("AccountId",)
    with pytest.raises(DefinitionError, match="no column for AccountId"):
        matching(["FullName"], "AccountId")
    with pytest.raises(NotFoundError):
        matching(["FullName"], "FullName")


# -- imports ----------------------------------------------------------------------------------


def test_one_bad_row_anywhere_writes_nothing_and_every_bad_row_is_reported(
    env: Environment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMONGROUND_BATCH_SIZE", "2")  # bad rows in the first and last batch
    rows = [good(1), "ACC2,B,Organisation,Default,Active,true,false", good(3), good(4)]
    rows.append("ACC5,E,Organization,Default,Active,maybe,false")
    path = accounts_csv(tmp_path / "a.csv", rows)
    with pytest.raises(ImportRejectedError) as caught:
        import_sheet(env, "Account", open_sheet(path))
    errors = caught.value.errors
    assert [(e.index, e.field) for e in errors] == [(3, "PartyType"), (6, "IsEmailContactAllowed")]
    assert errors[0].record_key == "AccountId='ACC2'"
    assert caught.value.result.failed == 2
    assert count(env, "Account") == 0


def test_skip_errors_writes_the_good_rows(env: Environment, tmp_path: Path) -> None:
    path = accounts_csv(
        tmp_path / "a.csv", [good(1), "ACC2,,Organization,Default,Active,,", good(3)]
    )
    result = import_sheet(env, "Account", open_sheet(path), skip_errors=True)
    assert (result.rows, result.inserted, result.failed) == (3, 2, 1)
    assert {e.index for e in result.errors} == {3}
    assert count(env, "Account") == 2


def test_upsert_by_primary_key_and_generated_keys_for_rows_without_one(
    env: Environment, tmp_path: Path
) -> None:
    path = accounts_csv(tmp_path / "a.csv", [good(1), ",New,Organization,Default,Active,yes,no"])
    first = import_sheet(env, "Account", open_sheet(path))
    assert (first.matching, first.inserted) == ("upsert by AccountId", 2)
    changed = accounts_csv(tmp_path / "b.csv", ["ACC1,Renamed,Organization,Default,Active,1,0"])
    again = import_sheet(env, "Account", open_sheet(changed))
    assert (again.inserted, again.updated) == (0, 1)
    names = {r["AccountId"]: r["FullName"] for r in env.query(Query("Account"))}
    assert names["ACC1"] == "Renamed"
    assert names["ACC000001"] == "New"


def test_rows_without_key_columns_are_created(env: Environment, tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Name,ProductType,Status\nPen,Item,Active\nInk,Item,Active\n")
    result = import_sheet(env, "Product", open_sheet(path))
    assert (result.matching, result.inserted) == ("create", 2)


# -- exports ----------------------------------------------------------------------------------


@pytest.fixture
def gadgets(env: Environment) -> Environment:
    """Gadgets with every field type filled in, and one with nothing but its code."""
    add_gadget(env)
    owner = env.create("Account", [account("Owner")]).record_ids[0]
    env.create(
        "Gadget",
        [
            {
                "Code": "G1",
                "Notes": 'two\nlines, "quoted"',
                "Weight": Decimal("1.250"),
                "Count": -3,
                "Active": True,
                "Price": {"Amount": 9.99, "CurrencyCode": "EUR"},
                "Made": date(2024, 2, 29),
                "Seen": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                "Email": "a@example.com",
                "Phone": "+47 123",
                "Site": "https://example.com/x?y=1",
                "Serial": uuid.UUID(int=7),
                "Owner": owner,
                "Colour": "Green",
                "Stock": 12,
                "Address": {"City": "Oslo", "PostalCode": "0150"},
                "Inventor": {"GivenName": "Ada", "FamilyName": "Lovelace"},
                "Picture": "https://example.com/p.png",
            },
            {"Code": "G2"},
        ],
    )
    return env


@pytest.mark.parametrize("file_format", list(ExportFormat))
def test_export_imports_back_unchanged(
    gadgets: Environment, tmp_path: Path, file_format: ExportFormat
) -> None:
    path = tmp_path / f"gadgets.{file_format.value}"
    assert export_entity(gadgets, "Gadget", path, file_format) == 2
    again = import_sheet(gadgets, "Gadget", open_sheet(path))
    assert (again.matching, again.unchanged, again.inserted, again.updated) == (
        "upsert by Code",
        2,
        0,
        0,
    )


def test_csv_export_flattens_compounds_and_names_picklist_items(
    gadgets: Environment, tmp_path: Path
) -> None:
    path = tmp_path / "g.csv"
    export_entity(gadgets, "Gadget", path, ExportFormat.CSV)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first = rows[0]
    assert first["Address/City"] == "Oslo"
    assert first["Price/CurrencyCode"] == "EUR"
    assert first["Price/Amount"] == "9.99"
    assert first["Colour"] == "Green"
    assert first["Made"] == "2024-02-29"
    assert first["Seen"] == "2024-01-02T03:04:05+00:00"
    assert first["Active"] == "true"
    assert first["Number"] == "G-0001"
    assert rows[1]["Active"] == ""
    assert not list(tmp_path.glob("*.partial"))


def test_xlsx_export_holds_typed_cells(gadgets: Environment, tmp_path: Path) -> None:
    path = tmp_path / "g.xlsx"
    export_entity(gadgets, "Gadget", path, ExportFormat.XLSX)
    workbook = load_workbook(path, read_only=True)  # read-only keeps the file open: close it
    try:
        header, first, *_ = list(workbook["Gadget"].iter_rows(values_only=True))
    finally:
        workbook.close()
    row = dict(zip(header, first, strict=True))
    assert row["Count"] == -3
    assert row["Active"] is True
    assert row["Seen"] == datetime(2024, 1, 2, 3, 4, 5)


# -- new entity from data ---------------------------------------------------------------------


def test_new_entity_is_inferred_then_loaded(env: Environment, tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "Sku,Name,Price,Added\nA-1,Pen,1.5,2024-01-02\nA-2,Ink,2,\n")
    entity, result = import_new_entity(env, "Part", open_sheet(path), key="sku")
    assert entity.primary_name == "Name"
    assert entity.keys == {"Sku": ("Sku",)}
    assert result.inserted == 2
    stored = env.get_by_key("Part", {"Sku": "A-1"})
    assert (stored["Price"], stored["Added"]) == (Decimal("1.5"), date(2024, 1, 2))


def test_new_entity_is_dropped_when_its_rows_are_rejected(env: Environment, tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "Sku,Qty\nA,1\nA,2\n,3\n")
    with pytest.raises(ImportRejectedError) as caught:
        import_new_entity(env, "Part", open_sheet(path), key="Sku")
    assert sorted(e.index for e in caught.value.errors) == [3, 4]
    assert not env.model.has_entity("Part")
