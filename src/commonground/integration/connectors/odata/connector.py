"""The OData connector (kind `odata`): any OData v4 service, through its JSON API.

Discovery reads `$metadata` once per connection. A record's reference is its declared key
value (a tuple for a composite key), which is also what a lookup field holds and what
`resolve` returns; writes bind lookups to `Target(key)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from commonground.integration.connectors.files.columns import Column
from commonground.integration.connectors.odata.http import ODataHttp
from commonground.integration.connectors.odata.matching import rows_by_key
from commonground.integration.connectors.odata.metadata import EntitySet, parse_metadata
from commonground.integration.connectors.odata.projection import project
from commonground.integration.connectors.odata.reading import SetReader
from commonground.integration.connectors.odata.settings import ODataSettings
from commonground.integration.connectors.odata.writing import SetWriter
from commonground.integration.connectors.shared import resolve_in_two_passes
from commonground.integration.contracts import (
    Batch,
    EntityInfo,
    ReadRequest,
    SchemaError,
    WriteMode,
    WriteOutcome,
)


class ODataConnector:
    """A connection to one OData v4 service (see ODataSettings)."""

    kind: ClassVar[str] = "odata"
    Settings: ClassVar[type[ODataSettings]] = ODataSettings

    def __init__(self, settings: ODataSettings) -> None:
        self.settings = settings
        self.http = ODataHttp(settings)
        self._sets: dict[str, EntitySet] | None = None

    # -- discovery -------------------------------------------------------------------------

    def _entity_sets(self) -> dict[str, EntitySet]:
        if self._sets is None:
            response = self.http.send("GET", "$metadata", headers={"Accept": "application/xml"})
            self._sets = parse_metadata(response.content)
        return self._sets

    def _set(self, name: str) -> EntitySet:
        found = self._entity_sets().get(name.lower())
        if found is None:
            raise SchemaError(f"the service at {self.settings.root} has no entity set '{name}'")
        return found

    def entities(self) -> list[EntityInfo]:
        """Every entity set of the service."""
        return [self.describe(s.info.name) for s in self._entity_sets().values()]

    def describe(self, entity: str) -> EntityInfo:
        """One entity set, with the configured key and cursor added to what `$metadata` says."""
        info = self._set(entity).info
        key = self.settings.key_of(entity)
        keys = info.keys if not key or tuple(key) in info.keys else (*info.keys, tuple(key))
        return EntityInfo(
            name=info.name,
            fields=info.fields,
            keys=keys,
            change_tracking=info.change_tracking,
            cursor=self.settings.cursor_of(entity),
        )

    # -- reads -----------------------------------------------------------------------------

    def read(self, request: ReadRequest) -> Iterator[Batch]:
        """Full or incremental reads (see reading.py)."""
        entity = self._set(request.entity)
        cursor = self.settings.cursor_of(request.entity)
        reader = SetReader(self.http, entity, self._set, cursor, self.settings.page_size)
        return reader.read(request)

    def fetch(
        self, entity: str, references: Sequence[Any], fields: Sequence[str]
    ) -> dict[Any, dict[str, Any]]:
        """The given fields (`lookup.keyfield` included) of the records with these keys."""
        found = self._set(entity)
        shape = project(found, fields, self._set, extra=found.key)
        tuples = [r if isinstance(r, tuple) else (r,) for r in references if r is not None]
        result: dict[Any, dict[str, Any]] = {}
        for row in rows_by_key(self.http, found.info.name, found.key, tuples, shape.params):
            record = shape.record(row)
            result[_reference(found, row)] = {f: record.get(f) for f in fields}
        return result

    def resolve(
        self,
        entity: str,
        key: Sequence[str],
        values: Sequence[tuple[Any, ...]],
        organization: str | None = None,
    ) -> dict[tuple[Any, ...], Any]:
        """References (declared key values) by key values: exact, then case-insensitively."""
        found = self._set(entity)
        writer = SetWriter(self.http, found, self._set)
        names = [writer.property(k) for k in key]
        params = {"$select": ",".join(dict.fromkeys([*names, *found.key]))}

        def typed(value: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(_converted(writer, n, v) for n, v in zip(names, value, strict=True))

        def matched(tuples: Sequence[tuple[Any, ...]], insensitive: bool) -> dict[Any, Any]:
            rows = rows_by_key(self.http, found.info.name, names, tuples, params, insensitive)
            return {typed(tuple(r.get(n) for n in names)): _reference(found, r) for r in rows}

        given = {v: typed(v) for v in values}
        refs = resolve_in_two_passes(
            list(given.values()), lambda v: matched(v, False), lambda v: matched(v, True)
        )
        return {v: refs[t] for v, t in given.items() if t in refs}

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
        """Upsert a batch by key in one change set (see writing.py)."""
        return SetWriter(self.http, self._set(entity), self._set).write(records, key, mode)

    def delete(
        self,
        entity: str,
        keys: Sequence[dict[str, Any]],
        organization: str | None = None,
    ) -> WriteOutcome:
        """Delete records by key (a missing one is UNCHANGED)."""
        return SetWriter(self.http, self._set(entity), self._set).delete(keys)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()


def _reference(entity: EntitySet, row: dict[str, Any]) -> Any:
    values = tuple(Column(k, entity.kinds[k]).convert(row.get(k)) for k in entity.key)
    return values[0] if len(values) == 1 else values


def _converted(writer: SetWriter, name: str, value: Any) -> Any:
    try:
        return writer.convert(name, value)
    except ValueError:
        return value
