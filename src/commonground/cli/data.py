"""`commonground import` and `commonground export`: an entity's records to and from files.

Thin on purpose: `service.transfer` does the work (and is tested without the CLI); this module
parses options, draws the progress bar and prints the summary and the rejected rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from commonground.cli.app import app
from commonground.cli.output import console, errors, exit_code
from commonground.cli.state import EnvOption, state_of
from commonground.errors import DefinitionError, RecordError
from commonground.query.plan import Query
from commonground.service.tabular import open_sheet
from commonground.service.transfer import (
    ExportFormat,
    ImportRejectedError,
    ImportResult,
    export_entity,
    import_new_entity,
    import_sheet,
)


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (stdout stays clean); yields the function that advances it."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(
        *columns, console=errors, transient=True, disable=not errors.is_terminal
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.advance(task, done)


def parse_mapping(items: list[str]) -> dict[str, str]:
    """`column=Field` pairs; `column=` leaves the column out."""
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, target = item.rpartition("=")
        if not sep or not column.strip():
            raise typer.BadParameter(f"'{item}' is not column=Field", param_hint="--map")
        mapping[column.strip()] = target.strip()
    return mapping


def row_error_table(rejected: list[RecordError], title: str) -> Table:
    """Every rejected row: its row number in the file (the header is row 1), key, field, why."""
    table = Table("Row", "Key", "Field", "Problem", title=title)
    for error in rejected:
        table.add_row(str(error.index), error.record_key or "", error.field or "", error.message)
    return table


def print_summary(result: ImportResult, file: Path) -> None:
    """The counts of an import."""
    console.print(
        f"Imported {result.rows} row(s) from {file.name} into [bold]{result.entity}[/] "
        f"({result.matching}): {result.inserted} inserted, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.failed} failed",
        highlight=False,
    )


MapOption = typer.Option(
    None, "--map", help="column=Field or column=Field/Part (repeatable); column= skips it."
)
KeyOption = typer.Option(
    None,
    "--key",
    help="Key to match rows by (default: the primary key when the file has it); "
    "with --new-entity, the column that identifies a row.",
)
SkipOption = typer.Option(
    False, "--skip-errors", help="Write the good rows and report the bad ones."
)


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A .csv or .xlsx file whose first row names columns."),
    env: str = EnvOption,
    entity: str | None = typer.Option(None, "--entity", help="The entity to import into."),
    new_entity: str | None = typer.Option(
        None, "--new-entity", help="Create this custom entity from the file's columns first."
    ),
    mapping: list[str] | None = MapOption,
    key: str | None = KeyOption,
    skip_errors: bool = SkipOption,
) -> None:
    """Import a CSV or Excel file into an entity: all rows or, by default, none."""
    if (entity is None) == (new_entity is None):
        raise DefinitionError("give either --entity or --new-entity")
    state = state_of(ctx)
    environment = state.env(env)
    sheet = open_sheet(file)
    columns = parse_mapping(mapping or [])
    try:
        with progress_bar("Importing", sheet.count()) as advance:
            if new_entity is None:
                result = import_sheet(
                    environment,
                    entity or "",
                    sheet,
                    columns,
                    key,
                    skip_errors,
                    on_rows=advance,
                    caller=state.caller,
                )
            else:
                created, result = import_new_entity(
                    environment, new_entity, sheet, key, columns, skip_errors, advance, state.caller
                )
                shown = f"Created entity [bold]{created.name}[/] ({len(created.fields)} fields)"
                console.print(shown, highlight=False)
    except ImportRejectedError as exc:
        title = f"{exc.result.failed} invalid row(s) in {file.name}; nothing was written"
        errors.print(row_error_table(exc.errors, title))
        raise typer.Exit(exit_code(exc)) from exc
    if result.errors:
        title = f"{result.failed} invalid row(s) in {file.name} were skipped"
        errors.print(row_error_table(result.errors, title))
    print_summary(result, file)


@app.command("export")
def export_command(
    ctx: typer.Context,
    env: str = EnvOption,
    entity: str = typer.Option(..., "--entity", help="The entity to export."),
    file_format: ExportFormat | None = typer.Option(
        None, "--format", help="csv or xlsx (default: from --output, else csv)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: <Entity>.<format>)."
    ),
) -> None:
    """Export every record of an entity to a CSV or Excel file that imports back unchanged."""
    state = state_of(ctx)
    environment = state.env(env)
    name = environment.model.entity(entity).name
    if file_format is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        file_format = ExportFormat(suffix) if suffix in set(ExportFormat) else ExportFormat.CSV
    path = output or Path(f"{name}.{file_format.value}")
    with progress_bar("Exporting", environment.count(Query(name), state.caller)) as advance:
        count = export_entity(environment, name, path, file_format, advance, state.caller)
    console.print(f"Exported {count} {name} record(s) to {path}", highlight=False)
