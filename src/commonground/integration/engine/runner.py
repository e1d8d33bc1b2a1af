"""One execution of a project: open its connections, validate every task, then run the legs.

Validation comes first and covers the whole project, so a project with a mapping problem ends
with status Error and the list of problems, having written nothing (as the original's
"Project validation step"). Legs run in task order; a leg whose system fails is recorded as
failed and the run goes on with the next task where it safely can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from commonground.errors import CommonGroundError
from commonground.integration.contracts import Connector, EntityInfo, SchemaError
from commonground.integration.definitions import ConnectionSetDef, Leg, ProjectDef, TaskDef
from commonground.integration.engine.connections import RunConnectors
from commonground.integration.engine.legs import LegJob, LegRunner, RunCancelledError, Side
from commonground.integration.engine.progress import ProgressListener, StepProgress
from commonground.integration.engine.state import RunState
from commonground.integration.history import FailedRecord, History, RunStatus, StepCounts
from commonground.integration.mapping import compile_leg
from commonground.integration.mapping.advanced import query_entity
from commonground.integration.mapping.validation import Problem, validate_leg

VALIDATION_STEP = "Project validation step"


@dataclass
class RunTotals:
    """What a run did, summed over its steps."""

    upserts: int = 0
    errors: int = 0
    failed_steps: list[str] = field(default_factory=list)

    def status(self) -> RunStatus:
        """Completed, Warning (some written, some failed) or Error (nothing written)."""
        if self.errors == 0 and not self.failed_steps:
            return RunStatus.COMPLETED
        return RunStatus.WARNING if self.upserts else RunStatus.ERROR


@dataclass(frozen=True)
class RunOptions:
    """How to run: incremental or with all data, for real or as a dry run."""

    full: bool = False
    dry_run: bool = False
    batch_size: int = 5000


class ProjectRun:
    """Runs one execution of one project to its end status."""

    def __init__(
        self,
        connectors: RunConnectors,
        history: History,
        state: RunState,
        project: ProjectDef,
        execution: int,
        options: RunOptions,
        progress: ProgressListener,
        keep_going: Callable[[], bool],
    ) -> None:
        self.definitions = connectors.definitions
        self.connectors = connectors
        self.history = history
        self.state = state
        self.project = project
        self.execution = execution
        self.options = options
        self.progress = progress
        self.keep_going = keep_going
        self.links: ConnectionSetDef = self.definitions.connection_set(project.connection_set)
        self._connectors: dict[str, Connector] = {}
        self._described: dict[tuple[str, str], EntityInfo] = {}

    def execute(self) -> tuple[RunStatus, RunTotals, str | None]:
        """Validate, run every leg, and return the end status with totals and a message."""
        totals = RunTotals()
        try:
            jobs, problems = self._prepare()
            if problems:
                self._report_problems(problems)
                totals.errors = len(problems)
                return (
                    RunStatus.ERROR,
                    totals,
                    f"project validation failed: {len(problems)} problem(s)",
                )
            for job in jobs:
                self._run_leg(job, totals)
        except RunCancelledError:
            return RunStatus.CANCELLED, totals, "cancelled on request"
        finally:
            for connector in self._connectors.values():
                self.connectors.release(connector)
        message = f"failed steps: {', '.join(totals.failed_steps)}" if totals.failed_steps else None
        return totals.status(), totals, message

    # -- preparation ---------------------------------------------------------------------

    def _connector(self, role: str) -> Connector:
        if role not in self._connectors:
            self._connectors[role] = self.connectors.open(self.links.connections[role])
        return self._connectors[role]

    def _describe(self, role: str, entity: str) -> EntityInfo:
        if (role, entity) not in self._described:
            self._described[(role, entity)] = self._connector(role).describe(entity)
        return self._described[(role, entity)]

    def _organization(self, role: str) -> str | None:
        if self.project.organization is None:
            return None
        return self.links.organizations[self.project.organization].get(role)

    def _prepare(self) -> tuple[list[LegJob], list[Problem]]:
        problems: list[Problem] = []
        jobs: list[LegJob] = []
        readers = self._entities_read_by_projects()
        for task in self.project.tasks:
            for index, leg in enumerate(task.legs):
                job = self._prepare_leg(task, index, leg, readers, problems)
                if job is not None:
                    jobs.append(job)
        return jobs, problems

    def _prepare_leg(
        self,
        task: TaskDef,
        index: int,
        leg: Leg,
        readers: set[tuple[str, str]],
        problems: list[Problem],
    ) -> LegJob | None:
        for role in (leg.source, leg.destination):
            if role not in self.links.connections:
                problems.append(
                    Problem(
                        "DIPV1007",
                        task.name,
                        None,
                        f"role '{role}' is not a connection of connection set '{self.links.name}'",
                    )
                )
                return None
        try:
            source = self._describe(leg.source, leg.source_entity)
        except SchemaError as exc:
            problems.append(
                Problem("DIPV1018", task.name, leg.source_entity, f"Source schema missing: {exc}")
            )
            return None
        except CommonGroundError as exc:
            problems.append(
                Problem("DIPV1000", task.name, None, f"Connection validation failed: {exc}")
            )
            return None
        try:
            destination = self._describe(leg.destination, leg.destination_entity)
        except SchemaError as exc:
            problems.append(
                Problem(
                    "DIPV1020",
                    task.name,
                    leg.destination_entity,
                    f"Destination schema missing: {exc}",
                )
            )
            return None
        except CommonGroundError as exc:
            problems.append(
                Problem("DIPV1000", task.name, None, f"Connection validation failed: {exc}")
            )
            return None
        problems.extend(self._organization_problems(task, leg, source, destination))
        key = self.links.key_for(leg.destination, destination.name)
        source_key = self.links.key_for(leg.source, source.name) or list(
            source.keys[0] if source.keys else ()
        )
        leg_filter = task.source_filter(index)
        query = task.query if index == 0 else None
        found = validate_leg(task.name, leg, source, destination, key, leg_filter, query)
        problems.extend(found)
        if found or key is None:
            return None
        mapped_source = query_entity(query, source, task.name) if query else source
        source_connection = self.links.connections[leg.source]
        destination_connection = self.links.connections[leg.destination]
        step = (
            f"{task.name} -> From {source_connection} {source.name} "
            f"to {destination_connection} {destination.name}"
        )
        return LegJob(
            project=self.project.name,
            execution=self.execution,
            task=task.name,
            step=step,
            step_id=0,
            leg=index,
            source=Side(
                source_connection,
                self._connector(leg.source),
                source,
                source_key,
                self._organization(leg.source),
            ),
            destination=Side(
                destination_connection,
                self._connector(leg.destination),
                destination,
                key,
                self._organization(leg.destination),
            ),
            plan=compile_leg(leg, mapped_source, destination, key),
            filter=leg_filter,
            query=query,
            mode=task.mode,
            propagate_deletes=task.propagate_deletes,
            full=self.options.full,
            dry_run=self.options.dry_run,
            batch_size=self.options.batch_size,
            remember_stamps=(destination_connection, destination.name.lower()) in readers,
        )

    def _organization_problems(
        self, task: TaskDef, leg: Leg, source: EntityInfo, destination: EntityInfo
    ) -> list[Problem]:
        problems: list[Problem] = []
        for role, entity, code in (
            (leg.destination, destination, "DIPV1016"),
            (leg.source, source, "DIPV1017"),
        ):
            if entity.organization_field and self._organization(role) is None:
                valid = ", ".join(sorted({o[role] for o in self.links.organizations if role in o}))
                problems.append(
                    Problem(
                        code,
                        task.name,
                        entity.organization_field,
                        f"Organization mapping missing for {role} entity {entity.name}"
                        + (f" (valid organizations: {valid})" if valid else ""),
                    )
                )
        return problems

    def _entities_read_by_projects(self) -> set[tuple[str, str]]:
        """(connection, entity) pairs some project reads: writes there need echo stamps."""
        readers: set[tuple[str, str]] = set()
        sets = {s.name: s for s in self.definitions.connection_sets()}
        for project in self.definitions.projects():
            links = sets.get(project.connection_set)
            if links is None:
                continue
            for task in project.tasks:
                for leg in task.legs:
                    connection = links.connections.get(leg.source)
                    if connection is not None:
                        readers.add((connection, leg.source_entity.lower()))
        return readers

    # -- running -------------------------------------------------------------------------

    def _report_problems(self, problems: list[Problem]) -> None:
        step_id = self.history.add_step(self.execution, 0, "Project validation", VALIDATION_STEP)
        errors = [FailedRecord("validation", None, p.field, p.message, p.code) for p in problems]
        self.history.record_progress(
            step_id,
            StepCounts(failed=len(problems)),
            errors,
            self.execution,
            "Project validation",
            VALIDATION_STEP,
        )
        self.history.finish_step(step_id, RunStatus.ERROR, f"{len(problems)} problem(s)")

    def _run_leg(self, job: LegJob, totals: RunTotals) -> None:
        step_id = self.history.add_step(self.execution, self._sequence(job), job.task, job.step)
        job = replace(job, step_id=step_id)
        runner = LegRunner(job, self.history, self.state, self.progress, self.keep_going)
        try:
            counts = runner.run()
        except RunCancelledError:
            totals.upserts += runner.counts.upserts  # what the batches before the stop wrote
            totals.errors += runner.counts.failed
            self.history.finish_step(step_id, RunStatus.CANCELLED, "cancelled on request")
            raise
        except CommonGroundError as exc:
            counts = runner.counts
            totals.upserts += counts.upserts
            totals.errors += counts.failed
            totals.failed_steps.append(job.step)
            self.history.finish_step(step_id, RunStatus.ERROR, f"{type(exc).__name__}: {exc}")
            self.progress(StepProgress(job.task, job.step, counts, done=True))
            return
        totals.upserts += counts.upserts
        totals.errors += counts.failed
        status = RunStatus.COMPLETED
        if counts.failed:
            status = RunStatus.WARNING if counts.upserts or counts.unchanged else RunStatus.ERROR
        self.history.finish_step(step_id, status)
        self.progress(StepProgress(job.task, job.step, counts, done=True))

    def _sequence(self, job: LegJob) -> int:
        names = [t.name for t in self.project.tasks]
        return (names.index(job.task) + 1) * 10 + job.leg
