"""One entity's file: where it is, its format, its typed columns, and its records streamed.

Everything the connector does to an entity goes through a `DataFile`: reads, merges and
lookups all stream `records()`, which pairs each raw row (to write back untouched) with the
typed record (to filter, compare and return). A DataFile describes the file as it was when
opened; `version` (modification time and size) tells whether it changed since.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commonground.integration.connectors.files.columns import Column, infer_columns
from commonground.integration.connectors.files.formats import FileFormat, Row, Table
from commonground.integration.contracts import (
    ConnectionFailedError,
    EntityInfo,
    FieldInfo,
    SchemaError,
)

Record = dict[str, Any]
Version = dict[str, int]


def version_of(path: Path) -> Version:
    """What changes whenever the file is rewritten: modification time and size."""
    stat = path.stat()
    return {"mtime_ns": stat.st_mtime_ns, "size": stat.st_size}


@dataclass(frozen=True)
class DataFile:
    """A file as it was when opened (see the module docstring)."""

    entity: str
    path: Path
    format: FileFormat
    table: Table
    columns: tuple[Column, ...]
    version: Version

    @classmethod
    def open(cls, entity: str, path: Path, file_format: FileFormat) -> DataFile:
        """Open a file and infer its columns (one pass over the data for untyped formats)."""
        version = version_of(path)
        table = file_format.open(path)
        return cls(entity, path, file_format, table, tuple(infer_columns(table)), version)

    def column(self, name: str) -> Column | None:
        """A column by name, matched case-insensitively."""
        wanted = name.lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)

    def names(self, fields: Sequence[str]) -> list[str]:
        """The file's spelling of some column names (SchemaError names the missing ones)."""
        found = [self.column(f) for f in fields]
        missing = [f for f, c in zip(fields, found, strict=True) if c is None]
        if missing:
            raise SchemaError(f"{self.path.name} has no column {', '.join(missing)}")
        return [c.name for c in found if c is not None]

    def records(self) -> Iterator[tuple[Row, Record]]:
        """(raw row, typed record) for every row, streamed from the file."""
        for row in self.table.read_rows():
            yield row, self.typed(row)

    def typed(self, row: Row) -> Record:
        """A raw row as a typed record."""
        record: Record = {}
        for column, value in zip(self.columns, row, strict=False):
            try:
                record[column.name] = column.convert(value)
            except ValueError:
                raise ConnectionFailedError(
                    f"{self.path.name} changed while being read (column {column.name} "
                    f"no longer holds {column.kind} values)"
                ) from None
        return record

    def info(self, key: Sequence[str], cursor: str | None) -> EntityInfo:
        """The entity as discovery reports it: columns, the configured key and cursor."""
        key_names = [c.name for c in (self.column(k) for k in key) if c is not None]
        known_key = len(key_names) == len(key) and bool(key)
        cursor_column = self.column(cursor) if cursor else None
        return EntityInfo(
            name=self.entity,
            fields=tuple(
                FieldInfo(c.name, c.kind, required=known_key and c.name in key_names)
                for c in self.columns
            ),
            keys=(tuple(key_names),) if known_key else (),
            cursor=cursor_column.name if cursor_column else None,
        )
