"""Transactional batches: queue inserts, updates, upserts and deletes; run them all or none.

with client.batch() as batch:
    batch.insert("SalesOrder", [order])
    batch.update("Account", [{"RecordId": 7, "VersionNumber": 41, "Status": "Inactive"}])
# committed here; a failure (e.g. a ConflictError for a stale version) applies nothing
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from commonground.sdk.backend import DeleteOp, Operation, OpResult, WriteOp
from commonground.service.writes import WriteMode

if TYPE_CHECKING:
    from commonground.sdk.backend import Backend


class Batch:
    """Queued operations, executed in one transaction by `execute()` or at the end of a `with`."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.operations: list[Operation] = []
        self.results: list[OpResult] = []

    def insert(self, entity: str, records: Sequence[dict[str, Any]]) -> Batch:
        """Queue new records."""
        self.operations.append(WriteOp(entity, list(records), WriteMode.CREATE))
        return self

    def update(
        self, entity: str, records: Sequence[dict[str, Any]], key: str | Sequence[str] | None = None
    ) -> Batch:
        """Queue changes to existing records (by RecordId, or by an alternate key).

        A record that carries its VersionNumber is only changed at that version; otherwise
        the batch fails with a ConflictError.
        """
        self.operations.append(WriteOp(entity, list(records), WriteMode.UPDATE, key))
        return self

    def upsert(
        self, entity: str, records: Sequence[dict[str, Any]], key: str | Sequence[str] | None = None
    ) -> Batch:
        """Queue inserts-or-updates by an alternate key."""
        self.operations.append(WriteOp(entity, list(records), WriteMode.UPSERT, key))
        return self

    def delete(self, entity: str, record_id: int, version: int | None = None) -> Batch:
        """Queue a delete, checked against `version` when given."""
        self.operations.append(DeleteOp(entity, [record_id], [version]))
        return self

    def delete_without_concurrency_check(self, entity: str, record_ids: Sequence[int]) -> Batch:
        """Queue deletes that do not check versions."""
        self.operations.append(DeleteOp(entity, list(record_ids)))
        return self

    def execute(self) -> list[OpResult]:
        """Run every queued operation in one transaction; returns one result per operation."""
        operations, self.operations = self.operations, []
        self.results = self._backend.execute(operations)
        return self.results

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None and self.operations:
            self.execute()
