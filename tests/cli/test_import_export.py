"""`commonground import` and `export`, run in-process with typer's CliRunner on a SQLite home."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner, Result

from commonground.cli import output
from commonground.cli.app import app, main, register
from commonground.errors import DefinitionError

HEADER = (
    "AccountId,FullName,PartyType,Source,Status,IsEmailContactAllowed,IsPhoneContactAllowed,"
    "MailingPostalAddress/City,MailingPostalAddress_PostalCode,Birthdate"
)
ROWS = [
    "ACC1,Contoso,Organization,Default,Active,true,false,Oslo,0150,1990-05-17",
    "ACC2,Fabrikam,Organization,Default,Inactive,yes,no,Lyon,,",
    "ACC3,Litware,Person,Default,Active,TRUE,FALSE,,,",
]
Cli = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run `commonground --home <tmp> ARGS` in-process, in an environment named Prod."""
    register()
    monkeypatch.setattr(output.console, "width", 200)  # no wrapped table cells
    monkeypatch.setattr(output.errors, "width", 200)
    runner = CliRunner()
    home = tmp_path / "home"

    def run(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, ["--home", str(home), *args])
        assert result.exit_code == code, (result.output, result.exception)
        return result

    run("env", "create", "Prod")
    return run


def write_csv(path: Path, lines: list[str], bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_args(path: Path, *more: str) -> list[str]:
    return ["import", str(path), "--env", "Prod", "--entity", "Account", *more]


def test_csv_import_then_export_round_trip(cli: Cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "accounts.csv", [HEADER, *ROWS], bom=True)
    first = cli(*import_args(source)).stdout
    assert "3 inserted, 0 updated, 0 unchanged, 0 failed" in first
    assert "upsert by AccountId" in first
    exported = tmp_path / "out.csv"
    shown = cli("export", "--env", "Prod", "--entity", "Account", "--output", str(exported))
    assert f"Exported 3 Account record(s) to {exported}" in shown.stdout
    text = exported.read_text(encoding="utf-8")
    assert "MailingPostalAddress/City" in text.splitlines()[0]
    assert "ACC1" in text
    assert "Organization" in text
    assert "1990-05-17" in text
    again = cli(*import_args(exported)).stdout
    assert "0 inserted, 0 updated, 3 unchanged, 0 failed" in again


def test_xlsx_import_and_export(cli: Cli, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["AccountId", "FullName", "PartyType", "Source", "Status"])
    sheet["F1"], sheet["G1"], sheet["H1"] = (
        "IsEmailContactAllowed",
        "IsPhoneContactAllowed",
        "EmployeeCount",
    )
    sheet.append(["ACC1", "Contoso", "Organization", "Default", "Active", True, False, 12])
    workbook.save(tmp_path / "in.xlsx")
    assert "1 inserted" in cli(*import_args(tmp_path / "in.xlsx")).stdout
    out = tmp_path / "out.xlsx"
    cli("export", "--env", "Prod", "--entity", "Account", "--format", "xlsx", "-o", str(out))
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["AccountId"], row["EmployeeCount"], row["IsEmailContactAllowed"]) == (
        "ACC1",
        12,
        True,
    )
    assert "1 unchanged" in cli(*import_args(out)).stdout


def test_columns_are_mapped_with_map(cli: Cli, tmp_path: Path) -> None:
    lines = [
        "Code,Company,Kind,Source,Status,Mail,Phone,Town,Note",
        *[r.rsplit(",", 1)[0] for r in ROWS],
    ]
    source = write_csv(tmp_path / "a.csv", lines)
    maps = ["Code=AccountId", "Company=FullName", "Kind=PartyType", "Mail=IsEmailContactAllowed"]
    maps += ["Phone=IsPhoneContactAllowed", "Town=MailingPostalAddress/City", "Note="]
    options = [part for m in maps for part in ("--map", m)]
    assert "3 inserted" in cli(*import_args(source, *options)).stdout


def test_unknown_columns_are_an_error_listing_them(cli: Cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "a.csv", [HEADER + ",Shoe,Hat", ROWS[0] + ",1,2"])
    result = cli(*import_args(source), code=1)
    assert isinstance(result.exception, DefinitionError)
    assert "not fields of Account: Shoe, Hat" in str(result.exception)


def test_one_bad_row_writes_nothing_and_is_reported_by_row_number(cli: Cli, tmp_path: Path) -> None:
    bad = "ACC9,Bad,Organization,Default,Active,true,false,Oslo,0150,1990-02-30"
    source = write_csv(tmp_path / "a.csv", [HEADER, *ROWS[:2], bad, ROWS[2]])
    result = cli(*import_args(source), code=4)
    assert "1 invalid row(s) in a.csv; nothing was written" in result.stderr
    line = next(x for x in result.stderr.splitlines() if "Birthdate" in x)
    assert "4" in line.split("│")[1]  # header is row 1, so the third data row is row 4
    assert "ACC9" in line
    export = tmp_path / "out.csv"
    cli("export", "--env", "Prod", "--entity", "Account", "-o", str(export))
    assert len(export.read_text(encoding="utf-8").splitlines()) == 1  # the header only


def test_skip_errors_loads_the_good_rows(cli: Cli, tmp_path: Path) -> None:
    bad = "ACC9,Bad,Organisation,Default,Active,true,false,,,"
    source = write_csv(tmp_path / "a.csv", [HEADER, ROWS[0], bad, ROWS[1]])
    result = cli(*import_args(source, "--skip-errors"))
    assert "2 inserted, 0 updated, 0 unchanged, 1 failed" in result.stdout
    assert "were skipped" in result.stderr
    assert "PartyType" in result.stderr


def test_new_entity_from_data(cli: Cli, tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "parts.csv",
        ["Sku,Name,In Stock,Qty,Price,Added", "P-1,Pen,yes,3,1.5,2024-01-02", "P-2,Ink,no,,2,"],
    )
    created = cli("import", str(source), "--env", "Prod", "--new-entity", "Part", "--key", "sku")
    assert "Created entity Part" in created.stdout
    assert "2 inserted" in created.stdout
    shown = cli("entity", "show", "Part", "--env", "Prod").stdout
    for line in ("Sku", "InStock", "Qty", "Price", "Added"):
        assert line in shown
    types = {
        row.split("│")[1].strip(): row.split("│")[2].strip()
        for row in shown.splitlines()
        if row.count("│") > 3
    }
    assert types["Sku"] == "Text (128)"
    assert types["InStock"] == "Boolean"
    assert types["Qty"] == "Integer"
    assert types["Price"] == "Number"
    assert types["Added"] == "Date"
    assert "Key Sku: Sku" in shown


def test_errors_map_to_exit_codes_through_main(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    with pytest.raises(SystemExit):
        main(["--home", home, "env", "create", "Prod"])
    source = write_csv(tmp_path / "a.csv", ["Shoe", "1"])
    with pytest.raises(SystemExit) as exited:
        main(["--home", home, *import_args(source)])
    assert exited.value.code == 4
    assert "Shoe" in capsys.readouterr().err
