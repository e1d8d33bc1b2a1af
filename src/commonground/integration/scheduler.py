"""The scheduler: fires projects whose schedule has an occurrence they have not fired yet.

A tick fires a project when an occurrence has passed since the
last one it fired; missed occurrences (the service was down) fire once, not once per miss.
Firing is claimed in the catalog with a compare-and-set, so several processes ticking at once
fire it once; the run itself holds the project's lease, so runs never overlap.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from commonground.errors import CommonGroundError
from commonground.integration.catalog.database import as_text, from_text, utc_now
from commonground.integration.definitions import ProjectDef
from commonground.integration.history import Execution, Trigger
from commonground.integration.integrator import Integrator, RunInProgressError
from commonground.integration.schedules import latest_occurrence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fired:
    """A project a tick started, and how its run ended (None when it could not start)."""

    project: str
    occurrence: datetime
    execution: Execution | None
    message: str | None = None


class Scheduler:
    """Fires due projects; `tick` once, or `run_forever` in a worker or the API server."""

    def __init__(self, integrator: Integrator) -> None:
        self.integrator = integrator
        self.table = integrator.db.table("schedule_state")
        self._stop = threading.Event()

    def due(self, now: datetime | None = None) -> list[tuple[ProjectDef, datetime]]:
        """Projects with an occurrence they have not fired yet."""
        now = now or utc_now()
        result = []
        for project in self.integrator.definitions.projects():
            occurrence = latest_occurrence(project.schedule, now)
            if occurrence is None:
                continue
            last = self.last_fired(project.name)
            if last is None or last < occurrence:
                result.append((project, occurrence))
        return result

    def last_fired(self, project: str) -> datetime | None:
        """The occurrence a project last fired for."""
        with self.integrator.db.engine.connect() as conn:
            value = conn.execute(
                select(self.table.c.last_fired_on).where(self.table.c.project == project)
            ).scalar()
        return from_text(value) if value else None

    def _claim(self, project: str, occurrence: datetime) -> bool:
        t = self.table
        with self.integrator.db.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.project == project)).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(t).values(project=project, last_fired_on=as_text(occurrence))
                        )
                except IntegrityError:
                    return False
                return True
            if row.last_fired_on is not None and row.last_fired_on >= as_text(occurrence):
                return False
            return bool(
                conn.execute(
                    update(t)
                    .where(t.c.project == project)
                    .where(
                        t.c.last_fired_on == row.last_fired_on
                        if row.last_fired_on is not None
                        else t.c.last_fired_on.is_(None)
                    )
                    .values(last_fired_on=as_text(occurrence))
                ).rowcount
            )

    def tick(self, now: datetime | None = None) -> list[Fired]:
        """Fire every due project once (each claim is atomic across processes)."""
        with self.integrator.keep_connectors():
            return [
                fired
                for project, occurrence in self.due(now)
                if (fired := self._fire(project, occurrence)) is not None
            ]

    def _fire(self, project: ProjectDef, occurrence: datetime) -> Fired | None:
        """Run a due project if this process wins the claim (None when another one did)."""
        if not self._claim(project.name, occurrence):
            return None
        try:
            execution = self.integrator.run(project.name, trigger=Trigger.SCHEDULED)
        except RunInProgressError as exc:
            return Fired(project.name, occurrence, None, str(exc))
        except CommonGroundError as exc:
            log.warning("scheduled run of %s failed to start: %s", project.name, exc)
            return Fired(project.name, occurrence, None, str(exc))
        return Fired(project.name, occurrence, execution)

    def run_forever(self, interval: float = 15.0) -> None:
        """Tick every `interval` seconds until `stop()`."""
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(interval)

    def stop(self) -> None:
        """Make `run_forever` return after its current tick."""
        self._stop.set()
