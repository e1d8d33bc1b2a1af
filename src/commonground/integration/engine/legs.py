"""One leg of one task: read the source in batches, map, resolve lookups, write, remember.

Per batch, in this order: skip echoes (records whose stamp equals the one this integrator last
wrote), run the advanced query, fetch the related keys the mapping reads from the source (these
three in the read-ahead thread, overlapping with the batch before), map, resolve lookups in the
destination (one call per target entity), write in one destination transaction, then store the
watermark, counts and record errors in one catalog transaction. Lookups in either system
remember what earlier batches of the leg found (memo.py). Because the watermark is stored only
after the destination committed, a crash at any point re-reads at most the batch in flight,
and writing it again by integration key is idempotent: nothing is lost and nothing is written
twice.

The cyclic garbage collector is held off while a leg runs: its batches make tens of thousands
of dicts and tuples, none of them in cycles, and each automatic pass rescanned the batches
read ahead (4% of a bulk load, more with the collector running during batches too). The
young objects are collected every `COLLECT_EVERY` batches instead, so cyclic garbage (of
this or another thread) stays bounded; a 1M-record load with no collection at all left the
same ~28,000 cyclic objects as a 200k one, all made while connections were opened."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from commonground.collector import paused_gc
from commonground.integration.contracts import (
    Batch,
    Connector,
    EntityInfo,
    ReadRequest,
    RecordStatus,
    WriteMode,
)
from commonground.integration.engine.memo import LookupMemo
from commonground.integration.engine.prefetch import Prefetch
from commonground.integration.engine.preview import preview_batch
from commonground.integration.engine.progress import ProgressListener, StepProgress
from commonground.integration.engine.state import RunState, key_text
from commonground.integration.history import FailedRecord, History, StepCounts
from commonground.integration.mapping import LegPlan
from commonground.integration.mapping.advanced import run_advanced_query

COLLECT_EVERY = 50  # batches between two collections of young objects (see above)


class RunCancelledError(Exception):
    """Raised between batches when someone cancelled the execution."""


@dataclass(frozen=True)
class Side:
    """One end of a leg: its connection, entity description, key and organization."""

    connection: str
    connector: Connector
    entity: EntityInfo
    key: list[str]
    organization: str | None

    @property
    def address(self) -> str:
        """`connection/entity`: where records come from or go to, for echo checks."""
        return f"{self.connection}/{self.entity.name}"


@dataclass(frozen=True)
class _SourceBatch:
    """A batch as read, the records left to map (echoes and query applied), and how many
    echoes were skipped."""

    batch: Batch
    records: list[dict[str, Any]]
    echoes: int


@dataclass(frozen=True)
class LegJob:
    """Everything one leg needs to run."""

    project: str
    execution: int
    task: str
    step: str
    step_id: int
    leg: int
    source: Side
    destination: Side
    plan: LegPlan
    filter: str | None
    query: str | None
    mode: WriteMode
    propagate_deletes: bool
    full: bool
    dry_run: bool
    batch_size: int
    remember_stamps: bool


class LegRunner:
    """Runs one leg to the end (or to a cancel) and returns its counts."""

    def __init__(
        self,
        job: LegJob,
        history: History,
        state: RunState,
        progress: ProgressListener,
        keep_going: Callable[[], bool],
    ) -> None:
        self.job = job
        self.history = history
        self.state = state
        self.progress = progress
        self.keep_going = keep_going
        self.counts = StepCounts()
        source, destination = job.source, job.destination
        self._fetch = LookupMemo(
            lambda entity, fields, references: source.connector.fetch(entity, references, fields)
        )
        self._resolve = LookupMemo(
            lambda entity, key, values: destination.connector.resolve(
                entity, key, values, destination.organization
            )
        )

    def run(self) -> StepCounts:
        """Every batch of the source, then the final counts."""
        job = self.job
        since = None if job.full else self.state.watermark(job.project, job.task, job.leg)
        fields = list(dict.fromkeys([*job.plan.read_fields(), *job.source.key]))
        check_echoes = self.state.has_stamps(job.source.connection, job.source.entity.name)
        request = ReadRequest(
            entity=job.source.entity.name,
            fields=None if job.query else fields,
            filter=job.filter,
            since=since,
            organization=job.source.organization,
            batch_size=job.batch_size,
            stamps=check_echoes,
        )
        with (
            paused_gc(),
            Prefetch(lambda: self._prepared(request, check_echoes)) as batches,
        ):
            for number, prepared in enumerate(batches, 1):
                if not self.keep_going():
                    raise RunCancelledError
                self._batch(prepared)
                if number % COLLECT_EVERY == 0:
                    gc.collect(1)
        return self.counts

    def _prepared(self, request: ReadRequest, check_echoes: bool) -> Iterator[_SourceBatch]:
        """The source half of each batch: echoes skipped, the advanced query run, related
        keys fetched. It runs in the read-ahead thread, so the source's lookups overlap with
        the destination's writes of the batch before; closing it closes the source read."""
        job = self.job
        batches = job.source.connector.read(request)
        try:
            for batch in batches:
                records = batch.records
                if check_echoes and batch.stamps is not None:
                    records = self._without_echoes(records, batch.stamps)
                echoes = len(batch.records) - len(records)
                if job.query:
                    records = run_advanced_query(job.query, records, job.task)
                job.plan.fill_related(
                    records,
                    lambda entity, references, fields: self._fetch(entity, fields, references),
                )
                yield _SourceBatch(batch, records, echoes)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    def _batch(self, prepared: _SourceBatch) -> None:
        job = self.job
        batch, records = prepared.batch, prepared.records
        self.counts.read += len(batch.records)
        self.counts.unchanged += prepared.echoes
        errors: list[FailedRecord] = []
        mapped = job.plan.apply(records)
        dest = job.destination
        job.plan.resolve_lookups(mapped, self._resolve)
        for failure in mapped.failures:
            errors.append(
                FailedRecord(
                    "export",
                    key_text(records[failure.position], job.source.key),
                    failure.source_field or failure.destination_field,
                    failure.message,
                )
            )
        self.counts.failed += len(mapped.failures)
        stamps: dict[str, str] = {}
        previews: list[dict[str, Any]] = []
        if job.dry_run:
            previews = preview_batch(
                dest.connector, dest.entity.name, dest.key, mapped.records, dest.organization
            )
            self.counts.add(
                RecordStatus.INSERTED if item["action"] == "insert" else RecordStatus.UPDATED
                for item in previews
            )
            self.counts.unchanged += len(mapped.records) - len(previews)
        elif mapped.records:
            outcome = dest.connector.write(
                dest.entity.name,
                mapped.records,
                dest.key,
                job.mode,
                dest.organization,
                stamps=job.remember_stamps,
            )
            self.counts.add(outcome.statuses)
            for refused in outcome.failures:
                source_position = mapped.positions[refused.position]
                errors.append(
                    FailedRecord(
                        "import",
                        key_text(records[source_position], job.source.key),
                        refused.field,
                        refused.message,
                    )
                )
            if job.remember_stamps and outcome.stamps is not None:
                for record, stamp in zip(mapped.records, outcome.stamps, strict=True):
                    if stamp is not None:
                        stamps[key_text(record, dest.key)] = stamp
        if job.propagate_deletes and batch.deleted and not job.dry_run:
            self._delete(batch.deleted, errors)
        self._commit(batch, errors, stamps, previews)

    def _without_echoes(
        self, records: list[dict[str, Any]], stamps: Sequence[str]
    ) -> list[dict[str, Any]]:
        job = self.job
        source = job.source
        echoes = self.state.echoes(
            source.connection,
            source.entity.name,
            records,
            stamps,
            source.key,
            job.destination.address,
        )
        return [r for r, echo in zip(records, echoes, strict=True) if not echo]

    def _delete(self, deleted: list[dict[str, Any]], errors: list[FailedRecord]) -> None:
        job = self.job
        dest = job.destination
        mapped = job.plan.apply(deleted)
        keys = [
            {k: r.get(k) for k in dest.key}
            for r in mapped.records
            if all(r.get(k) is not None for k in dest.key)
        ]
        if not keys:
            return
        outcome = dest.connector.delete(dest.entity.name, keys, dest.organization)
        self.counts.deleted += outcome.count(RecordStatus.DELETED)
        for failure in outcome.failures:
            errors.append(
                FailedRecord(
                    "import",
                    key_text(keys[failure.position], dest.key),
                    failure.field,
                    failure.message,
                )
            )
            self.counts.failed += 1

    def _commit(
        self,
        batch: Batch,
        errors: list[FailedRecord],
        stamps: dict[str, str],
        previews: list[dict[str, Any]],
    ) -> None:
        job = self.job
        with self.history.db.engine.begin() as conn:
            self.history.record_progress(
                job.step_id, self.counts, errors, job.execution, job.task, job.step, conn
            )
            if previews:
                self.history.add_previews(conn, job.execution, job.task, job.step, previews)
            if not job.dry_run:
                self.state.save_watermark(conn, job.project, job.task, job.leg, batch.watermark)
                if stamps:
                    self.state.remember(
                        conn,
                        job.destination.connection,
                        job.destination.entity.name,
                        stamps,
                        origin=job.source.address,
                    )
        self.progress(StepProgress(job.task, job.step, self.counts))
