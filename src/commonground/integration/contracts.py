"""All the engine sees of a connector: its protocol and the values that cross it.

A connector reads and writes BATCHES of plain records (field name -> Python value) and knows
nothing about projects; the engine knows nothing about the system behind a connector. Built-in
connectors register through the `commonground.connectors` entry-point group exactly like
third-party ones, and every connector takes its settings as a pydantic model whose `SecretStr`
fields are the secrets (stored encrypted, never shown).

Values are plain Python: str, int, float, Decimal, bool, date, datetime (timezone-aware UTC),
UUID, None. A lookup field holds the connector's *reference* to the related record (the hub's
RecordId, a SQL foreign-key value); the engine never interprets references, it only carries
them from `resolve()` into a write.

Watermarks: a read returns batches in order, each carrying the watermark that is safe to store
once that batch, and every batch before it, is committed at the destination. A watermark is a
JSON-serialisable dict and opaque to the engine; passing it back in `ReadRequest.since` resumes
after the last record of that batch and never skips a record committed later (change tracking,
or a `(cursor, key)` pair compared as a tuple so that rows sharing a cursor value are not missed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from commonground.errors import CommonGroundError, TerminalError, TransientError


class ValueKind(StrEnum):
    """The portable type vocabulary the mapping validator compares (DIPV1030)."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    GUID = "guid"
    LOOKUP = "lookup"
    STRUCTURED = "structured"  # a compound value (address, person name) as a dict


@dataclass(frozen=True)
class FieldInfo:
    """One field of a connector's entity, as discovery reports it."""

    name: str
    kind: ValueKind
    max_length: int | None = None
    required: bool = False  # a write must give a value (no default exists)
    read_only: bool = False  # system-maintained; a mapping must not write it
    targets: tuple[str, ...] = ()  # for lookups: the entities it may reference


@dataclass(frozen=True)
class EntityInfo:
    """One entity (table, entity set, file) of a connection."""

    name: str
    fields: tuple[FieldInfo, ...]
    keys: tuple[tuple[str, ...], ...] = ()  # unique keys declared by the system
    change_tracking: bool = False  # incremental reads see every change, deletes included
    cursor: str | None = None  # the field incremental reads follow when there is no tracking
    organization_field: str | None = None  # the field holding the organization (company, BU)

    def field(self, name: str) -> FieldInfo | None:
        """A field by name, matched case-insensitively (None when absent)."""
        wanted = name.lower()
        return next((f for f in self.fields if f.name.lower() == wanted), None)


Watermark = dict[str, Any]


@dataclass(frozen=True)
class ReadRequest:
    """What to read from one entity.

    `fields` None means every field. `filter` is an OData `$filter` expression (the per-task
    source filter) that the connector applies at the source; a connector that cannot parse it
    raises FilterError. `since` None means a full read. `organization` restricts the read to one
    organization when the entity has an organization field. `stamps` False tells a connector
    that computes stamps (a hash of each row) that nobody needs them for this read.
    """

    entity: str
    fields: Sequence[str] | None = None
    filter: str | None = None
    since: Watermark | None = None
    organization: str | None = None
    batch_size: int = 5000
    stamps: bool = True


@dataclass
class Batch:
    """Records read in one go, in source order, with the watermark after them.

    `stamps` (when the connector has them) holds, per record, an opaque token of the record's
    stored state (a row version, or a hash of the whole row) computed the same way as the
    stamps a write returns: equal stamps mean the record has not changed since that write.
    `deleted` lists the key values of records deleted at the source (change tracking only).
    """

    records: list[dict[str, Any]]
    watermark: Watermark
    stamps: list[str] | None = None
    deleted: list[dict[str, Any]] = field(default_factory=list)


class WriteMode(StrEnum):
    """How a task writes: match by key and insert or update, or only one of the two."""

    UPSERT = "upsert"
    INSERT = "insert"
    UPDATE = "update"


class RecordStatus(StrEnum):
    """What a write did with one record."""

    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    FAILED = "failed"


@dataclass(frozen=True)
class RecordFailure:
    """Why one record of a batch was not written: its position in the batch, field, message."""

    position: int
    field: str | None
    message: str


@dataclass
class WriteOutcome:
    """The result of writing one batch: one status per record, failures, and stamps.

    Records that fail are reported and skipped; the others are committed together. `stamps`
    (when the connector has them) holds the stored state token of each written record, None for
    failed ones, comparable with `Batch.stamps` of a later read.
    """

    statuses: list[RecordStatus]
    failures: list[RecordFailure] = field(default_factory=list)
    stamps: list[str | None] | None = None

    def count(self, status: RecordStatus) -> int:
        """How many records ended with one status."""
        return sum(1 for s in self.statuses if s is status)


class ConnectorError(CommonGroundError):
    """A connector could not do what was asked (the system said no, or is unreachable)."""

    code = "ConnectorError"


class ConnectionFailedError(ConnectorError, TransientError):
    """The system is unreachable or timed out; a later run may succeed."""

    code = "ConnectionFailed"


class AuthenticationFailedError(ConnectorError, TerminalError):
    """The system refused the credentials."""

    code = "AuthenticationFailed"


class SchemaError(ConnectorError, TerminalError):
    """An entity or field the task needs is missing at the system (its schema changed)."""

    code = "SchemaChanged"


class FilterError(ConnectorError, TerminalError):
    """A source filter does not parse or names a field the entity lacks."""

    code = "InvalidFilter"


@runtime_checkable
class Connector(Protocol):
    """One open connection to a system. Every method works on batches.

    `kind` names the connector (the entry-point name); `Settings` validates a connection's
    parameters, and its `SecretStr` fields are the connection's secrets.
    """

    kind: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]

    def entities(self) -> list[EntityInfo]:
        """Every entity of the system with its fields and keys (discovery)."""
        ...

    def describe(self, entity: str) -> EntityInfo:
        """One entity (SchemaError when it does not exist)."""
        ...

    def read(self, request: ReadRequest) -> Iterator[Batch]:
        """Records in batches, full or since a watermark; memory stays flat in the data size."""
        ...

    def write(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        key: Sequence[str],
        mode: WriteMode,
        organization: str | None = None,
        stamps: bool = True,
    ) -> WriteOutcome:
        """Write one batch in one transaction, matching existing records by `key`.

        An existing record whose given fields already hold the given values is UNCHANGED and
        not written (no change-tracking noise). Fields left out of a record are not touched.
        When the entity has an organization field, `organization` is written into it and
        matching is within that organization. `stamps` False says nobody needs the outcome's
        stamps (no task reads the entity back), so a connector that reads the rows back to
        stamp them may skip that and leave `WriteOutcome.stamps` None.
        """
        ...

    def delete(
        self,
        entity: str,
        keys: Sequence[dict[str, Any]],
        organization: str | None = None,
    ) -> WriteOutcome:
        """Delete the records with these key values (a missing one is UNCHANGED)."""
        ...

    def resolve(
        self,
        entity: str,
        key: Sequence[str],
        values: Sequence[tuple[Any, ...]],
        organization: str | None = None,
    ) -> dict[tuple[Any, ...], Any]:
        """The references of the records whose `key` fields hold these values, in one query.

        Matching is exact first; values not found that way are matched again with text
        compared case-insensitively. The result is keyed by the given tuples; values that
        match no record are absent.
        """
        ...

    def fetch(
        self, entity: str, references: Sequence[Any], fields: Sequence[str]
    ) -> dict[Any, dict[str, Any]]:
        """The given fields of the records with these references (reads `lookup.keyfield`)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
