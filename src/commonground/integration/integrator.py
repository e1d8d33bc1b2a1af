"""The integrator's front door: definitions, runs, re-runs, cancels and history in one place.

The CLI, the admin API and the scheduler all go through this class. A run holds the project's
lease for its whole duration, so two runs of one project never overlap, whichever process or
host starts them; a run whose runner died is marked Error by the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path

from commonground.errors import TerminalError
from commonground.integration.catalog.database import SCHEMA, CatalogDatabase
from commonground.integration.catalog.definitions_store import DefinitionStore
from commonground.integration.engine.connections import RunConnectors
from commonground.integration.engine.progress import ProgressListener, ignore_progress
from commonground.integration.engine.runner import ProjectRun, RunOptions
from commonground.integration.engine.state import RunState
from commonground.integration.history import Execution, History, RunStatus, Trigger
from commonground.integration.leases import Lease, new_holder
from commonground.integration.notifications import configured_server, notify
from commonground.integration.secrets import SecretBox
from commonground.settings import home_path, setting

DEFAULT_RETENTION_DAYS = 45


class RunInProgressError(TerminalError):
    """The project is running already (in this or another process)."""

    code = "RunInProgress"

    def __init__(self, project: str, holder: str | None) -> None:
        self.project = project
        super().__init__(
            f"project '{project}' is already running"
            + (f" (runner {holder})" if holder else "")
            + "; wait for it to finish or cancel it"
        )


class Integrator:
    """Definitions, runs and history of one installation's data integrator."""

    def __init__(
        self,
        home: Path | None = None,
        database_url: str | None = None,
        secret_key: bytes | None = None,
        lease_ttl: timedelta = timedelta(seconds=60),
        catalog_schema: str = SCHEMA,
    ) -> None:
        home = home or home_path()
        self.db = CatalogDatabase(home, database_url, catalog_schema)
        self.box = SecretBox(secret_key, home)
        self.definitions = DefinitionStore(self.db, self.box)
        self.history = History(self.db)
        self.state = RunState(self.db)
        self.connectors = RunConnectors(self.definitions)
        self.lease_ttl = lease_ttl
        self.retention_days = int(setting("history_days") or DEFAULT_RETENTION_DAYS)

    def close(self) -> None:
        """Release the catalog's connections."""
        self.db.close()

    def run(
        self,
        project_name: str,
        full: bool = False,
        dry_run: bool = False,
        trigger: Trigger = Trigger.IMMEDIATE,
        rerun_of: int | None = None,
        progress: ProgressListener = ignore_progress,
        batch_size: int | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> Execution:
        """Run a project now and return its finished execution.

        `on_start` is called with the new execution's id as soon as it exists, before any
        record moves: the admin API runs projects in a background thread and answers with it.
        """
        project = self.definitions.project(project_name)
        holder = new_holder()
        lease = Lease(self.db, f"project:{project.name}", holder, self.lease_ttl)
        if not lease.acquire():
            raise RunInProgressError(project.name, lease.holder_now())
        try:
            self.history.abandon_running(
                project.name, "the runner stopped before the run ended (process killed or crashed)"
            )
            self.history.purge(self.retention_days)
            execution = self.history.start(project.name, trigger, full, dry_run, holder, rerun_of)
            if on_start is not None:
                on_start(execution)
            options = RunOptions(
                full=full,
                dry_run=dry_run,
                batch_size=batch_size or int(setting("batch_size") or 5000),
            )

            def keep_going() -> bool:
                return lease.keep() and not self.history.cancel_requested(execution)

            run = ProjectRun(
                self.connectors,
                self.history,
                self.state,
                project,
                execution,
                options,
                progress,
                keep_going,
            )
            status, totals, message = run.execute()
            self.history.finish(execution, status, totals.upserts, totals.errors, message)
        finally:
            lease.release()
        finished = self.history.get(execution)
        if project.schedule.notify:
            notify(finished, project.schedule.notify, configured_server())
        return finished

    def keep_connectors(self) -> AbstractContextManager[None]:
        """Keep connectors open across the runs made inside the block (in one thread)."""
        return self.connectors.keep()

    def rerun(
        self,
        execution: int,
        progress: ProgressListener = ignore_progress,
        on_start: Callable[[int], None] | None = None,
    ) -> Execution:
        """Run a past execution's project again, the same way (full or not, dry or not)."""
        past = self.history.get(execution)
        return self.run(
            past.project,
            full=past.full_run,
            dry_run=past.dry_run,
            trigger=Trigger.RERUN,
            rerun_of=past.id,
            progress=progress,
            on_start=on_start,
        )

    def cancel(self, execution: int) -> bool:
        """Ask a running execution to stop after its current batch."""
        return self.history.request_cancel(execution)

    def is_running(self, project_name: str) -> bool:
        """Whether some runner holds the project's lease now."""
        return (
            Lease(self.db, f"project:{project_name}", "", self.lease_ttl).holder_now() is not None
        )


__all__ = ["Integrator", "RunInProgressError", "RunStatus"]
