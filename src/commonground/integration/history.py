"""Execution history: every run with its steps, counts and per-record errors.

A run's status follows the original: Completed (every record written), Warning (some written,
some failed), Error (nothing written, or the project failed validation). Runs are kept for a
retention period (45 days by default) and then purged.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, insert, select, update

from commonground.errors import NotFoundError
from commonground.integration.catalog.database import CatalogDatabase, as_text, utc_now
from commonground.integration.contracts import RecordStatus


class RunStatus(StrEnum):
    """Where a run is (the last three are the original's end states)."""

    RUNNING = "Running"
    CANCELLED = "Cancelled"
    COMPLETED = "Completed"
    WARNING = "Warning"
    ERROR = "Error"


class Trigger(StrEnum):
    """What started a run; shown in the run's name as the original did."""

    IMMEDIATE = "Immediate"
    SCHEDULED = "Scheduled"
    RERUN = "Rerun"


@dataclass
class StepCounts:
    """Counts of one step (one leg of one task) of a run."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0

    @property
    def upserts(self) -> int:
        """Records inserted or updated."""
        return self.inserted + self.updated

    def add(self, statuses: Iterable[RecordStatus]) -> None:
        """Count write outcomes (a status's value names the count it adds to)."""
        for status, number in Counter(statuses).items():
            setattr(self, status.value, getattr(self, status.value) + number)


@dataclass(frozen=True)
class FailedRecord:
    """One failed record: which record (`(key):(value)`), which field, why."""

    kind: str  # validation | export | import
    record: str | None
    field: str | None
    message: str
    code: str | None = None


@dataclass
class Step:
    """One step of a run as history shows it."""

    sequence: int
    task: str
    step: str
    status: str
    counts: StepCounts
    message: str | None
    seconds: float | None = None  # from start to end (None while running)


@dataclass
class Execution:
    """One run of a project."""

    id: int
    project: str
    name: str
    trigger: str
    full_run: bool
    dry_run: bool
    status: str
    submitted_on: datetime
    finished_on: datetime | None
    upserts: int
    errors: int
    message: str | None
    rerun_of: int | None
    steps: list[Step] = field(default_factory=list)


def run_name(project: str, when: datetime, trigger: Trigger) -> str:
    """`<ProjectName> <UTC timestamp> <trigger>`, like the original's history."""
    return f"{project} {as_text(when)} {trigger.value}"


class History:
    """Reads and writes the execution history in the catalog."""

    def __init__(self, db: CatalogDatabase) -> None:
        self.db = db
        self.executions = db.table("executions")
        self.steps = db.table("steps")
        self.errors = db.table("record_errors")

    def start(
        self,
        project: str,
        trigger: Trigger,
        full_run: bool,
        dry_run: bool,
        runner: str,
        rerun_of: int | None = None,
    ) -> int:
        """A new Running execution; its id."""
        now = utc_now()
        with self.db.engine.begin() as conn:
            result = conn.execute(
                insert(self.executions).values(
                    project=project,
                    name=run_name(project, now, trigger),
                    trigger=trigger.value,
                    full_run=full_run,
                    dry_run=dry_run,
                    status=RunStatus.RUNNING.value,
                    submitted_on=as_text(now),
                    upserts=0,
                    errors=0,
                    rerun_of=rerun_of,
                    cancel_requested=False,
                    runner=runner,
                )
            )
            return _new_id(result.inserted_primary_key)

    def add_step(self, execution: int, sequence: int, task: str, step: str) -> int:
        """A Running step of an execution; its id."""
        with self.db.engine.begin() as conn:
            result = conn.execute(
                insert(self.steps).values(
                    execution_id=execution,
                    sequence=sequence,
                    task=task,
                    step=step,
                    status=RunStatus.RUNNING.value,
                    started_on=as_text(utc_now()),
                )
            )
            return _new_id(result.inserted_primary_key)

    def record_progress(
        self,
        step_id: int,
        counts: StepCounts,
        errors: Sequence[FailedRecord],
        execution: int,
        task: str,
        step: str,
        conn: Connection | None = None,
    ) -> None:
        """Store a step's counts so far and the record errors of one batch."""
        if conn is None:
            with self.db.engine.begin() as own:
                self.record_progress(step_id, counts, errors, execution, task, step, own)
            return
        conn.execute(update(self.steps).where(self.steps.c.id == step_id).values(**counts.__dict__))
        self.add_errors(conn, execution, task, step, errors)

    def add_errors(
        self,
        conn: Connection,
        execution: int,
        task: str,
        step: str,
        errors: Sequence[FailedRecord],
    ) -> None:
        """Append record errors of one execution step."""
        if errors:
            conn.execute(
                insert(self.errors),
                [
                    {
                        "execution_id": execution,
                        "task": task,
                        "step": step,
                        "kind": e.kind,
                        "code": e.code,
                        "record": e.record,
                        "field": e.field,
                        "message": e.message,
                    }
                    for e in errors
                ],
            )

    def add_previews(
        self,
        conn: Connection,
        execution: int,
        task: str,
        step: str,
        previews: Sequence[dict[str, Any]],
    ) -> None:
        """Append a dry run's would-be changes (action, record, differences)."""
        conn.execute(
            insert(self.db.table("changes_preview")),
            [
                {
                    "execution_id": execution,
                    "task": task,
                    "step": step,
                    "action": p["action"],
                    "record": p["record"],
                    "differences": orjson.dumps(
                        p["differences"], default=str, option=orjson.OPT_NON_STR_KEYS
                    ).decode(),
                }
                for p in previews
            ],
        )

    def previews(
        self, execution: int, limit: int = 1000, offset: int = 0
    ) -> builtins.list[dict[str, Any]]:
        """What a dry run would have inserted and updated, with field differences."""
        table = self.db.table("changes_preview")
        query = (
            select(table)
            .where(table.c.execution_id == execution)
            .order_by(table.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.db.engine.connect() as conn:
            return [
                {**dict(r._mapping), "differences": orjson.loads(r.differences)}
                for r in conn.execute(query)
            ]

    def finish_step(self, step_id: int, status: RunStatus, message: str | None = None) -> None:
        """Close a step with its end status."""
        with self.db.engine.begin() as conn:
            conn.execute(
                update(self.steps)
                .where(self.steps.c.id == step_id)
                .values(status=status.value, message=message, finished_on=as_text(utc_now()))
            )

    def finish(
        self, execution: int, status: RunStatus, upserts: int, errors: int, message: str | None
    ) -> None:
        """Close an execution with its end status and totals."""
        with self.db.engine.begin() as conn:
            conn.execute(
                update(self.executions)
                .where(self.executions.c.id == execution)
                .values(
                    status=status.value,
                    upserts=upserts,
                    errors=errors,
                    message=message,
                    finished_on=as_text(utc_now()),
                )
            )

    def request_cancel(self, execution: int) -> bool:
        """Ask a running execution to stop after its current batch; False if not running."""
        with self.db.engine.begin() as conn:
            changed = conn.execute(
                update(self.executions)
                .where(self.executions.c.id == execution)
                .where(self.executions.c.status == RunStatus.RUNNING.value)
                .values(cancel_requested=True)
            ).rowcount
        if not changed:
            self.get(execution)  # NotFoundError when it does not exist
        return bool(changed)

    def cancel_requested(self, execution: int) -> bool:
        """Whether someone asked this execution to stop."""
        with self.db.engine.connect() as conn:
            return bool(
                conn.execute(
                    select(self.executions.c.cancel_requested).where(
                        self.executions.c.id == execution
                    )
                ).scalar()
            )

    def get(self, execution: int) -> Execution:
        """One execution with its steps."""
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(self.executions).where(self.executions.c.id == execution)
            ).first()
            if row is None:
                raise NotFoundError("Execution", str(execution))
            steps = conn.execute(
                select(self.steps)
                .where(self.steps.c.execution_id == execution)
                .order_by(self.steps.c.sequence, self.steps.c.id)
            ).all()
        result = _execution(row._mapping)
        result.steps = [
            Step(
                s.sequence,
                s.task,
                s.step,
                s.status,
                StepCounts(s.read, s.inserted, s.updated, s.unchanged, s.deleted, s.failed),
                s.message,
                _seconds(s.started_on, s.finished_on),
            )
            for s in steps
        ]
        return result

    def list(self, project: str | None = None, limit: int = 50) -> list[Execution]:
        """The newest executions first, of one project or all."""
        query = select(self.executions).order_by(self.executions.c.id.desc()).limit(limit)
        if project is not None:
            query = query.where(self.executions.c.project == project)
        with self.db.engine.connect() as conn:
            return [_execution(r._mapping) for r in conn.execute(query)]

    def record_errors(
        self, execution: int, limit: int = 1000, offset: int = 0, kind: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Per-record errors of an execution (of one kind: validation, export, import), in
        the order they happened."""
        query = (
            select(self.errors)
            .where(self.errors.c.execution_id == execution)
            .order_by(self.errors.c.id)
            .limit(limit)
            .offset(offset)
        )
        if kind is not None:
            query = query.where(self.errors.c.kind == kind)
        with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def count_errors(self, execution: int) -> int:
        """How many record errors an execution has."""
        return sum(self.count_errors_by_kind(execution).values())

    def count_errors_by_kind(self, execution: int) -> dict[str, int]:
        """How many record errors an execution has of each kind (kinds without any left out)."""
        query = (
            select(self.errors.c.kind, func.count())
            .where(self.errors.c.execution_id == execution)
            .group_by(self.errors.c.kind)
        )
        with self.db.engine.connect() as conn:
            return {str(kind): int(count) for kind, count in conn.execute(query)}

    def abandon_running(self, project: str, message: str) -> None:
        """Mark a project's Running executions as Error (their runner died)."""
        with self.db.engine.begin() as conn:
            conn.execute(
                update(self.executions)
                .where(self.executions.c.project == project)
                .where(self.executions.c.status == RunStatus.RUNNING.value)
                .values(
                    status=RunStatus.ERROR.value, message=message, finished_on=as_text(utc_now())
                )
            )

    def purge(self, keep_days: int) -> int:
        """Delete executions older than the retention period; how many went."""
        cutoff = as_text(utc_now() - timedelta(days=keep_days))
        with self.db.engine.begin() as conn:
            old = select(self.executions.c.id).where(self.executions.c.submitted_on < cutoff)
            for table in (self.errors, self.steps, self.db.table("changes_preview")):
                conn.execute(delete(table).where(table.c.execution_id.in_(old)))
            return int(
                conn.execute(
                    delete(self.executions).where(self.executions.c.submitted_on < cutoff)
                ).rowcount
            )


def _seconds(started: str | None, finished: str | None) -> float | None:
    if not started or not finished:
        return None
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def _new_id(key: Any) -> int:
    """The id the database gave an inserted row."""
    assert key is not None
    return int(key[0])


def _execution(row: Any) -> Execution:
    return Execution(
        id=row["id"],
        project=row["project"],
        name=row["name"],
        trigger=row["trigger"],
        full_run=bool(row["full_run"]),
        dry_run=bool(row["dry_run"]),
        status=row["status"],
        submitted_on=datetime.fromisoformat(row["submitted_on"]),
        finished_on=datetime.fromisoformat(row["finished_on"]) if row["finished_on"] else None,
        upserts=row["upserts"],
        errors=row["errors"],
        message=row["message"],
        rerun_of=row["rerun_of"],
    )
