"""The four file formats as one shape: a header, rows streamed from disk, and a streamed write.

Every format reads a file as a `Table` (column names plus a way to iterate the rows as lists
aligned with them, more than once) and writes one from any iterable of rows, so that merge,
delete and read code never looks at a format. Rows are never held whole: CSV and JSON Lines
go line by line, Parquet by record batch, workbooks row by row.

Values are raw as the file holds them (CSV cells are text, workbook cells keep Excel's
types, Parquet values are typed by the file's schema); `columns.py` types them. A row written
back unchanged is written with its raw values, so a rewrite never reformats rows it did not
touch. Parquet alone carries types, so `Table.kinds` comes from its schema and a Parquet
write keeps the schema of the file it replaces.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar, Protocol

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from commonground.errors import DefinitionError
from commonground.integration.arrow_types import ARROW_OF_KIND
from commonground.integration.connectors.files.settings import FilesSettings, FormatName
from commonground.integration.contracts import ConnectorError, ValueKind
from commonground.service.tabular import cell_text, open_sheet, write_xlsx

Row = list[Any]
WRITE_CHUNK = 5000  # rows per Parquet row group and per JSON Lines write


@dataclass
class Table:
    """A file's columns and its rows (each a list aligned with `columns`), readable again."""

    columns: list[str]
    read_rows: Callable[[], Iterator[Row]] = field(repr=False)
    kinds: dict[str, ValueKind] | None = None  # declared by the file (Parquet), else inferred
    schema: pa.Schema | None = field(default=None, repr=False)

    def check(self, column: str, value: Any) -> None:
        """Refuse (ValueError) a value the file's declared column type cannot hold."""
        if self.schema is None or column not in self.schema.names or value is None:
            return
        data_type = self.schema.field(column).type
        try:
            pa.array([value], type=data_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise ValueError(f"does not fit the file's {data_type} column ({exc})") from None


class FileFormat(Protocol):
    """How one format reads and writes a whole file."""

    name: ClassVar[FormatName]
    suffix: ClassVar[str]
    typed: ClassVar[bool]  # the file declares column types: a value that does not fit is refused

    def open(self, path: Path) -> Table:
        """The file's table (ConnectorError when it cannot be read)."""
        ...

    def write(
        self,
        path: Path,
        columns: Sequence[str],
        rows: Iterable[Row],
        kinds: Mapping[str, ValueKind],
        previous: Table | None,
    ) -> None:
        """A new file at `path` with these rows; `previous` is the table it replaces."""
        ...


def _checked_header(path: Path, header: Sequence[str]) -> list[str]:
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    twice = sorted({n for n in names if lowered.count(n.lower()) > 1})
    if twice:
        raise ConnectorError(f"{path.name}: column {', '.join(twice)} appears twice")
    return names


@dataclass(frozen=True)
class CsvFormat:
    """Comma (or other delimiter) separated text; every cell is text, "" is no value."""

    delimiter: str
    encoding: str
    name: ClassVar[FormatName] = "csv"
    suffix: ClassVar[str] = ".csv"
    typed: ClassVar[bool] = False

    def open(self, path: Path) -> Table:
        """The header, then rows read line by line."""
        encoding = "utf-8-sig" if self.encoding.lower().replace("_", "-") == "utf-8" else None
        with self._reader(path, encoding) as rows:
            header = next(rows, None)
        if header is None:
            return Table([], lambda: iter(()))

        def read() -> Iterator[Row]:
            with self._reader(path, encoding) as rows:
                next(rows, None)
                for cells in rows:
                    if any(cells):
                        yield cells

        return Table(_checked_header(path, header), read)

    def _reader(self, path: Path, encoding: str | None) -> _CsvRows:
        return _CsvRows(path, encoding or self.encoding, self.delimiter)

    def write(
        self,
        path: Path,
        columns: Sequence[str],
        rows: Iterable[Row],
        kinds: Mapping[str, ValueKind],
        previous: Table | None,
    ) -> None:
        """Every value in the text form an import reads back (dates ISO, booleans true/false)."""
        with path.open("w", encoding=self.encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=self.delimiter)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([cell_text(v) for v in row])


class _CsvRows:
    """A CSV reader as a context manager, its decoding errors turned into connector errors."""

    def __init__(self, path: Path, encoding: str, delimiter: str) -> None:
        self.path = path
        self.handle = path.open(encoding=encoding, newline="")
        self.reader = csv.reader(self.handle, delimiter=delimiter)

    def __enter__(self) -> Iterator[Row]:
        return self._rows()

    def _rows(self) -> Iterator[Row]:
        try:
            yield from self.reader
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ConnectorError(f"{self.path.name}: not a readable CSV file ({exc})") from None

    def __exit__(self, *_exc: object) -> None:
        self.handle.close()


@dataclass(frozen=True)
class JsonLinesFormat:
    """One JSON object per line; the columns are every member name, in order of appearance."""

    encoding: str
    name: ClassVar[FormatName] = "jsonl"
    suffix: ClassVar[str] = ".jsonl"
    typed: ClassVar[bool] = False

    def open(self, path: Path) -> Table:
        """The columns from one pass over the objects, then rows read line by line."""
        columns: dict[str, None] = {}
        for item in self._objects(path):
            columns.update(dict.fromkeys(item))
        names = list(columns)

        def read() -> Iterator[Row]:
            for item in self._objects(path):
                yield [item.get(c) for c in names]

        return Table(names, read)

    def _objects(self, path: Path) -> Iterator[dict[str, Any]]:
        with path.open(encoding=self.encoding) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    item = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise ConnectorError(f"{path.name} line {number}: not JSON ({exc})") from None
                if not isinstance(item, dict):
                    raise ConnectorError(f"{path.name} line {number}: not a JSON object")
                yield item

    def write(
        self,
        path: Path,
        columns: Sequence[str],
        rows: Iterable[Row],
        kinds: Mapping[str, ValueKind],
        previous: Table | None,
    ) -> None:
        """One object per row; members without a value are left out."""
        with path.open("w", encoding=self.encoding) as handle:
            for row in rows:
                item = {c: v for c, v in zip(columns, row, strict=True) if v is not None}
                handle.write(orjson.dumps(item, default=cell_text).decode() + "\n")


@dataclass(frozen=True)
class WorkbookFormat:
    """The first sheet of an Excel workbook (read with calamine, written with openpyxl)."""

    name: ClassVar[FormatName] = "xlsx"
    suffix: ClassVar[str] = ".xlsx"
    typed: ClassVar[bool] = False

    def open(self, path: Path) -> Table:
        """The header row, then the non-blank rows."""
        try:
            sheet = open_sheet(path)
        except DefinitionError as exc:
            if "is empty" in str(exc):
                return Table([], lambda: iter(()))
            raise ConnectorError(str(exc)) from None

        def read() -> Iterator[Row]:
            for _number, cells in sheet.rows():
                yield cells

        return Table(_checked_header(path, sheet.header), read)

    def write(
        self,
        path: Path,
        columns: Sequence[str],
        rows: Iterable[Row],
        kinds: Mapping[str, ValueKind],
        previous: Table | None,
    ) -> None:
        """A one-sheet workbook named after the file, streamed."""
        write_xlsx(path, path.stem.lstrip(".").split(".")[0] or "Sheet1", columns, rows)


@dataclass(frozen=True)
class ParquetFormat:
    """Apache Parquet: typed columns, read and written a record batch at a time."""

    batch_size: int = WRITE_CHUNK
    name: ClassVar[FormatName] = "parquet"
    suffix: ClassVar[str] = ".parquet"
    typed: ClassVar[bool] = True

    def open(self, path: Path) -> Table:
        """The schema's columns and kinds, then rows batch by batch."""
        try:
            with pq.ParquetFile(path) as parquet:
                schema = parquet.schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise ConnectorError(f"{path.name}: not a readable Parquet file ({exc})") from None
        names = list(schema.names)

        def read() -> Iterator[Row]:
            with pq.ParquetFile(path) as parquet:
                for batch in parquet.iter_batches(batch_size=self.batch_size):
                    columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                    yield from (list(row) for row in zip(*columns, strict=True))

        kinds = {f.name: kind_of_arrow(f.type) for f in schema}
        return Table(names, read, kinds, schema)

    def write(
        self,
        path: Path,
        columns: Sequence[str],
        rows: Iterable[Row],
        kinds: Mapping[str, ValueKind],
        previous: Table | None,
    ) -> None:
        """Row groups of `batch_size` rows, in the previous file's schema plus new columns."""
        schema = _schema_for(columns, kinds, previous)
        iterator = iter(rows)
        with pq.ParquetWriter(path, schema) as writer:
            while chunk := list(islice(iterator, self.batch_size)):
                arrays = [
                    pa.array([row[i] for row in chunk], type=schema.field(i).type)
                    for i in range(len(columns))
                ]
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))


def _schema_for(
    columns: Sequence[str], kinds: Mapping[str, ValueKind], previous: Table | None
) -> pa.Schema:
    """The previous file's column types, and types from the value kinds for new columns."""
    known = previous.schema if previous is not None else None
    fields = []
    for name in columns:
        if known is not None and name in known.names:
            fields.append(known.field(name))
        else:
            kind = kinds.get(name, ValueKind.TEXT)
            fields.append(pa.field(name, ARROW_OF_KIND.get(kind, pa.string())))
    return pa.schema(fields)


def kind_of_arrow(data_type: pa.DataType) -> ValueKind:
    """The value kind of a Parquet column's Arrow type (nested types are structured)."""
    checks: tuple[tuple[Callable[[pa.DataType], bool], ValueKind], ...] = (
        (pa.types.is_boolean, ValueKind.BOOLEAN),
        (pa.types.is_integer, ValueKind.INTEGER),
        (pa.types.is_floating, ValueKind.FLOAT),
        (pa.types.is_decimal, ValueKind.DECIMAL),
        (pa.types.is_timestamp, ValueKind.DATETIME),
        (pa.types.is_date, ValueKind.DATE),
        (pa.types.is_struct, ValueKind.STRUCTURED),
        (pa.types.is_map, ValueKind.STRUCTURED),
    )
    return next((kind for check, kind in checks if check(data_type)), ValueKind.TEXT)


def format_for(name: FormatName, settings: FilesSettings) -> FileFormat:
    """One format, configured by the connection's settings."""
    formats: dict[str, FileFormat] = {
        "csv": CsvFormat(settings.delimiter, settings.encoding),
        "jsonl": JsonLinesFormat(settings.encoding),
        "xlsx": WorkbookFormat(),
        "parquet": ParquetFormat(),
    }
    return formats[name]


SUFFIXES: dict[str, FormatName] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
}
