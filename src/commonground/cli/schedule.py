"""`commonground schedule ...`: recurring runs, notifications, and the worker that fires them."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from commonground.cli.output import console
from commonground.cli.state import state_of
from commonground.integration.catalog.database import utc_now
from commonground.integration.definitions import ScheduleDef, ScheduleUnit
from commonground.integration.scheduler import Scheduler
from commonground.integration.schedules import next_occurrence

app = typer.Typer(help="Schedule projects, and run the worker that fires them.")


@app.command("set")
def set_schedule(
    ctx: typer.Context,
    project: str,
    every: int | None = typer.Option(None, "--every", min=1, help="Recur every N units."),
    unit: ScheduleUnit | None = typer.Option(
        None, "--unit", help="minutes, hours, days, weeks or months."
    ),
    start: datetime | None = typer.Option(None, "--start", help="First run (UTC), default now."),
    end: datetime | None = typer.Option(None, "--end", help="No runs after this (UTC)."),
    notify: str = typer.Option(
        "", "--notify", help="Comma-separated emails for warnings and errors."
    ),
) -> None:
    """Set a project's schedule; without --every the project runs manually only."""
    store = state_of(ctx).integrator.definitions
    project_def = store.project(project)
    schedule = ScheduleDef(
        every=every,
        unit=unit if every else None,
        start=(start or utc_now()) if every else None,
        end=end,
        notify=[a.strip() for a in notify.split(",") if a.strip()],
    )
    if every and unit is None:
        raise typer.BadParameter("--unit is required with --every")
    store.save_project(project_def.model_copy(update={"schedule": schedule}), "cli", replace=True)
    upcoming = next_occurrence(schedule, utc_now())
    when = f"next run {upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "runs manually"
    console.print(f"Scheduled [bold]{project}[/]: {when}")


@app.command("list")
def list_schedules(ctx: typer.Context) -> None:
    """List every project's schedule and next run."""
    integrator = state_of(ctx).integrator
    table = Table("Project", "Recurrence", "Start", "End", "Next run", "Notify")
    now = utc_now()
    for project in integrator.definitions.projects():
        s = project.schedule
        recurrence = f"every {s.every} {s.unit.value}" if s.every and s.unit else "Manual"
        upcoming = next_occurrence(s, now)
        table.add_row(
            project.name,
            recurrence,
            f"{s.start:%Y-%m-%d %H:%M}" if s.start else "",
            f"{s.end:%Y-%m-%d %H:%M}" if s.end else "",
            f"{upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "Not scheduled",
            ", ".join(s.notify),
        )
    console.print(table)


@app.command("tick")
def tick(ctx: typer.Context) -> None:
    """Fire every project that is due now, once, and report what ran."""
    for fired in Scheduler(state_of(ctx).integrator).tick():
        status = fired.execution.status if fired.execution else fired.message
        console.print(f"{fired.project} ({fired.occurrence:%Y-%m-%d %H:%M} UTC): {status}")


@app.command("worker")
def worker(
    ctx: typer.Context,
    interval: float = typer.Option(15.0, "--interval", help="Seconds between checks."),
) -> None:
    """Fire due projects until stopped (Ctrl+C); safe to run in several processes at once."""
    scheduler = Scheduler(state_of(ctx).integrator)
    console.print(f"Scheduler running; checking every {interval:g}s (Ctrl+C to stop)")
    try:
        scheduler.run_forever(interval)
    except KeyboardInterrupt:
        scheduler.stop()
