"""What an SDK client needs from the service it talks to; embedded and remote implement it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from commonground.query.plan import Query
from commonground.security.caller import SYSTEM, Caller
from commonground.service.codec import Record
from commonground.service.environment import Environment
from commonground.service.reads import ChangeSet
from commonground.service.writes import WriteMode, WriteResult


@dataclass(frozen=True)
class WriteOp:
    """A create, update or upsert of records of one entity."""

    entity: str
    records: Sequence[dict[str, Any]]
    mode: WriteMode
    key: str | Sequence[str] | None = None


@dataclass(frozen=True)
class DeleteOp:
    """A delete of records of one entity, optionally only at the given versions."""

    entity: str
    record_ids: Sequence[int]
    versions: Sequence[int | None] | None = None


Operation = WriteOp | DeleteOp
OpResult = WriteResult | int


class Backend(Protocol):
    """The data service as the SDK sees it."""

    def query(self, query: Query) -> list[Record]:
        """Records a query plan selects."""

    def count(self, query: Query) -> int:
        """How many records the query's filter matches."""

    def get(self, entity: str, record_id: int) -> Record:
        """One record by RecordId."""

    def get_by_key(self, entity: str, key: dict[str, Any]) -> Record:
        """One record by alternate key."""

    def execute(self, operations: Sequence[Operation]) -> list[OpResult]:
        """Run operations in one transaction: all succeed or none is applied."""

    def changes_since(
        self, entity: str, token: int, limit: int, select: tuple[str, ...] | None = None
    ) -> ChangeSet:
        """Changes of one entity after a token (changed records with the `select`ed fields)."""

    def entity_names(self) -> list[str]:
        """Names of the entities."""


class EmbeddedBackend:
    """The data service in this process, used with one caller's rights."""

    def __init__(self, env: Environment, caller: Caller = SYSTEM) -> None:
        self.env = env
        self.caller = caller

    def query(self, query: Query) -> list[Record]:
        """Records a query plan selects."""
        return self.env.query(query, self.caller)

    def count(self, query: Query) -> int:
        """How many records the query's filter matches."""
        return self.env.count(query, self.caller)

    def get(self, entity: str, record_id: int) -> Record:
        """One record by RecordId."""
        return self.env.get(entity, record_id, self.caller)

    def get_by_key(self, entity: str, key: dict[str, Any]) -> Record:
        """One record by alternate key."""
        return self.env.get_by_key(entity, key, self.caller)

    def execute(self, operations: Sequence[Operation]) -> list[OpResult]:
        """Run operations in one write transaction."""
        results: list[OpResult] = []
        with self.env.transaction(self.caller) as tx:
            for op in operations:
                if isinstance(op, WriteOp):
                    results.append(tx.write(op.entity, op.records, op.mode, op.key))
                else:
                    results.append(tx.delete(op.entity, op.record_ids, op.versions))
        return results

    def changes_since(
        self, entity: str, token: int, limit: int, select: tuple[str, ...] | None = None
    ) -> ChangeSet:
        """Changes of one entity after a token (changed records with the `select`ed fields)."""
        return self.env.changes_since(entity, token, limit, self.caller, select)

    def entity_names(self) -> list[str]:
        """Names of the entities."""
        return [e.name for e in self.env.model.entities]
