"""`commonground connection-set ...`: connections by role, organization mappings, keys."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from commonground.cli.definitions_io import parse_pairs, read_yaml
from commonground.cli.output import console
from commonground.cli.state import state_of
from commonground.errors import DefinitionError
from commonground.integration.definitions import ConnectionSetDef

app = typer.Typer(
    help="Group connections by role, with organization mappings and integration keys."
)


def _organizations(texts: list[str]) -> list[dict[str, str]]:
    rows = []
    for text in texts:
        row = {k: str(v) for k, v in parse_pairs(text.split(","), "--organization").items()}
        rows.append(row)
    return rows


def _keys(texts: list[str]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for text in texts:
        entity, sep, fields = text.partition("=")
        if not sep or "." not in entity or not fields:
            raise DefinitionError(f"--key '{text}' must look like role.Entity=field1,field2")
        keys[entity.strip()] = [f.strip() for f in fields.split(",") if f.strip()]
    return keys


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    connection: list[str] = typer.Option(
        [], "--connection", "-c", help="role=connection, e.g. sales=crm (2 or 3 of them)."
    ),
    organization: list[str] = typer.Option(
        [], "--organization", "-o", help="One mapping: role=org,role=org (repeat for several)."
    ),
    key: list[str] = typer.Option(
        [], "--key", help="Integration key: role.Entity=field1,field2 (repeat per entity)."
    ),
    file: Path | None = typer.Option(None, "--file", "-f", help="The whole set as YAML."),
    replace: bool = typer.Option(False, "--replace", help="Replace an existing set."),
) -> None:
    """Create a connection set."""
    data = read_yaml(file) if file else {}
    data["name"] = name
    if connection:
        data["connections"] = {
            k: str(v) for k, v in parse_pairs(connection, "--connection").items()
        }
    if organization:
        data["organizations"] = _organizations(organization)
    if key:
        data["keys"] = {**data.get("keys", {}), **_keys(key)}
    item = ConnectionSetDef.model_validate(data)
    state_of(ctx).integrator.definitions.save_connection_set(item, replace)
    console.print(f"Saved connection set [bold]{name}[/]")


@app.command("list")
def list_sets(ctx: typer.Context) -> None:
    """List connection sets with their connections."""
    table = Table("Name", "Connections", "Organization mappings", "Integration keys")
    for item in state_of(ctx).integrator.definitions.connection_sets():
        connections = ", ".join(f"{r}={c}" for r, c in item.connections.items())
        table.add_row(item.name, connections, str(len(item.organizations)), str(len(item.keys)))
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, name: str) -> None:
    """Show a set's organization mappings and integration keys."""
    item = state_of(ctx).integrator.definitions.connection_set(name)
    roles = list(item.connections)
    orgs = Table("#", *roles, title=f"{name}: organization mappings")
    for index, row in enumerate(item.organizations):
        orgs.add_row(str(index), *(row.get(r, "") for r in roles))
    keys = Table("Entity", "Key fields", title=f"{name}: integration keys")
    for entity, fields in item.keys.items():
        keys.add_row(entity, ", ".join(fields))
    console.print(orgs, keys)


@app.command("delete")
def delete(ctx: typer.Context, name: str) -> None:
    """Remove a connection set that no project uses."""
    state_of(ctx).integrator.definitions.delete_connection_set(name)
    console.print(f"Deleted connection set [bold]{name}[/]")
