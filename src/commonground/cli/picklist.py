"""`commonground picklist ...`: list, show and create picklists."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from commonground.cli.output import console
from commonground.cli.state import EnvOption, state_of
from commonground.errors import DefinitionError
from commonground.model.yaml_loader import load_picklists

app = typer.Typer(help="List, show and create picklists (option sets).")


@app.command("list")
def list_picklists(
    ctx: typer.Context,
    env: str = EnvOption,
    custom: bool = typer.Option(False, "--custom", help="Only custom picklists."),
) -> None:
    """List picklists with their type (Standard or Custom) and item count."""
    table = Table("Name", "Type", "Items", "Display name")
    for picklist in sorted(state_of(ctx).env(env).model.picklists, key=lambda p: p.name.lower()):
        if custom and picklist.standard:
            continue
        kind = "Standard" if picklist.standard else "Custom"
        table.add_row(picklist.name, kind, str(len(picklist.items)), picklist.display_name or "")
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, name: str, env: str = EnvOption) -> None:
    """Show a picklist's items and their stored values."""
    picklist = state_of(ctx).env(env).model.picklist(name)
    table = Table("Item", "Value", "Display name", title=picklist.name)
    for item in picklist.items:
        table.add_row(item.name, str(item.value), item.display_name or "")
    console.print(table)


@app.command("create")
def create(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="YAML: name, display_name, description, items."),
    env: str = EnvOption,
) -> None:
    """Create custom picklists from a YAML file (one picklist, or `picklists:` with several)."""
    if not file.is_file():
        raise DefinitionError(f"{file} is not a file")
    state = state_of(ctx)
    environment = state.env(env)
    for picklist in load_picklists(file.read_text(encoding="utf-8"), str(file)):
        created = environment.create_picklist(picklist, state.caller)
        console.print(f"Created picklist [bold]{created.name}[/] with {len(created.items)} items")
