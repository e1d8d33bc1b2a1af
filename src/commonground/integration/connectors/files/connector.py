"""The files connector (kind `files`): a folder of CSV, Excel, Parquet and JSON Lines files.

Each file is one entity, named by its stem (`customers.csv` is `customers`); hidden files
(the temporary files of a rewrite among them) are ignored. Opening a file infers its columns,
which takes a pass over an untyped file, so an opened file is kept until its modification
time or size changes. Files have no references of their own: a record's reference is its
key value (a tuple for a composite key), from the configured key of the entity, or from the
fields `resolve` matched on when none is configured.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from commonground.integration.connectors.files.datafile import DataFile, Record, version_of
from commonground.integration.connectors.files.formats import SUFFIXES, FileFormat, format_for
from commonground.integration.connectors.files.merging import delete_rows, upsert_file
from commonground.integration.connectors.files.reading import read_batches
from commonground.integration.connectors.files.settings import FilesSettings
from commonground.integration.connectors.shared import folded, resolve_in_two_passes
from commonground.integration.contracts import (
    Batch,
    ConnectorError,
    EntityInfo,
    ReadRequest,
    RecordStatus,
    SchemaError,
    WriteMode,
    WriteOutcome,
)


class FilesConnector:
    """A connection to one folder of data files (see FilesSettings)."""

    kind: ClassVar[str] = "files"
    Settings: ClassVar[type[FilesSettings]] = FilesSettings

    def __init__(self, settings: FilesSettings) -> None:
        self.settings = settings
        self.folder = Path(settings.folder)
        self._opened: dict[Path, DataFile] = {}

    # -- discovery -------------------------------------------------------------------------

    def entities(self) -> list[EntityInfo]:
        """Every data file of the folder."""
        return [self.describe(name) for name in self._paths()]

    def describe(self, entity: str) -> EntityInfo:
        """One file's columns, with the configured key and cursor (SchemaError when absent)."""
        data = self._data(entity)
        return data.info(self.settings.key_of(entity), self.settings.cursor_of(entity))

    def _paths(self) -> dict[str, Path]:
        if not self.folder.is_dir():
            raise ConnectorError(f"the folder {self.folder} does not exist")
        found: dict[str, Path] = {}
        for path in sorted(self.folder.iterdir()):
            if path.is_file() and not path.name.startswith(".") and path.suffix in SUFFIXES:
                found.setdefault(path.stem, path)
        return found

    def _path(self, entity: str) -> Path | None:
        wanted = entity.lower()
        return next((p for n, p in self._paths().items() if n.lower() == wanted), None)

    def _data(self, entity: str) -> DataFile:
        path = self._path(entity)
        if path is None:
            raise SchemaError(f"there is no file for entity '{entity}' in {self.folder}")
        return self._open(path)

    def _open(self, path: Path) -> DataFile:
        opened = self._opened.get(path)
        if opened is None or opened.version != version_of(path):
            opened = DataFile.open(path.stem, path, self._format(path))
            self._opened[path] = opened
        return opened

    def _format(self, path: Path) -> FileFormat:
        return format_for(SUFFIXES[path.suffix], self.settings)

    # -- reads -----------------------------------------------------------------------------

    def read(self, request: ReadRequest) -> Iterator[Batch]:
        """Full or incremental reads in batches (see reading.py)."""
        data = self._data(request.entity)
        key = self.settings.key_of(request.entity)
        return read_batches(data, request, key, self.settings.cursor_of(request.entity))

    def fetch(
        self, entity: str, references: Sequence[Any], fields: Sequence[str]
    ) -> dict[Any, dict[str, Any]]:
        """The given fields of the records with these references (key values)."""
        data = self._data(entity)
        key = data.names(self._reference_key(entity, ()))
        names = data.names(fields)
        wanted = set(references)
        found: dict[Any, dict[str, Any]] = {}
        for _row, record in data.records():
            reference = _reference(record, key)
            if reference in wanted and reference not in found:
                found[reference] = {f: record.get(n) for f, n in zip(fields, names, strict=True)}
        return found

    def resolve(
        self,
        entity: str,
        key: Sequence[str],
        values: Sequence[tuple[Any, ...]],
        organization: str | None = None,
    ) -> dict[tuple[Any, ...], Any]:
        """References by key values: exact first, then text compared case-insensitively."""
        data = self._data(entity)
        names = data.names(key)
        reference_key = data.names(self._reference_key(entity, key))
        columns = [data.column(n) for n in names]

        def matched(tuples: Sequence[tuple[Any, ...]], insensitive: bool) -> dict[Any, Any]:
            typed = {_typed(columns, t) for t in tuples}
            wanted = {folded(t) for t in typed} if insensitive else typed
            found: dict[tuple[Any, ...], Any] = {}
            for _row, record in data.records():
                stored = tuple(record.get(n) for n in names)
                if (folded(stored) if insensitive else stored) in wanted:
                    found.setdefault(stored, _reference(record, reference_key))
            return found

        exact = resolve_in_two_passes(
            [_typed(columns, v) for v in values],
            lambda v: matched(v, False),
            lambda v: matched(v, True),
        )
        return {v: exact[t] for v in values if (t := _typed(columns, v)) in exact}

    def _reference_key(self, entity: str, fallback: Sequence[str]) -> list[str]:
        key = self.settings.key_of(entity) or list(fallback)
        if not key:
            raise ConnectorError(f"entity '{entity}' has no key: set keys for it")
        return key

    # -- writes ----------------------------------------------------------------------------

    def write(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        key: Sequence[str],
        mode: WriteMode,
        organization: str | None = None,
        stamps: bool = True,
    ) -> WriteOutcome:
        """Upsert (or insert, or update) a batch by key; a new entity gets a new file."""
        path = self._path(entity)
        if path is None:
            if self.settings.format is None:
                raise SchemaError(
                    f"there is no file for entity '{entity}' and no format for new files"
                )
            file_format = format_for(self.settings.format, self.settings)
            path = self.folder / f"{entity}{file_format.suffix}"
            return upsert_file(None, path, file_format, records, key, mode)
        data = self._open(path)
        return upsert_file(data, path, data.format, records, key, mode)

    def delete(
        self,
        entity: str,
        keys: Sequence[dict[str, Any]],
        organization: str | None = None,
    ) -> WriteOutcome:
        """Delete the rows with these key values (a missing one is UNCHANGED)."""
        if not keys:
            return WriteOutcome([])
        path = self._path(entity)
        if path is None:
            return WriteOutcome([RecordStatus.UNCHANGED] * len(keys))
        return delete_rows(self._open(path), keys)

    def close(self) -> None:
        """Forget the opened files (nothing stays open between calls)."""
        self._opened.clear()


def _reference(record: Record, key: Sequence[str]) -> Any:
    values = tuple(record.get(k) for k in key)
    return values[0] if len(values) == 1 else values


def _typed(columns: Sequence[Any], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Given key values as the columns' kinds, so "5" finds a stored 5 (as is when not)."""
    typed = []
    for column, value in zip(columns, values, strict=True):
        try:
            typed.append(column.convert(value))
        except ValueError:
            typed.append(value)
    return tuple(typed)
