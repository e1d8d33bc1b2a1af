"""The files connector over real files of all four formats in a temporary folder."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from commonground.integration.connectors.files import FilesConnector, FilesSettings
from commonground.integration.contracts import (
    Batch,
    Connector,
    ConnectorError,
    FilterError,
    ReadRequest,
    RecordStatus,
    SchemaError,
    ValueKind,
    WriteMode,
)
from commonground.integration.registry import open_connector

FORMATS = ["csv", "xlsx", "parquet", "jsonl"]
ROWS: list[dict[str, Any]] = [
    {"Code": "A1", "Name": "Anvil", "Qty": 3, "Price": Decimal("9.5"), "Day": date(2024, 1, 2)},
    {"Code": "B2", "Name": "Bolt", "Qty": 10, "Price": Decimal("0.25"), "Day": date(2024, 1, 3)},
    {"Code": "C3", "Name": "Crate", "Qty": 1, "Price": Decimal("12"), "Day": date(2024, 1, 3)},
]


def write_file(folder: Path, stem: str, fmt: str, rows: list[dict[str, Any]]) -> Path:
    """A file of one format holding the rows (the way another program would write it)."""
    path = folder / f"{stem}.{fmt}"
    header = list(rows[0])
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([[_text(r[h]) for h in header] for r in rows])
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows))
    elif fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for r in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in r.values()])
        book.save(path)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@pytest.fixture
def connect() -> Iterator[Callable[..., FilesConnector]]:
    """Opens connectors on folders, and closes them after the test."""
    opened: list[FilesConnector] = []

    def open_folder(folder: Path, **settings: Any) -> FilesConnector:
        opened.append(FilesConnector(FilesSettings(folder=str(folder), **settings)))
        return opened[-1]

    yield open_folder
    for connector in opened:
        connector.close()


@pytest.fixture(params=FORMATS)
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def items(tmp_path: Path, fmt: str, connect: Callable[..., FilesConnector]) -> FilesConnector:
    write_file(tmp_path, "items", fmt, ROWS)
    return connect(tmp_path, keys={"items": ["Code"]})


def read_all(connector: FilesConnector, **request: Any) -> list[Batch]:
    return list(connector.read(ReadRequest("items", **request)))


def records(batches: list[Batch]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b.records]


def test_registered_and_protocol(tmp_path: Path) -> None:
    connector = open_connector("files", {"folder": str(tmp_path), "format": "csv"})
    assert isinstance(connector, Connector)
    connector.close()


def test_discovery_infers_kinds_and_reports_keys(items: FilesConnector, fmt: str) -> None:
    [info] = items.entities()
    assert info.name == "items"
    kinds = {f.name: f.kind for f in info.fields}
    assert kinds["Code"] is ValueKind.TEXT
    assert kinds["Qty"] is ValueKind.INTEGER
    assert kinds["Price"] in (ValueKind.DECIMAL, ValueKind.FLOAT)
    assert kinds["Day"] in (ValueKind.DATE, ValueKind.DATETIME)
    assert info.keys == (("Code",),)
    assert info.field("code") is not None
    assert info.field("code").required
    with pytest.raises(SchemaError, match="nope"):
        items.describe("nope")


def test_full_read_types_values_and_stamps(items: FilesConnector) -> None:
    batches = read_all(items, batch_size=2)
    assert [len(b.records) for b in batches] == [2, 1]
    first = records(batches)[0]
    assert first["Code"] == "A1"
    assert first["Qty"] == 3
    assert first["Price"] == Decimal("9.5")
    assert first["Day"] in (date(2024, 1, 2), datetime(2024, 1, 2, tzinfo=UTC))
    assert all(b.stamps is not None and len(b.stamps) == len(b.records) for b in batches)


def test_unchanged_file_reads_nothing_incrementally(items: FilesConnector, tmp_path: Path) -> None:
    last = read_all(items)[-1].watermark
    assert read_all(items, since=last) == []
    items.write("items", [{"Code": "D4", "Name": "Drum"}], ["Code"], WriteMode.UPSERT)
    again = records(read_all(items, since=last))
    assert [r["Code"] for r in again] == ["A1", "B2", "C3", "D4"]


def test_filter_and_fields(items: FilesConnector) -> None:
    found = records(read_all(items, filter="Qty gt 2 and startswith(Name, 'B')", fields=["code"]))
    assert found == [{"Code": "B2"}]
    found = records(read_all(items, filter="Code in ('A1', 'C3') or Qty eq null"))
    assert [r["Code"] for r in found] == ["A1", "C3"]
    with pytest.raises(FilterError, match="Missing"):
        read_all(items, filter="Missing eq 1")
    with pytest.raises(FilterError):
        read_all(items, filter="Qty gt")


def test_upsert_classifies_and_rewrites(items: FilesConnector, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"items.{fmt}"
    batch = [
        {"Code": "A1", "Qty": "3"},  # unchanged: "3" is the stored 3
        {"Code": "B2", "Qty": 11, "Colour": "red"},  # updated, with a new column
        {"Code": "Z9", "Name": "Zip", "Qty": 5},  # inserted
    ]
    outcome = items.write("items", batch, ["Code"], WriteMode.UPSERT)
    assert outcome.statuses == [RecordStatus.UNCHANGED, RecordStatus.UPDATED, RecordStatus.INSERTED]
    assert outcome.failures == []
    assert outcome.stamps is not None
    assert all(outcome.stamps)
    got = {r["Code"]: r for r in records(read_all(items))}
    assert got["B2"]["Qty"] == 11
    assert got["B2"]["Colour"] == "red"
    assert got["B2"]["Name"] == "Bolt"
    assert got["Z9"]["Name"] == "Zip"
    assert got["A1"]["Colour"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left
    mtime = path.stat().st_mtime_ns
    again = items.write("items", batch[1:], ["Code"], WriteMode.UPSERT)
    assert again.statuses == [RecordStatus.UNCHANGED, RecordStatus.UNCHANGED]
    assert path.stat().st_mtime_ns == mtime  # nothing changed: the file was not rewritten


def test_write_stamps_match_read_stamps(items: FilesConnector) -> None:
    given = [{"Code": "B2", "Name": "Bolts", "Colour": "blue"}, {"Code": "Q", "Name": "New"}]
    outcome = items.write("items", given, ["Code"], WriteMode.UPSERT)
    batch = read_all(items)[0]
    assert batch.stamps is not None
    assert outcome.stamps is not None
    assert outcome.stamps[0] == batch.stamps[1]  # updated, with a new column
    assert outcome.stamps[1] == batch.stamps[3]  # inserted


def test_failures_are_reported_and_the_rest_written(items: FilesConnector) -> None:
    batch = [
        {"Code": None, "Name": "no key"},
        {"Code": "N1", "Name": "first"},
        {"Code": "N1", "Name": "twice"},
        {"Name": "key left out"},
    ]
    outcome = items.write("items", batch, ["Code"], WriteMode.UPSERT)
    assert outcome.statuses == [
        RecordStatus.FAILED,
        RecordStatus.INSERTED,
        RecordStatus.FAILED,
        RecordStatus.FAILED,
    ]
    assert [f.position for f in outcome.failures] == [0, 2, 3]
    assert outcome.failures[0].field == "Code"
    assert "twice" in outcome.failures[1].message
    assert "N1" in {r["Code"] for r in records(read_all(items))}


def test_parquet_refuses_values_that_do_not_fit(
    tmp_path: Path, connect: Callable[..., FilesConnector]
) -> None:
    write_file(tmp_path, "items", "parquet", ROWS)
    connector = connect(tmp_path)
    outcome = connector.write(
        "items",
        [
            {"Code": "A1", "Qty": "many"},
            {"Code": "B2", "Qty": 4},
            {"Code": "C3", "Price": Decimal("1.125")},  # more places than the column keeps
        ],
        ["Code"],
        WriteMode.UPSERT,
    )
    assert outcome.statuses == [RecordStatus.FAILED, RecordStatus.UPDATED, RecordStatus.FAILED]
    assert [f.field for f in outcome.failures] == ["Qty", "Price"]
    assert "does not fit" in outcome.failures[1].message


def test_insert_and_update_modes(items: FilesConnector) -> None:
    insert = items.write(
        "items", [{"Code": "A1", "Qty": 99}, {"Code": "Q1"}], ["Code"], WriteMode.INSERT
    )
    assert insert.statuses == [RecordStatus.UNCHANGED, RecordStatus.INSERTED]
    update = items.write(
        "items", [{"Code": "A1", "Qty": 7}, {"Code": "Q2"}], ["Code"], WriteMode.UPDATE
    )
    assert update.statuses == [RecordStatus.UPDATED, RecordStatus.FAILED]
    assert "Q2" in update.failures[0].message
    got = {r["Code"]: r["Qty"] for r in records(read_all(items))}
    assert got["A1"] == 7
    assert "Q2" not in got


def test_new_entity_gets_a_file_in_the_default_format(
    tmp_path: Path, fmt: str, connect: Callable[..., FilesConnector]
) -> None:
    connector = connect(tmp_path, format=fmt, keys={"orders": ["Number"]})
    rows = [{"Number": 1, "Total": Decimal("2.5"), "When": datetime(2024, 5, 1, 8, tzinfo=UTC)}]
    outcome = connector.write("orders", rows, ["Number"], WriteMode.UPSERT)
    assert outcome.statuses == [RecordStatus.INSERTED]
    assert (tmp_path / f"orders.{fmt}").is_file()
    [record] = [r for b in connector.read(ReadRequest("orders")) for r in b.records]
    assert record["Number"] == 1
    assert record["Total"] == Decimal("2.5")
    assert record["When"] == datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_new_entity_without_default_format(
    tmp_path: Path, connect: Callable[..., FilesConnector]
) -> None:
    connector = connect(tmp_path)
    with pytest.raises(SchemaError, match="no format"):
        connector.write("orders", [{"Number": 1}], ["Number"], WriteMode.UPSERT)


def test_delete(items: FilesConnector) -> None:
    outcome = items.delete("items", [{"Code": "B2"}, {"code": "nope"}])
    assert outcome.statuses == [RecordStatus.DELETED, RecordStatus.UNCHANGED]
    assert [r["Code"] for r in records(read_all(items))] == ["A1", "C3"]


def test_resolve_exact_then_case_insensitive_and_fetch(items: FilesConnector) -> None:
    found = items.resolve("items", ["Name"], [("Bolt",), ("crate",), ("none",)])
    assert found == {("Bolt",): "B2", ("crate",): "C3"}
    fetched = items.fetch("items", ["B2", "C3", "X"], ["Name", "Qty"])
    assert fetched == {"B2": {"Name": "Bolt", "Qty": 10}, "C3": {"Name": "Crate", "Qty": 1}}


def test_resolve_composite_key_reference(
    tmp_path: Path, connect: Callable[..., FilesConnector]
) -> None:
    write_file(tmp_path, "lines", "csv", [{"Order": "O1", "Line": 1, "Sku": "x"}])
    connector = connect(tmp_path, keys={"lines": ["Order", "Line"]})
    assert connector.resolve("lines", ["Sku"], [("X",)]) == {("X",): ("O1", 1)}
    assert connector.resolve("lines", ["Order", "Line"], [("o1", "1")]) == {("o1", "1"): ("O1", 1)}


def test_csv_delimiter_and_encoding(tmp_path: Path, connect: Callable[..., FilesConnector]) -> None:
    (tmp_path / "people.csv").write_bytes("Name;City\nJosé;Zürich\n".encode("latin-1"))
    connector = connect(tmp_path, delimiter=";", encoding="latin-1", keys={"people": ["Name"]})
    assert records(list(connector.read(ReadRequest("people")))) == [
        {"Name": "José", "City": "Zürich"}
    ]
    connector.write("people", [{"Name": "Zoë", "City": "Genève"}], ["Name"], WriteMode.UPSERT)
    assert (tmp_path / "people.csv").read_bytes().decode("latin-1").splitlines()[-1] == "Zoë;Genève"


def test_unreadable_file_is_a_connector_error(
    tmp_path: Path, connect: Callable[..., FilesConnector]
) -> None:
    (tmp_path / "broken.jsonl").write_text('{"a": 1}\nnot json\n')
    connector = connect(tmp_path)
    with pytest.raises(ConnectorError, match="line 2"):
        connector.describe("broken")


def test_no_stamps_when_nobody_needs_them(items: FilesConnector) -> None:
    batches = read_all(items, stamps=False)
    assert all(b.stamps is None for b in batches)
    assert len(records(batches)) == 3
