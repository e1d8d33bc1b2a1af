"""The Common Ground connector: one environment, embedded or remote, through the contract.

Writes go through the service's batch writer, one transaction per batch: it matches by key,
skips records that already hold the given values (no change-tracking noise), and reports
failing records while the rest commit. Stamps are VersionNumbers, as reads report them.
Lookups carry RecordIds; `resolve` turns key values into them. Entities declare no
organization field (an environment is one organization's data), so `organization` arguments
change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from commonground.errors import NotFoundError
from commonground.integration.connectors.commonground.access import (
    EnvironmentAccess,
    ReferencedRecordError,
)
from commonground.integration.connectors.commonground.embedded import EmbeddedAccess
from commonground.integration.connectors.commonground.matching import key_tuple, records_by_key
from commonground.integration.connectors.commonground.projection import projection
from commonground.integration.connectors.commonground.reading import read_batches
from commonground.integration.connectors.commonground.schema import entity_info
from commonground.integration.connectors.commonground.settings import CommonGroundSettings
from commonground.integration.connectors.shared import resolve_in_two_passes
from commonground.integration.contracts import (
    Batch,
    EntityInfo,
    ReadRequest,
    RecordFailure,
    RecordStatus,
    SchemaError,
    WriteMode,
    WriteOutcome,
)
from commonground.model.entity import RECORD_ID, Entity
from commonground.service import writes

STATUSES = {o: RecordStatus(o.value) for o in writes.Outcome}
SERVICE_MODES = {
    WriteMode.UPSERT: writes.WriteMode.UPSERT,
    WriteMode.INSERT: writes.WriteMode.CREATE,
    WriteMode.UPDATE: writes.WriteMode.UPDATE,
}


class CommonGroundConnector:
    """A connection to one Common Ground environment (see CommonGroundSettings)."""

    kind: ClassVar[str] = "commonground"
    Settings: ClassVar[type[CommonGroundSettings]] = CommonGroundSettings

    def __init__(self, settings: CommonGroundSettings) -> None:
        self.settings = settings
        self.access = open_access(settings)

    # -- discovery -------------------------------------------------------------------------

    def entities(self) -> list[EntityInfo]:
        """Every entity of the environment."""
        return [entity_info(e) for e in self.access.model.entities]

    def describe(self, entity: str) -> EntityInfo:
        """One entity (SchemaError when it does not exist)."""
        return entity_info(self._entity(entity))

    def _entity(self, name: str) -> Entity:
        try:
            return self.access.model.entity(name)
        except NotFoundError:
            raise SchemaError(
                f"entity '{name}' does not exist in environment {self.settings.environment}"
            ) from None

    # -- reads -----------------------------------------------------------------------------

    def read(self, request: ReadRequest) -> Iterator[Batch]:
        """Full or incremental reads in batches (see reading.py)."""
        size = min(request.batch_size, self.settings.batch_size)
        entity = self._entity(request.entity)
        return read_batches(self.access, entity, replace(request, batch_size=size))

    def fetch(
        self, entity: str, references: Sequence[Any], fields: Sequence[str]
    ) -> dict[Any, dict[str, Any]]:
        """The given fields (`lookup.keyfield` included) of records by RecordId."""
        definition = self._entity(entity)
        shape = projection(self.access.model, definition, fields)
        wanted = list(dict.fromkeys(int(r) for r in references if r is not None))
        found = records_by_key(
            self.access, definition, [RECORD_ID], [(r,) for r in wanted], shape.select
        )
        shaped = shape.shaped(self.access, found)
        return {r[RECORD_ID]: s for r, s in zip(found, shaped, strict=True)}

    def resolve(
        self,
        entity: str,
        key: Sequence[str],
        values: Sequence[tuple[Any, ...]],
        organization: str | None = None,
    ) -> dict[tuple[Any, ...], Any]:
        """RecordIds by key values: exact first, then text compared case-insensitively."""
        definition = self._entity(entity)
        fields = self._fields(definition, key)

        def matched(tuples: Sequence[tuple[Any, ...]], insensitive: bool) -> dict[Any, Any]:
            found = records_by_key(
                self.access, definition, fields, tuples, (RECORD_ID,), insensitive
            )
            return {key_tuple(r, fields): r[RECORD_ID] for r in found}

        return resolve_in_two_passes(
            values, lambda v: matched(v, False), lambda v: matched(v, True)
        )

    def _fields(self, entity: Entity, names: Sequence[str]) -> list[str]:
        fields = [entity.field_or_none(n) for n in names]
        missing = [n for n, f in zip(names, fields, strict=True) if f is None]
        if missing:
            raise SchemaError(f"entity {entity.name} has no field '{missing[0]}'")
        return [f.name for f in fields if f is not None]

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
        """One batch in one transaction; failing records are reported, the rest commit."""
        definition = self._entity(entity)
        if not records:
            return WriteOutcome([], [], [])
        fields = self._fields(definition, key)
        result = self.access.write(
            definition.name, records, SERVICE_MODES[mode], fields, versions=stamps
        )
        failures = [RecordFailure(e.index, e.field, e.message) for e in result.errors]
        return WriteOutcome(
            statuses=[STATUSES[o] for o in result.outcomes],
            failures=failures,
            stamps=[None if v is None else str(v) for v in result.versions] if stamps else None,
        )

    def delete(
        self,
        entity: str,
        keys: Sequence[dict[str, Any]],
        organization: str | None = None,
    ) -> WriteOutcome:
        """Delete records by key values; a missing one is UNCHANGED, a referenced one fails."""
        definition = self._entity(entity)
        statuses = [RecordStatus.UNCHANGED] * len(keys)
        ids: dict[int, int] = {}  # position -> RecordId
        for names, positions in _by_fields(keys).items():
            fields = self._fields(definition, names)
            tuples = [tuple(keys[p][n] for n in names) for p in positions]
            found = records_by_key(self.access, definition, fields, tuples, (RECORD_ID,))
            by_key = {key_tuple(r, fields): int(r[RECORD_ID]) for r in found}
            for position, values in zip(positions, tuples, strict=True):
                if values in by_key:
                    ids[position] = by_key[values]
        failures = self._delete_ids(definition.name, ids)
        for position in ids:
            statuses[position] = RecordStatus.DELETED
        for failure in failures:
            statuses[failure.position] = RecordStatus.FAILED
        return WriteOutcome(statuses, failures)

    def _delete_ids(self, entity: str, ids: dict[int, int]) -> list[RecordFailure]:
        """Delete all at once; when a referenced record stops that, one by one."""
        if not ids:
            return []
        try:
            self.access.delete(entity, sorted(set(ids.values())))
            return []
        except ReferencedRecordError:
            pass
        failures = []
        for position, record_id in ids.items():
            try:
                self.access.delete(entity, [record_id])
            except ReferencedRecordError as exc:
                failures.append(RecordFailure(position, None, str(exc)))
        return failures

    def close(self) -> None:
        """Release connections."""
        self.access.close()


def open_access(settings: CommonGroundSettings) -> EnvironmentAccess:
    """The embedded or remote access the settings describe."""
    if settings.is_remote:
        from commonground.integration.connectors.commonground.remote import RemoteAccess

        return RemoteAccess(settings)
    return EmbeddedAccess(settings)


def _by_fields(keys: Sequence[dict[str, Any]]) -> dict[tuple[str, ...], list[int]]:
    groups: dict[tuple[str, ...], list[int]] = {}
    for position, values in enumerate(keys):
        groups.setdefault(tuple(values), []).append(position)
    return groups
