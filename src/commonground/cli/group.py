"""`commonground group ...`: named sets of users and application users, so that roles can
be granted to many identities at once."""

from __future__ import annotations

import typer
from rich.table import Table

from commonground.cli.output import console, print_json
from commonground.cli.state import state_of
from commonground.security.caller import SYSTEM
from commonground.security.permissions import Member, MemberKind
from commonground.security.removal import remove_identity

app = typer.Typer(help="Create and remove groups and their members.")


@app.command("create")
def create(ctx: typer.Context, name: str) -> None:
    """Create an empty group."""
    state_of(ctx).directory.create_group(name)
    console.print(f"Created group [bold]{name}[/]")


@app.command("delete")
def delete(ctx: typer.Context, name: str) -> None:
    """Remove a group (its members stay)."""
    state = state_of(ctx)
    member = Member(kind=MemberKind.GROUP, name=name)
    remove_identity(state.directory, state.environments, member, SYSTEM.name)
    console.print(f"Deleted group [bold]{name}[/]")


@app.command("add-member")
def add_member(ctx: typer.Context, group: str, member: str) -> None:
    """Put a user or application user into a group."""
    state_of(ctx).directory.add_member(group, member)
    console.print(f"Added [bold]{member}[/] to group [bold]{group}[/]")


@app.command("remove-member")
def remove_member(ctx: typer.Context, group: str, member: str) -> None:
    """Take a member out of a group."""
    state_of(ctx).directory.remove_member(group, member)
    console.print(f"Removed [bold]{member}[/] from group [bold]{group}[/]")


@app.command("list")
def list_groups(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List groups and their members."""
    groups = state_of(ctx).directory.groups()
    if as_json:
        print_json([{"name": g.name, "members": list(g.members)} for g in groups])
        return
    table = Table("Group", "Members")
    for g in groups:
        table.add_row(g.name, ", ".join(g.members))
    console.print(table)
