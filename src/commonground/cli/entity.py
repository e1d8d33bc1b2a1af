"""`commonground entity ...`: list, show, create, add fields, import CDM definitions."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from commonground.cli.output import console
from commonground.cli.state import EnvOption, state_of
from commonground.errors import DefinitionError
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.yaml_loader import read_entity_file

app = typer.Typer(help="List, show, create and extend entities; import CDM definitions.")


@app.command("list")
def list_entities(
    ctx: typer.Context,
    env: str = EnvOption,
    custom: bool = typer.Option(False, "--custom", help="Only custom entities."),
) -> None:
    """List the entities of an environment."""
    environment = state_of(ctx).env(env)
    table = Table("Name", "Type", "Fields", "Primary name", "Description")
    for entity in sorted(environment.model.entities, key=lambda e: e.name):
        if custom and entity.standard:
            continue
        kind = "Standard" if entity.standard else "Custom"
        table.add_row(
            entity.name,
            kind,
            str(len(entity.fields)),
            entity.primary_name or "",
            entity.description or "",
        )
    console.print(table)


def describe(field: Field) -> str:
    """A field's type with its most telling property."""
    if field.target:
        return f"{field.type} -> {field.target} ({field.kind})"
    if field.picklist:
        return f"{field.type} ({field.picklist})"
    if field.max_length:
        return f"{field.type} ({field.max_length})"
    if field.prefix:
        return f"{field.type} (prefix {field.prefix})"
    return str(field.type)


@app.command("show")
def show(ctx: typer.Context, name: str, env: str = EnvOption) -> None:
    """Show an entity's fields, keys and field groups."""
    entity = state_of(ctx).env(env).model.entity(name)
    table = Table("Field", "Type", "Required", "Unique", "Searchable", "System", title=entity.name)
    for field in entity.all_fields:
        flags = [field.required, field.unique, field.searchable, field.system]
        table.add_row(field.name, describe(field), *("yes" if f else "" for f in flags))
    console.print(table)
    for key, fields in entity.keys.items():
        console.print(f"Key [bold]{key}[/]: {', '.join(fields)}")
    for group, fields in entity.field_groups.items():
        console.print(f"{group}: {', '.join(fields)}")


@app.command("create")
def create(
    ctx: typer.Context,
    file: Path | None = typer.Argument(None, help="A YAML entity definition."),
    name: str | None = typer.Option(
        None, "--name", help="Create an entity with just a Title field."
    ),
    env: str = EnvOption,
) -> None:
    """Create a custom entity from a YAML file, or an empty one by name."""
    if (file is None) == (name is None):
        raise DefinitionError("give either a YAML file or --name")
    entity = read_entity_file(file) if file is not None else Entity(name=name or "")
    state = state_of(ctx)
    created = state.env(env).create_entity(entity, state.caller)
    console.print(f"Created entity [bold]{created.name}[/] with {len(created.fields)} field(s)")


@app.command("add-field")
def add_field(
    ctx: typer.Context,
    entity: str,
    name: str,
    type_: str = typer.Option(..., "--type", help="Text, Integer, Number, Picklist, Lookup, ..."),
    max_length: int | None = typer.Option(None, help="Maximum length of a text field."),
    required: bool = typer.Option(False, help="A value must be present."),
    unique: bool = typer.Option(False, help="Values must be unique."),
    searchable: bool = typer.Option(False, help="Included in search."),
    default: str | None = typer.Option(None, help="Value used when none is given."),
    picklist: str | None = typer.Option(None, help="The picklist of a Picklist field."),
    target: str | None = typer.Option(None, help="The target entity of a Lookup field."),
    prefix: str | None = typer.Option(None, help="The prefix of an AutoNumber field."),
    env: str = EnvOption,
) -> None:
    """Add a field to an entity (its data is kept)."""
    try:
        field = Field.model_validate(
            {
                k: v
                for k, v in {
                    "name": name,
                    "type": type_,
                    "max_length": max_length,
                    "required": required,
                    "unique": unique,
                    "searchable": searchable,
                    "default": default,
                    "picklist": picklist,
                    "target": target,
                    "prefix": prefix,
                }.items()
                if v is not None
            }
        )
    except ValueError as exc:
        raise DefinitionError(f"field {name}: {exc}") from exc
    state = state_of(ctx)
    updated = state.env(env).add_field(entity, field, state.caller)
    console.print(f"Added {describe(field)} field [bold]{field.name}[/] to {updated.name}")


@app.command("import-cdm")
def import_cdm_command(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ..., help="A .cdm.json entity document, a manifest or a model.json."
    ),
    schema_root: Path | None = typer.Option(None, help="Root for absolute corpus paths."),
    env: str = EnvOption,
) -> None:
    """Import entities from open Common Data Model definitions, with a report."""
    from commonground.model.cdm import import_cdm

    state = state_of(ctx)
    environment = state.env(env)
    result = import_cdm(path, schema_root=schema_root, existing=environment.model)
    for picklist in result.picklists:
        if not environment.model.has_picklist(picklist.name):
            environment.create_picklist(picklist, state.caller)
    for created in environment.create_entities(result.entities, state.caller):
        console.print(f"Imported entity [bold]{created.name}[/] ({len(created.fields)} fields)")
    if result.report:
        table = Table("Entity", "Attribute", "Not mapped as is", title="Import report")
        for line in result.report:
            table.add_row(line.entity, line.attribute or "", line.message)
        console.print(table)
