"""`commonground project ...` and `commonground template ...`: projects and their blueprints."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from commonground.cli.output import console
from commonground.cli.state import state_of
from commonground.errors import DefinitionError
from commonground.integration.catalog.database import utc_now
from commonground.integration.schedules import next_occurrence
from commonground.integration.templates.library import (
    Templates,
    project_file,
    project_from_yaml,
    template_from_yaml,
    to_yaml,
)

app = typer.Typer(help="Create, list, show, export and import integration projects.")
templates_app = typer.Typer(help="List, show, import and export project templates.")

USER = "cli"


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    template: str = typer.Option(..., "--template", "-t", help="Template to start from."),
    connection_set: str = typer.Option(..., "--connection-set", "-c", help="Connection set."),
    organization: int | None = typer.Option(
        None, "--organization", "-o", help="Index of the set's organization mapping to use."
    ),
    consent: bool = typer.Option(
        False, "--consent", help="Consent that data may move between these systems (required)."
    ),
) -> None:
    """Create a project from a template, bound to a connection set."""
    integrator = state_of(ctx).integrator
    project = Templates(integrator.definitions).create_project(
        template, name, connection_set, organization, consent, USER
    )
    console.print(f"Created project [bold]{project.name}[/] with {len(project.tasks)} task(s)")


@app.command("list")
def list_projects(ctx: typer.Context) -> None:
    """List projects with their connections, latest sync and next sync."""
    integrator = state_of(ctx).integrator
    sets = {s.name: s for s in integrator.definitions.connection_sets()}
    table = Table("Name", "Connections", "Latest sync", "Next sync")
    now = utc_now()
    for project in integrator.definitions.projects():
        links = sets.get(project.connection_set)
        connections = ", ".join(links.connections.values()) if links else project.connection_set
        latest = integrator.history.list(project.name, limit=1)
        last = f"{latest[0].status} {latest[0].submitted_on:%Y-%m-%d %H:%M}" if latest else "Never"
        upcoming = next_occurrence(project.schedule, now)
        table.add_row(
            project.name,
            connections,
            last,
            f"{upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "Not scheduled",
        )
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, name: str) -> None:
    """Show a project's tasks in order: sequence, name, source, destination, mappings."""
    integrator = state_of(ctx).integrator
    project = integrator.definitions.project(name)
    links = integrator.definitions.connection_set(project.connection_set)
    table = Table("Sequence", "Task name", "Source", "Map", "Destination", title=project.name)
    systems = links.connections
    for index, task in enumerate(project.tasks, start=1):
        for leg in task.legs:
            table.add_row(
                str(index),
                task.name,
                f"{systems.get(leg.source, leg.source)}.{leg.source_entity}",
                f"{len(leg.mappings)} fields" + (" (filtered)" if task.filter else ""),
                f"{systems.get(leg.destination, leg.destination)}.{leg.destination_entity}",
            )
    console.print(table)


@app.command("export")
def export(
    ctx: typer.Context,
    name: str,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: stdout)."
    ),
    with_history: bool = typer.Option(False, "--with-history", help="Add the execution history."),
) -> None:
    """Export a project as YAML (the original's Export / Export with execution history)."""
    text = project_file(state_of(ctx).integrator, name, with_history)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"Exported project [bold]{name}[/] to {output}")


@app.command("import")
def import_project(
    ctx: typer.Context,
    file: Path,
    replace: bool = typer.Option(False, "--replace", help="Replace a project of the same name."),
) -> None:
    """Import a project from YAML (an exported history section is ignored)."""
    if not file.is_file():
        raise DefinitionError(f"{file} is not a file")
    project = project_from_yaml(file.read_text(encoding="utf-8"))
    state_of(ctx).integrator.definitions.save_project(project, USER, replace)
    console.print(f"Imported project [bold]{project.name}[/]")


@app.command("delete")
def delete(ctx: typer.Context, name: str) -> None:
    """Remove a project (its history stays until it is purged)."""
    state_of(ctx).integrator.definitions.delete_project(name)
    console.print(f"Deleted project [bold]{name}[/]")


@app.command("save-as-template")
def save_as_template(
    ctx: typer.Context,
    name: str,
    template: str = typer.Argument(..., help="Name of the new template."),
    description: str = typer.Option("", "--description", "-d"),
    version: str = typer.Option("1.0.0.0", "--version"),
    author: str = typer.Option("", "--author"),
    replace: bool = typer.Option(False, "--replace", help="Replace a saved template."),
) -> None:
    """Save a project's tasks and mappings as a template."""
    saved = Templates(state_of(ctx).integrator.definitions).save_project_as_template(
        name, template, description, author, version, replace
    )
    console.print(f"Saved template [bold]{saved.name}[/] {saved.version}")


@templates_app.command("list")
def list_templates(ctx: typer.Context) -> None:
    """List templates: name, description, author, created date, version."""
    table = Table("Name", "Description", "Author", "Created", "Version")
    for item in Templates(state_of(ctx).integrator.definitions).list():
        created = f"{item.created_on:%Y-%m-%d}" if item.created_on else ""
        table.add_row(item.name, item.description, item.author, created, item.version)
    console.print(table)


@templates_app.command("show")
def show_template(ctx: typer.Context, name: str) -> None:
    """Show a template as YAML."""
    typer.echo(to_yaml(Templates(state_of(ctx).integrator.definitions).get(name)), nl=False)


@templates_app.command("import")
def import_template(
    ctx: typer.Context,
    file: Path,
    replace: bool = typer.Option(False, "--replace", help="Replace a saved template."),
) -> None:
    """Add a template from a YAML file."""
    if not file.is_file():
        raise DefinitionError(f"{file} is not a file")
    template = template_from_yaml(file.read_text(encoding="utf-8"))
    Templates(state_of(ctx).integrator.definitions).save(template, replace)
    console.print(f"Imported template [bold]{template.name}[/]")
