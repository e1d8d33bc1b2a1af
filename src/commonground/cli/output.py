"""Console output and the one place where errors become messages and exit codes."""

from __future__ import annotations

import orjson
import typer
from rich.console import Console
from rich.table import Table

from commonground.errors import (
    AlreadyExistsError,
    CommonGroundError,
    ConflictError,
    DefinitionError,
    ForbiddenError,
    NotFoundError,
    RecordValidationError,
    ReferentialIntegrityError,
    SchemaChangeError,
    StoreUnavailableError,
)

console = Console()
errors = Console(stderr=True)

# Exit codes: 1 anything else, 2 usage (typer), 3 not found, 4 invalid input or definition,
# 5 conflict with stored data, 6 the database is unavailable.
EXIT_CODES: tuple[tuple[type[CommonGroundError], int], ...] = (
    (NotFoundError, 3),
    (RecordValidationError, 4),
    (DefinitionError, 4),
    (SchemaChangeError, 4),
    (AlreadyExistsError, 5),
    (ConflictError, 5),
    (ReferentialIntegrityError, 5),
    (StoreUnavailableError, 6),
    (ForbiddenError, 7),
)


def print_json(value: object) -> None:
    """Machine-readable output (`--json`): one JSON document, no colours or wrapping."""
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def exit_code(error: CommonGroundError) -> int:
    """The exit code for an error."""
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return 1


def record_error_table(error: RecordValidationError, limit: int = 50) -> Table:
    """Per-record errors as a table: record, key, field, message."""
    table = Table(
        title=f"{len(error.errors)} invalid record(s) in {error.entity}; nothing was written"
    )
    for column in ("Record", "Key", "Field", "Problem"):
        table.add_column(column)
    for item in error.errors[:limit]:
        table.add_row(str(item.index + 1), item.record_key or "", item.field or "", item.message)
    if len(error.errors) > limit:
        table.caption = f"... and {len(error.errors) - limit} more"
    return table


def report(error: CommonGroundError) -> int:
    """Print an error for a person and return the exit code that goes with it."""
    if isinstance(error, RecordValidationError):
        errors.print(record_error_table(error))
    else:
        errors.print(f"[bold red]Error:[/] {error}", highlight=False)
    return exit_code(error)
