"""`commonground run ...`: run a project now (incremental, all data, or dry), re-run, cancel."""

from __future__ import annotations

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from commonground.cli.output import console
from commonground.cli.state import state_of
from commonground.integration.engine.progress import StepProgress
from commonground.integration.history import Execution

app = typer.Typer(help="Run projects now, re-run executions, cancel running ones.")

STATUS_STYLE = {"Completed": "green", "Warning": "yellow", "Error": "red", "Cancelled": "magenta"}


class ProgressBars:
    """One progress line per step, updated after every batch."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.lines: dict[str, TaskID] = {}

    def __call__(self, progress: StepProgress) -> None:
        update = progress
        c = update.counts
        text = (
            f"{update.step}: read {c.read:,}, inserted {c.inserted:,}, updated {c.updated:,}, "
            f"unchanged {c.unchanged:,}, errors {c.failed:,}"
        )
        if update.step not in self.lines:
            self.lines[update.step] = self.progress.add_task(text, total=None)
        line = self.lines[update.step]
        self.progress.update(line, description=text)
        if update.done:
            self.progress.update(line, total=1, completed=1)


def summary(execution: Execution) -> Table:
    """The end-of-run table: one row per step with its counts, then the run's status."""
    style = STATUS_STYLE.get(execution.status, "")
    table = Table(
        "Task",
        "Step",
        "Status",
        "Read",
        "Inserted",
        "Updated",
        "Unchanged",
        "Deleted",
        "Errors",
        title=f"{execution.name}: [{style}]{execution.status}[/]",
        caption=execution.message,
    )
    for step in execution.steps:
        c = step.counts
        table.add_row(
            step.task,
            step.step,
            step.status,
            f"{c.read:,}",
            f"{c.inserted:,}",
            f"{c.updated:,}",
            f"{c.unchanged:,}",
            f"{c.deleted:,}",
            f"{c.failed:,}",
        )
    return table


def _exit_for(execution: Execution) -> None:
    console.print(summary(execution))
    if execution.errors:
        console.print(f"See the errors with: commonground history errors {execution.id}")
    if execution.status in ("Error", "Cancelled"):
        raise typer.Exit(1)


@app.command("start")
def start(
    ctx: typer.Context,
    project: str,
    full: bool = typer.Option(False, "--all-data", help="Read everything, not only changes."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Write nothing; report what would be inserted and updated."
    ),
) -> None:
    """Run a project now, with a progress line per task and a summary table at the end."""
    integrator = state_of(ctx).integrator
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        execution = integrator.run(
            project, full=full, dry_run=dry_run, progress=ProgressBars(progress)
        )
    _exit_for(execution)
    if dry_run:
        console.print(f"See the would-be changes with: commonground history changes {execution.id}")


@app.command("rerun")
def rerun(ctx: typer.Context, execution: int) -> None:
    """Run a past execution's project again, the same way."""
    integrator = state_of(ctx).integrator
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        result = integrator.rerun(execution, progress=ProgressBars(progress))
    _exit_for(result)


@app.command("cancel")
def cancel(ctx: typer.Context, execution: int) -> None:
    """Ask a running execution to stop after its current batch."""
    if state_of(ctx).integrator.cancel(execution):
        console.print(f"Asked execution {execution} to stop after its current batch")
    else:
        console.print(f"Execution {execution} is not running")
        raise typer.Exit(1)
