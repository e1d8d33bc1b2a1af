"""`commonground env ...`: create, list, copy, delete, back up and restore environments, and
switch their access mode."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer
from rich.table import Table

from commonground.cli.output import console
from commonground.cli.state import state_of
from commonground.errors import DefinitionError, ForbiddenError
from commonground.service.environment import EnvironmentSettings

app = typer.Typer(help="Create, list, copy, delete, back up and restore environments.")


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name: a letter, then letters, digits or '_'."),
    open_access: bool = typer.Option(False, "--open", help="Open access (no entity security)."),
    description: str = typer.Option("", help="What the environment is for."),
) -> None:
    """Create an environment with its own database and the standard entities."""
    mode = "open" if open_access else "restricted"
    state = state_of(ctx)
    if not state.caller.admin:
        raise ForbiddenError("create environments", "this installation")
    settings = EnvironmentSettings(mode, description)
    env = state.environments.create(name, settings, owner=state.caller)
    count = len(env.model.entities)
    console.print(f"Created environment [bold]{env.name}[/] ({count} entities, {mode} access)")


@app.command("access")
def access(
    ctx: typer.Context,
    name: str,
    mode: str = typer.Argument(..., help="open (no entity security) or restricted."),
) -> None:
    """Switch an environment between open and restricted access."""
    if mode not in ("open", "restricted"):
        raise DefinitionError(f"access mode '{mode}': use open or restricted")
    state = state_of(ctx)
    env = state.env(name)
    env.set_settings(replace(env.settings, access_mode=mode), state.caller)
    console.print(f"Environment [bold]{env.name}[/] now has {mode} access")


@app.command("list")
def list_environments(ctx: typer.Context) -> None:
    """List the environments."""
    environments = state_of(ctx).environments
    table = Table("Name", "Access", "Entities", "Description")
    for name in environments.names():
        env = environments.open(name)
        table.add_row(
            env.name,
            env.settings.access_mode,
            str(len(env.model.entities)),
            env.settings.description,
        )
    console.print(table)


@app.command("copy")
def copy(ctx: typer.Context, source: str, target: str) -> None:
    """Copy an environment's schema and data into a new environment (e.g. a sandbox)."""
    env = state_of(ctx).environments.copy(source, target)
    console.print(f"Copied {source} to [bold]{env.name}[/]")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete an environment and all its data."""
    if not yes:
        typer.confirm(f"Delete environment {name} and all its data?", abort=True)
    state_of(ctx).environments.delete(name)
    console.print(f"Deleted environment {name}")


@app.command("backup")
def backup(
    ctx: typer.Context,
    name: str,
    file: Path = typer.Argument(..., help="Backup file to write (.zip)."),
) -> None:
    """Back up an environment (schema and data) to one file."""
    count = state_of(ctx).environments.backup(name, file)
    console.print(f"Backed up {name}: {count} records to {file}")


@app.command("restore")
def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Backup file to read."),
    name: str | None = typer.Option(None, "--name", help="Restore under this name instead."),
) -> None:
    """Restore a backup file as a new environment."""
    env = state_of(ctx).environments.restore(file, name)
    console.print(f"Restored [bold]{env.name}[/] from {file}")
