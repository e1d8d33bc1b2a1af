"""`commonground connection ...`: the systems the integrator reads and writes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from commonground.cli.definitions_io import parse_pairs, read_yaml
from commonground.cli.output import console
from commonground.cli.state import state_of
from commonground.integration.definitions import ConnectionDef
from commonground.integration.registry import connector_types, open_connector

app = typer.Typer(help="Create, list, test and remove connections to systems.")

SettingOption = typer.Option(
    [], "--setting", "-s", help="A connector setting as key=value (repeat for several)."
)
SecretOption = typer.Option(
    [], "--secret", help="A secret setting to ask for without echo (e.g. client_secret)."
)


def _definition(
    name: str, kind: str | None, settings: list[str], secrets: list[str], file: Path | None
) -> ConnectionDef:
    data = read_yaml(file) if file else {}
    values = {**data.get("settings", {}), **parse_pairs(settings, "--setting")}
    for secret in secrets:
        values[secret] = typer.prompt(f"{secret}", hide_input=True)
    return ConnectionDef.model_validate(
        {
            "name": name,
            "kind": kind or data.get("kind", ""),
            "settings": values,
            "description": data.get("description", ""),
        }
    )


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    kind: str | None = typer.Option(None, "--kind", "-k", help="Connector kind (see `kinds`)."),
    setting: list[str] = SettingOption,
    secret: list[str] = SecretOption,
    file: Path | None = typer.Option(None, "--file", "-f", help="YAML with kind and settings."),
    replace: bool = typer.Option(False, "--replace", help="Replace an existing connection."),
) -> None:
    """Create a connection; secrets are stored encrypted and never shown."""
    store = state_of(ctx).integrator.definitions
    saved = store.save_connection(_definition(name, kind, setting, secret, file), replace)
    console.print(f"Saved connection [bold]{saved.name}[/] ({saved.kind})")


@app.command("list")
def list_connections(ctx: typer.Context) -> None:
    """List connections with their kind and settings (secrets masked)."""
    table = Table("Name", "Kind", "Settings", "Description")
    for item in state_of(ctx).integrator.definitions.connections():
        shown = ", ".join(f"{k}={v}" for k, v in sorted(item.settings.items()))
        table.add_row(item.name, item.kind, shown, item.description)
    console.print(table)


@app.command("kinds")
def kinds() -> None:
    """List the installed connector kinds (plug-ins included)."""
    for kind, cls in sorted(connector_types().items()):
        console.print(f"[bold]{kind}[/]  {(cls.__doc__ or '').strip().splitlines()[0]}")


@app.command("entities")
def entities(
    ctx: typer.Context,
    name: str,
    entity: str | None = typer.Option(None, "--entity", help="Show one entity's fields."),
) -> None:
    """Connect and list the system's entities, or one entity's fields (also a connection test)."""
    item = state_of(ctx).integrator.definitions.connection(name, reveal=True)
    connector = open_connector(item.kind, item.settings)
    try:
        if entity is None:
            table = Table("Entity", "Fields", "Keys", "Change tracking")
            for info in connector.entities():
                keys = "; ".join(",".join(k) for k in info.keys)
                table.add_row(
                    info.name, str(len(info.fields)), keys, "yes" if info.change_tracking else "no"
                )
        else:
            info = connector.describe(entity)
            table = Table(
                "Field", "Kind", "Max length", "Required", "Read-only", "Targets", title=info.name
            )
            for f in info.fields:
                table.add_row(
                    f.name,
                    f.kind.value,
                    str(f.max_length or ""),
                    "yes" if f.required else "",
                    "yes" if f.read_only else "",
                    ", ".join(f.targets),
                )
        console.print(table)
    finally:
        connector.close()


@app.command("delete")
def delete(ctx: typer.Context, name: str) -> None:
    """Remove a connection that no connection set uses."""
    state_of(ctx).integrator.definitions.delete_connection(name)
    console.print(f"Deleted connection [bold]{name}[/]")
