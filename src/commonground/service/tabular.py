"""Tabular files (CSV and Excel workbooks) as a header plus numbered rows, and back.

Imports and exports see a file only through `Sheet`: a header and an iterator of
(row number, cells). Row numbers are the ones a person sees in a spreadsheet (the header is
row 1), so an import report can point at the exact row to fix, even when blank rows are
skipped. CSV cells are text; workbook cells keep the types the workbook stores (numbers,
booleans, dates), and `cell_text` gives every cell the one text form both paths share.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from commonground.errors import DefinitionError
from commonground.model.field import Field
from commonground.model.types import Storage

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
NumberedRow = tuple[int, list[Any]]
EXCEL_DIGITS = 15


def cell_text(value: Any) -> str:
    """The text form of a cell: what a CSV file would hold for it (no value is "")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 12.500000 -> 12.5, 1E+2 -> 100
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def cell_value(field: Field, value: Any) -> Any:
    """A cell as the input value of a (scalar) field: no value is None, text fields get text.

    CSV text passes through as is, since the service's coercers accept text for numbers,
    dates, booleans and picklist names. Workbook cells keep their type, except that a text
    field gets the cell's text form (a postal code typed as a number is still a postal code)
    and a picklist gets a whole number rather than Excel's float.
    """
    if value is None or value == "":
        return None
    storage = field.storage
    if storage is Storage.STRING and not isinstance(value, str):
        return cell_text(value)
    if storage is Storage.PICKLIST and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Sheet:
    """One table of a file: its column headers and a way to read its rows (more than once)."""

    path: Path
    header: list[str]
    _read: Callable[[], Iterator[NumberedRow]] = field(repr=False)
    _count: int | None = field(default=None, repr=False)

    def rows(self) -> Iterator[NumberedRow]:
        """(row number, cells) for every non-blank data row, cells padded to the header."""
        width = len(self.header)
        unnamed = [i for i, name in enumerate(self.header) if not name]
        for number, cells in self._read():
            if all(c is None or c == "" for c in cells):
                continue
            if len(cells) > width and any(c not in (None, "") for c in cells[width:]):
                raise DefinitionError(
                    f"row {number} has {len(cells)} values but the header names {width} columns"
                )
            cells = list(cells[:width]) + [""] * (width - len(cells))
            for i in unnamed:
                if cells[i] not in (None, ""):
                    raise DefinitionError(f"row {number}: column {i + 1} has a value but no header")
            yield number, cells

    def count(self) -> int:
        """How many data rows there are (blank rows included): the length of a progress bar."""
        if self._count is None:
            self._count = sum(1 for _ in self._read())
        return self._count


def open_sheet(path: Path) -> Sheet:
    """The data of a .csv file or of the first sheet of a workbook."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DefinitionError(f"{path}: no such file")
    if suffix == ".csv":
        return _csv_sheet(path)
    if suffix in WORKBOOK_SUFFIXES:
        return _workbook_sheet(path)
    raise DefinitionError(f"{path}: unsupported file type (use .csv or .xlsx)")


def _checked_header(path: Path, cells: Sequence[Any]) -> list[str]:
    """Header names, stripped; a name used twice (in any case) would make rows ambiguous."""
    header = [cell_text(c).strip() for c in cells]
    seen: set[str] = set()
    for name in header:
        if name and name.lower() in seen:
            raise DefinitionError(f"{path}: column '{name}' appears twice in the header")
        seen.add(name.lower())
    if not any(header):
        raise DefinitionError(f"{path}: the first row must name the columns")
    return header


def _csv_sheet(path: Path) -> Sheet:
    def read() -> Iterator[NumberedRow]:
        # utf-8-sig: Excel writes a byte-order mark at the start of UTF-8 CSV files.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            try:
                reader = csv.reader(handle)
                next(reader, None)
                for number, cells in enumerate(reader, start=2):
                    yield number, list(cells)
            except UnicodeDecodeError as exc:
                raise DefinitionError(f"{path}: not UTF-8 text ({exc.reason})") from exc
            except csv.Error as exc:
                raise DefinitionError(f"{path}: not a valid CSV file ({exc})") from exc

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    if first is None:
        raise DefinitionError(f"{path}: the file is empty")
    return Sheet(path, _checked_header(path, first), read)


def _workbook_sheet(path: Path) -> Sheet:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, OSError, ValueError) as exc:
        raise DefinitionError(f"{path}: not a readable workbook ({exc})") from exc
    first_row = sheet.start[0] + 1 if sheet.start else 1
    rows = sheet.iter_rows()
    first = next(rows, None)
    if first is None:
        raise DefinitionError(f"{path}: the first sheet is empty")
    header = _checked_header(path, first)

    def read() -> Iterator[NumberedRow]:
        for offset, cells in enumerate(sheet.iter_rows()):
            if offset:
                yield first_row + offset, list(cells)

    return Sheet(path, header, read, max(sheet.height - 1, 0))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A UTF-8 CSV file; each value in the text form `cell_text` gives it."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell_text(v) for v in row])


def write_xlsx(
    path: Path, sheet_name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """An Excel workbook of one sheet, streamed (openpyxl's write-only mode keeps no cells)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31])
    sheet.append(list(header))
    for row in rows:
        out: list[Any] = []
        for value in row:
            converted = _excel_value(value)
            if isinstance(converted, str) and converted.startswith("="):
                cell = WriteOnlyCell(sheet, value=converted)
                cell.data_type = "s"  # text that looks like a formula stays text
                converted = cell
            out.append(converted)
        sheet.append(out)
    workbook.save(str(path))


def _excel_value(value: Any) -> Any:
    """A value as Excel can hold it: naive UTC instants, exact numbers only, text otherwise."""
    if value is None or isinstance(value, bool | int | float | str | date | time):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones
        return value
    if isinstance(value, Decimal):
        # Excel numbers are doubles: beyond 15 significant digits keep the exact text.
        exact = len(value.normalize().as_tuple().digits) <= EXCEL_DIGITS
        return value if exact else cell_text(value)
    return cell_text(value)
