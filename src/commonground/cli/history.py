"""`commonground history ...`: executions, their steps, record errors and dry-run changes."""

from __future__ import annotations

import typer
from rich.table import Table

from commonground.cli.output import console
from commonground.cli.run import summary
from commonground.cli.state import state_of

app = typer.Typer(help="Execution history: runs, steps, record errors, dry-run changes.")


@app.command("list")
def list_runs(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project", "-p", help="Only this project's runs."),
    limit: int = typer.Option(20, "--limit", help="How many of the newest runs."),
) -> None:
    """The newest runs: name, status, upserts and errors."""
    table = Table("Id", "Name", "Status", "Upserts", "Errors", "Finished")
    for e in state_of(ctx).integrator.history.list(project, limit):
        finished = f"{e.finished_on:%Y-%m-%d %H:%M:%S}" if e.finished_on else ""
        table.add_row(str(e.id), e.name, e.status, f"{e.upserts:,}", f"{e.errors:,}", finished)
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, execution: int) -> None:
    """One run with the counts of each step."""
    console.print(summary(state_of(ctx).integrator.history.get(execution)))


@app.command("errors")
def errors(
    ctx: typer.Context,
    execution: int,
    limit: int = typer.Option(100, "--limit"),
    offset: int = typer.Option(0, "--offset"),
) -> None:
    """Per-record errors: step, record id in source, field, message."""
    history = state_of(ctx).integrator.history
    total = history.count_errors(execution)
    table = Table(
        "Step",
        "Kind",
        "Record ID in source",
        "Field",
        "Error message",
        title=f"{total:,} error(s) in execution {execution}",
    )
    for e in history.record_errors(execution, limit, offset):
        table.add_row(
            e["step"],
            e["kind"],
            e["record"] or "",
            e["field"] or "",
            (f"{e['code']}: " if e["code"] else "") + e["message"],
        )
    console.print(table)


@app.command("changes")
def changes(
    ctx: typer.Context,
    execution: int,
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """What a dry run would insert and update, with the field-level differences."""
    table = Table("Step", "Action", "Record", "Differences (old -> new)")
    for item in state_of(ctx).integrator.history.previews(execution, limit):
        diffs = "; ".join(
            f"{f}: {old!r} -> {new!r}" for f, (old, new) in item["differences"].items()
        )
        table.add_row(item["step"], item["action"], item["record"], diffs)
    console.print(table)


@app.command("purge")
def purge(
    ctx: typer.Context,
    days: int | None = typer.Option(None, "--days", help="Keep this many days (default: setting)."),
) -> None:
    """Delete executions older than the retention period."""
    integrator = state_of(ctx).integrator
    removed = integrator.history.purge(days or integrator.retention_days)
    console.print(f"Purged {removed} execution(s)")
