"""`commonground demo`: the Prospect to Cash scenario, end to end, as the README's main job.

A Sales app (served over its OData API by a server process) and an Operations app (an ERP's
tables in SQLite) are kept in step through the data service by a project per Prospect to
Cash template: accounts, contacts, products, quotes, orders both ways and invoices. The demo
generates the data, runs everything in the documented order with a progress line per task,
changes some records and runs again, then checks every destination against its source.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from commonground.apps.demo import Demo, DemoResult, TaskFigures
from commonground.cli.app import app
from commonground.cli.output import console
from commonground.cli.run import ProgressBars
from commonground.cli.state import State


def figures_table(title: str, figures: list[TaskFigures]) -> Table:
    """Per step: read, inserted, updated, unchanged, errors, and records written per second."""
    table = Table(
        "Project",
        "Step",
        "Read",
        "Inserted",
        "Updated",
        "Unchanged",
        "Errors",
        "Written/s",
        title=title,
    )
    for f in figures:
        rate = f"{f.written / f.seconds:,.0f}" if f.seconds and f.written else ""
        table.add_row(
            f.project,
            f.step,
            f"{f.read:,}",
            f"{f.inserted:,}",
            f"{f.updated:,}",
            f"{f.unchanged:,}",
            f"{f.failed:,}",
            rate,
        )
    return table


def verification_table(result: DemoResult) -> Table:
    """Per leg: records expected, matched, missing, different, refused, echoes; checksums."""
    table = Table(
        "Project",
        "Leg",
        "Expected",
        "Matched",
        "Missing",
        "Different",
        "Refused",
        "Echoes",
        "Checksum (source = destination)",
        title="Every destination against its source",
    )
    for c in result.checks:
        same = "=" if c.source_checksum == c.destination_checksum else "≠"
        table.add_row(
            c.project,
            c.step,
            f"{c.expected:,}",
            f"{c.matched:,}",
            f"{c.missing:,}",
            f"{c.different:,}",
            f"{c.rejected:,}",
            f"{c.echoes:,}",
            f"{c.source_checksum} {same} {c.destination_checksum}",
        )
    return table


@app.command("demo")
def demo(
    ctx: typer.Context,
    accounts: int = typer.Option(
        10_000,
        "--accounts",
        "--scale",
        min=1,
        help="Sample accounts; contacts, products, quotes, orders and invoices scale with it.",
    ),
    home: Path | None = typer.Option(
        None, "--home", help="Folder for the demo's systems (default: the global --home)."
    ),
) -> None:
    """The Prospect to Cash demo: Sales and Operations in step through the data service."""
    state: State = ctx.obj
    folder = home or state.home
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        result = Demo(folder, accounts, ProgressBars(progress), progress.console.print).run()
    written = sum(f.written for f in result.full)
    console.print(figures_table("Full run, in the documented order", result.full))
    console.print(
        f"Full run: {written:,} records written in {result.full_seconds:.1f} s "
        f"({written / max(result.full_seconds, 1e-9):,.0f}/s)"
    )
    console.print(figures_table("Incremental run after the changes", result.incremental))
    moved = sum(f.written for f in result.incremental)
    console.print(
        f"Incremental run: {moved:,} records written in {result.incremental_seconds:.1f} s"
    )
    console.print(verification_table(result))
    compared = sum(c.expected for c in result.checks)
    if result.verified:
        console.print(f"verified: yes, {len(result.checks)} legs, {compared:,} records match")
        return
    failing = [c for c in result.checks if not c.ok]
    for check in failing:
        for example in check.examples:
            console.print(f"  {check.project} {check.step}: {example}")
    console.print(f"verified: NO, {len(failing)} of {len(result.checks)} legs differ")
    raise typer.Exit(1)
