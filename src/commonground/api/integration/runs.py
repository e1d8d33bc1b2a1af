"""Runs over HTTP: start a project, follow its execution, drill into errors, re-run, cancel.

A run can take minutes, so it never runs on the event loop nor holds the request: a
background thread calls `Integrator.run`, which reports the new execution's id through its
`on_start` callback as soon as the project's lease is held and the execution exists. The
request waits only for that moment and answers 202 with the id and a Location to poll; a
project that is already running (or does not exist) fails before that moment, so those
errors still reach the caller as 409 (or 404). A run that breaks after it started is closed
as Error with the reason, so its execution never stays Running.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from pydantic import StrictBool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.api.errors import ApiError
from commonground.api.integration.exchange import (
    BASE,
    Handlers,
    location,
    optional_object,
    query_int,
)
from commonground.api.metadata import parse
from commonground.api.payloads import json_response
from commonground.integration.definitions import Definition
from commonground.integration.history import Execution, RunStatus
from commonground.integration.integrator import Integrator

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0  # seconds a request waits for a run to get its lease and execution
MAX_PAGE = 1000

Start = Callable[[Callable[[int], None]], Execution]


class RunRequest(Definition):
    """How to run: incremental or with all data, for real or dry."""

    full: StrictBool = False
    dry_run: StrictBool = False


def execution_summary(execution: Execution) -> dict[str, Any]:
    """An execution as the history grid lists it."""
    return {
        "id": execution.id,
        "project": execution.project,
        "name": execution.name,
        "trigger": execution.trigger,
        "full_run": execution.full_run,
        "dry_run": execution.dry_run,
        "status": execution.status,
        "submitted_on": execution.submitted_on,
        "finished_on": execution.finished_on,
        "upserts": execution.upserts,
        "errors": execution.errors,
        "message": execution.message,
        "rerun_of": execution.rerun_of,
    }


def execution_detail(execution: Execution) -> dict[str, Any]:
    """An execution with its steps and their counts."""
    return {
        **execution_summary(execution),
        "steps": [
            {
                "sequence": s.sequence,
                "task": s.task,
                "step": s.step,
                "status": s.status,
                "counts": {**s.counts.__dict__, "upserts": s.counts.upserts},
                "message": s.message,
            }
            for s in execution.steps
        ],
    }


class RunLauncher:
    """Starts runs in background threads and hands back their execution ids."""

    def __init__(self, integrator: Integrator, timeout: float = START_TIMEOUT) -> None:
        self.integrator = integrator
        self.timeout = timeout

    def launch(self, label: str, start: Start) -> int:
        """Start a run in its own thread; its execution id once it exists (blocks until then).

        An error raised before the execution exists (unknown project, already running) is
        raised here.
        """
        started: queue.Queue[int | Exception] = queue.Queue(maxsize=1)

        def work() -> None:
            execution: int | None = None

            def on_start(new: int) -> None:
                nonlocal execution
                execution = new
                started.put(new)

            try:
                start(on_start)
            except Exception as exc:
                if execution is None:
                    started.put(exc)
                else:
                    self._close_failed(execution, exc)

        threading.Thread(target=work, name=f"integration run: {label}", daemon=True).start()
        try:
            first = started.get(timeout=self.timeout)
        except queue.Empty as exc:
            raise ApiError(
                503,
                "RunNotStarted",
                f"the run of {label} did not start within {self.timeout:.0f} s; "
                "see the executions list before trying again",
                {"Retry-After": "5"},
            ) from exc
        if isinstance(first, Exception):
            raise first
        return first

    def _close_failed(self, execution: int, exc: Exception) -> None:
        log.error("integration run %s failed", execution, exc_info=exc)
        history = self.integrator.history
        try:
            current = history.get(execution)
            if current.status == RunStatus.RUNNING:
                message = f"the run failed: {type(exc).__name__}: {exc}"
                history.finish(execution, RunStatus.ERROR, current.upserts, current.errors, message)
        except Exception:
            log.exception("could not close failed execution %s", execution)


class RunHandlers(Handlers):
    """Runs, executions, record errors, dry-run changes, re-runs and cancels."""

    def __init__(self, integrator: Integrator) -> None:
        super().__init__(integrator)
        self.launcher = RunLauncher(integrator)

    async def start_run(self, request: Request) -> Response:
        """Run a project now: `{"full": false, "dry_run": false}`; 202 with the execution."""
        name = request.path_params["name"]
        options = parse(RunRequest, await optional_object(request, "run"), "run")

        def start(on_start: Callable[[int], None]) -> Execution:
            return self.integrator.run(
                name, full=options.full, dry_run=options.dry_run, on_start=on_start
            )

        return await self._started(request, name, start)

    async def rerun(self, request: Request) -> Response:
        """Run a past execution's project again, the same way; 202 with the new execution."""
        past = request.path_params["id"]

        def start(on_start: Callable[[int], None]) -> Execution:
            return self.integrator.rerun(past, on_start=on_start)

        return await self._started(request, f"execution {past}", start)

    async def _started(self, request: Request, label: str, start: Start) -> Response:
        execution = await self.call(lambda: self.launcher.launch(label, start))
        found = await self.call(lambda: self.integrator.history.get(execution))
        return json_response(
            execution_summary(found), 202, location(request, f"executions/{execution}")
        )

    async def list_executions(self, request: Request) -> Response:
        """The newest executions first (`?project=` one project's, `?limit=` how many)."""
        project = request.query_params.get("project") or None
        limit = query_int(request, "limit", 50, 1, MAX_PAGE)
        history = self.integrator.history
        return await self.answer(
            lambda: [execution_summary(e) for e in history.list(project, limit)]
        )

    async def show_execution(self, request: Request) -> Response:
        """One execution: status, counts and steps."""
        execution = request.path_params["id"]
        return await self.answer(lambda: execution_detail(self.integrator.history.get(execution)))

    async def execution_errors(self, request: Request) -> Response:
        """Per-record errors in the order they happened (`?offset=&limit=`)."""
        execution = request.path_params["id"]
        offset = query_int(request, "offset", 0, 0, 2**31)
        limit = query_int(request, "limit", 100, 1, MAX_PAGE)
        history = self.integrator.history

        def work() -> Any:
            history.get(execution)  # 404 when there is none
            rows = history.record_errors(execution, limit, offset)
            return {
                "execution": execution,
                "total": history.count_errors(execution),
                "offset": offset,
                "limit": limit,
                "errors": [
                    {
                        k: r[k]
                        for k in ("task", "step", "kind", "code", "record", "field", "message")
                    }
                    for r in rows
                ],
            }

        return await self.answer(work)

    async def execution_changes(self, request: Request) -> Response:
        """What a dry run would have inserted and updated (`?offset=&limit=`)."""
        execution = request.path_params["id"]
        offset = query_int(request, "offset", 0, 0, 2**31)
        limit = query_int(request, "limit", 100, 1, MAX_PAGE)
        history = self.integrator.history

        def work() -> Any:
            if not history.get(execution).dry_run:
                raise ApiError(
                    400,
                    "NotADryRun",
                    f"execution {execution} was not a dry run; only dry runs record "
                    "the changes they would make",
                )
            rows = history.previews(execution, limit, offset)
            return {
                "execution": execution,
                "offset": offset,
                "limit": limit,
                "changes": [
                    {k: r[k] for k in ("task", "step", "action", "record", "differences")}
                    for r in rows
                ],
            }

        return await self.answer(work)

    async def cancel(self, request: Request) -> Response:
        """Ask a running execution to stop after its current batch (409 when it is not running)."""
        execution = request.path_params["id"]

        def work() -> Any:
            if not self.integrator.cancel(execution):
                ended = self.integrator.history.get(execution).status
                raise ApiError(
                    409,
                    "NotRunning",
                    f"execution {execution} is not running (it ended {ended}); "
                    "there is nothing to cancel",
                )
            return {
                "id": execution,
                "cancel_requested": True,
                "message": "the run stops after its current batch",
            }

        return await self.answer(work, 202)


def run_routes(handlers: RunHandlers) -> list[Route]:
    """The routes of runs and executions."""
    one = f"{BASE}/executions/{{id:int}}"
    return [
        Route(f"{BASE}/projects/{{name}}/runs", handlers.start_run, methods=["POST"]),
        Route(f"{BASE}/executions", handlers.list_executions, methods=["GET"]),
        Route(one, handlers.show_execution, methods=["GET"]),
        Route(f"{one}/errors", handlers.execution_errors, methods=["GET"]),
        Route(f"{one}/changes", handlers.execution_changes, methods=["GET"]),
        Route(f"{one}/rerun", handlers.rerun, methods=["POST"]),
        Route(f"{one}/cancel", handlers.cancel, methods=["POST"]),
    ]
