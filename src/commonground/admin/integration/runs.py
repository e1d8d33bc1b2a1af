"""Runs from the pages: run now, with all data, dry; cancel; the execution history; one run's
steps and record errors (paged); re-run.

Runs start in a background thread through the integration API's `RunLauncher`: the form
waits only until the execution exists, then lands on its page, which says Running until the
run ends (reload to follow it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.admin.render import done, page
from commonground.admin.sessions import checked_form
from commonground.api.integration.runs import RunLauncher
from commonground.errors import DefinitionError
from commonground.integration.history import Execution
from commonground.integration.integrator import Integrator

ERRORS_PAGE = 50
HISTORY_LIMIT = 100
MODES = {
    "incremental": ("run", False, False),
    "full": ("run with all data", True, False),
    "dry": ("dry run", False, True),
}
ERROR_KINDS = {
    "validation": "Validation errors",
    "export": "Export errors",
    "import": "Import errors",
}
ICONS = {"Completed": "✓", "Warning": "⚠", "Error": "✕", "Running": "…", "Cancelled": "⊘"}


@dataclass(frozen=True)
class Shown:
    """An execution as the history grid shows it."""

    execution: Execution
    icon: str
    duration: str


def duration(execution: Execution) -> str:
    """How long a run took ("running" while it runs)."""
    if execution.finished_on is None:
        return "running"
    return seconds_text((execution.finished_on - execution.submitted_on).total_seconds())


def seconds_text(seconds: float | None) -> str:
    """1.2 s, 3 min 4 s, 1 h 2 min."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


def shown(execution: Execution) -> Shown:
    """An execution with its status icon and duration."""
    return Shown(execution, ICONS.get(execution.status, "•"), duration(execution))


class RunPages:
    """Runs, history, drill-down, re-runs and cancels."""

    def __init__(self, integrator: Integrator) -> None:
        self.integrator = integrator
        self.launcher = RunLauncher(integrator)

    async def run(self, request: Request) -> Response:
        """Run a project now: incremental, with all data, or dry."""
        form = await checked_form(request)
        name = request.path_params["name"]
        mode = form.get("mode", "incremental")
        if mode not in MODES:
            raise DefinitionError(f"run: mode: choose one of {', '.join(MODES)}")
        label, full, dry_run = MODES[mode]

        def start(on_start: Callable[[int], None]) -> Execution:
            return self.integrator.run(name, full=full, dry_run=dry_run, on_start=on_start)

        execution = await run_in_threadpool(self.launcher.launch, name, start)
        return done(
            f"/integration/executions/{execution}", f"Started {label} {execution} of {name}."
        )

    async def rerun(self, request: Request) -> Response:
        """Run a past execution's project again, the same way."""
        await checked_form(request)
        past: int = request.path_params["id"]

        def start(on_start: Callable[[int], None]) -> Execution:
            return self.integrator.rerun(past, on_start=on_start)

        execution = await run_in_threadpool(self.launcher.launch, f"execution {past}", start)
        return done(
            f"/integration/executions/{execution}", f"Started re-run {execution} of run {past}."
        )

    async def cancel(self, request: Request) -> Response:
        """Ask a running execution to stop after its current batch."""
        await checked_form(request)
        execution: int = request.path_params["id"]
        asked = await run_in_threadpool(self.integrator.cancel, execution)
        message = (
            "Asked the run to stop after its current batch."
            if asked
            else "The run had already ended; there was nothing to cancel."
        )
        return done(f"/integration/executions/{execution}", message)

    async def history(self, request: Request) -> Response:
        """The newest executions first (one project's with `?project=`)."""
        project = request.query_params.get("project") or None
        found = await run_in_threadpool(self.integrator.history.list, project, HISTORY_LIMIT)
        return page(
            request,
            "integration/history.html",
            project=project,
            executions=[shown(e) for e in found],
        )

    async def execution(self, request: Request) -> Response:
        """One run: status, counts, steps with their counts, record errors a page at a time."""
        number: int = request.path_params["id"]
        offset = request.query_params.get("offset", "0")
        start = int(offset) if offset.isdigit() else 0
        kind = request.query_params.get("kind") or None
        if kind is not None and kind not in ERROR_KINDS:
            raise DefinitionError(f"kind: choose one of {', '.join(ERROR_KINDS)}")
        history = self.integrator.history

        def load() -> dict[str, Any]:
            execution = history.get(number)
            changes = history.previews(number, ERRORS_PAGE, 0) if execution.dry_run else []
            by_kind = history.count_errors_by_kind(number)
            return {
                "run": shown(execution),
                "steps": [(s, seconds_text(s.seconds)) for s in execution.steps],
                "errors": history.record_errors(number, ERRORS_PAGE, start, kind),
                "all_errors": sum(by_kind.values()),
                "total": by_kind.get(kind, 0) if kind else sum(by_kind.values()),
                "kinds": [(k, label, by_kind.get(k, 0)) for k, label in ERROR_KINDS.items()],
                "kind": kind,
                "changes": changes,
            }

        context = await run_in_threadpool(load)
        return page(
            request,
            "integration/execution.html",
            offset=start,
            size=ERRORS_PAGE,
            **context,
        )
