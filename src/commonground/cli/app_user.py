"""`commonground app-user ...`: programs that sign in with client credentials.

A new or reset client secret is printed once, here, and stored only as a hash: whoever
runs the command must keep it then.
"""

from __future__ import annotations

import typer
from rich.table import Table

from commonground.cli.output import console, print_json
from commonground.cli.state import state_of
from commonground.security.caller import SYSTEM
from commonground.security.identities import Credentials
from commonground.security.permissions import Member, MemberKind
from commonground.security.removal import remove_identity

app = typer.Typer(help="Create, list, disable and remove application users (client credentials).")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of text.")


def _show(name: str, credentials: Credentials, as_json: bool) -> None:
    if as_json:
        print_json({"name": name, **credentials._asdict()})
        return
    console.print(f"Application user [bold]{name}[/]", highlight=False)
    console.print(f"client_id:     {credentials.client_id}", highlight=False)
    console.print(f"client_secret: {credentials.client_secret}", highlight=False)
    console.print("Keep the secret now: it is not stored and cannot be shown again.")


@app.command("create")
def create(ctx: typer.Context, name: str, as_json: bool = JsonOption) -> None:
    """Create an application user and print its client id and secret (this once only)."""
    _show(name, state_of(ctx).directory.create_application_user(name), as_json)


@app.command("list")
def list_application_users(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List application users with their client ids (never their secrets)."""
    items = state_of(ctx).directory.application_users()
    if as_json:
        print_json(
            [
                {
                    "name": a.name,
                    "client_id": a.client_id,
                    "disabled": a.disabled,
                    "created_at": a.created_at.isoformat(),
                }
                for a in items
            ]
        )
        return
    table = Table("Name", "Client id", "Disabled", "Created")
    for a in items:
        table.add_row(
            a.name, a.client_id, "yes" if a.disabled else "", f"{a.created_at:%Y-%m-%d %H:%M}"
        )
    console.print(table)


@app.command("reset-secret")
def reset_secret(ctx: typer.Context, name: str, as_json: bool = JsonOption) -> None:
    """Give an application user a new secret (printed once); the old one stops working."""
    _show(name, state_of(ctx).directory.reset_application_secret(name), as_json)


@app.command("disable")
def disable(ctx: typer.Context, name: str) -> None:
    """Stop an application user from signing in; its tokens stop working."""
    state_of(ctx).directory.disable_application_user(name)
    console.print(f"Disabled application user [bold]{name}[/]")


@app.command("enable")
def enable(ctx: typer.Context, name: str) -> None:
    """Let a disabled application user sign in again."""
    state_of(ctx).directory.enable_application_user(name)
    console.print(f"Enabled application user [bold]{name}[/]")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Remove an application user and its group memberships."""
    if not yes:
        typer.confirm(f"Delete application user {name}?", abort=True)
    state = state_of(ctx)
    member = Member(kind=MemberKind.APPLICATION, name=name)
    remove_identity(state.directory, state.environments, member, SYSTEM.name)
    console.print(f"Deleted application user [bold]{name}[/]")
