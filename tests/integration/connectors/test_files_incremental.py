"""Files connector: cursor reads across batch boundaries, files of many batches, atomicity."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from commonground.integration.connectors.files import FilesConnector, spill
from commonground.integration.connectors.files.formats import CsvFormat
from commonground.integration.contracts import (
    ConnectorError,
    ReadRequest,
    RecordStatus,
    WriteMode,
)
from tests.integration.connectors.test_files import FORMATS, connect, write_file

__all__ = ["connect"]  # the fixture, shared with test_files.py


def shuffled_rows(count: int, ties: int) -> list[dict[str, Any]]:
    """Rows whose cursor (Seq) repeats `ties` times per value, in no particular order."""
    rows = [{"Id": n, "Seq": n // ties, "Note": f"row {n}"} for n in range(count)]
    random.Random(7).shuffle(rows)
    return rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_cursor_reads_ties_across_batches_without_gaps_or_repeats(
    tmp_path: Path, fmt: str, connect: Callable[..., FilesConnector]
) -> None:
    write_file(tmp_path, "events", fmt, shuffled_rows(50, ties=4))
    connector = connect(tmp_path, keys={"events": ["Id"]}, cursors={"events": "Seq"})
    assert connector.describe("events").cursor == "Seq"
    seen: list[int] = []
    since = None
    while True:  # one batch per run, each run resuming from the last stored watermark
        batches = connector.read(ReadRequest("events", since=since, batch_size=3))
        batch = next(iter(batches), None)
        if batch is None:
            break
        seen += [r["Id"] for r in batch.records]
        since = batch.watermark
    assert seen == list(range(50))  # (Seq, Id) order: every row once
    connector.write(
        "events",
        [{"Id": 5, "Seq": 100}, {"Id": 998, "Seq": 12}, {"Id": 999, "Seq": 11}],
        ["Id"],
        WriteMode.UPSERT,
    )
    later = [r["Id"] for b in connector.read(ReadRequest("events", since=since)) for r in b.records]
    assert later == [998, 5]  # (12, 998) ties past (12, 49); (11, 999) is behind it


def test_cursor_without_key_breaks_ties_by_stamp(
    tmp_path: Path, connect: Callable[..., FilesConnector]
) -> None:
    rows = [{"Seq": 1, "Note": n} for n in "abcdef"]
    write_file(tmp_path, "events", "csv", rows)
    connector = connect(tmp_path, cursors={"events": "seq"})
    first = list(connector.read(ReadRequest("events", batch_size=4)))
    rest = list(connector.read(ReadRequest("events", since=first[0].watermark)))
    notes = [r["Note"] for r in first[0].records] + [r["Note"] for b in rest for r in b.records]
    assert sorted(notes) == list("abcdef")
    assert len(notes) == 6


def test_foreign_watermark_is_refused(
    tmp_path: Path, connect: Callable[..., FilesConnector]
) -> None:
    write_file(tmp_path, "events", "csv", [{"Id": 1, "Seq": 1}])
    connector = connect(tmp_path, keys={"events": ["Id"]}, cursors={"events": "Seq"})
    with pytest.raises(ConnectorError, match="watermark"):
        list(connector.read(ReadRequest("events", since={"token": 3})))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_of_many_batches_spills_its_sort_to_disk(
    tmp_path: Path,
    fmt: str,
    connect: Callable[..., FilesConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spill, "RUN_SIZE", 100)
    write_file(tmp_path, "big", fmt, shuffled_rows(1200, ties=7))
    connector = connect(tmp_path, keys={"big": ["Id"]}, cursors={"big": "Seq"})
    batches = list(connector.read(ReadRequest("big", batch_size=250)))
    assert [len(b.records) for b in batches] == [250, 250, 250, 250, 200]
    assert [r["Id"] for b in batches for r in b.records] == list(range(1200))
    middle = batches[2].watermark
    rest = [r["Id"] for b in connector.read(ReadRequest("big", since=middle)) for r in b.records]
    assert rest == list(range(750, 1200))
    outcome = connector.write("big", [{"Id": 3, "Note": "x"}], ["Id"], WriteMode.UPSERT)
    assert outcome.statuses == [RecordStatus.UPDATED]
    assert sum(len(b.records) for b in connector.read(ReadRequest("big"))) == 1200


def test_a_crash_during_a_rewrite_leaves_the_file_whole(
    tmp_path: Path, connect: Callable[..., FilesConnector], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_file(tmp_path, "items", "csv", [{"Code": "A", "Qty": 1}, {"Code": "B", "Qty": 2}])
    before = path.read_bytes()
    connector = connect(tmp_path, keys={"items": ["Code"]})
    original = CsvFormat.write

    def crash_half_way(self: CsvFormat, target: Path, columns: Any, rows: Any, *rest: Any) -> None:
        def rows_then_crash() -> Iterator[Any]:
            yield next(iter(rows))
            raise OSError("disk full")

        original(self, target, columns, rows_then_crash(), *rest)

    monkeypatch.setattr(CsvFormat, "write", crash_half_way)
    with pytest.raises(ConnectorError, match="disk full"):
        connector.write("items", [{"Code": "B", "Qty": 5}], ["Code"], WriteMode.UPSERT)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["items.csv"]
