"""`commonground user ...`: the people who sign in to the API.

The CLI is the local operator (it can open the files), so these commands need no sign-in
and the audit log records them as done by "system".
"""

from __future__ import annotations

import typer
from rich.table import Table

from commonground.cli.output import console, print_json
from commonground.cli.passwords import read_password
from commonground.cli.state import state_of
from commonground.security.caller import SYSTEM
from commonground.security.permissions import Member, MemberKind
from commonground.security.removal import remove_identity

app = typer.Typer(help="Create, list, disable and remove users (people who sign in).")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    email: str = typer.Option("", "--email", help="The user's e-mail address."),
    admin: bool = typer.Option(False, "--admin", help="Administers the installation."),
) -> None:
    """Create a user; the password comes from COMMONGROUND_PASSWORD or a prompt."""
    user = state_of(ctx).directory.create_user(name, email, read_password(), admin=admin)
    console.print(f"Created user [bold]{user.name}[/]" + (" (admin)" if admin else ""))


@app.command("list")
def list_users(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List users with their e-mail, admin and disabled flags."""
    users = state_of(ctx).directory.users()
    if as_json:
        print_json(
            [
                {
                    "name": u.name,
                    "email": u.email,
                    "admin": u.admin,
                    "disabled": u.disabled,
                    "created_at": u.created_at.isoformat(),
                }
                for u in users
            ]
        )
        return
    table = Table("Name", "E-mail", "Admin", "Disabled", "Created")
    for u in users:
        table.add_row(
            u.name,
            u.email,
            "yes" if u.admin else "",
            "yes" if u.disabled else "",
            f"{u.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@app.command("disable")
def disable(ctx: typer.Context, name: str) -> None:
    """Stop a user from signing in; the user's tokens stop working."""
    state_of(ctx).directory.disable_user(name)
    console.print(f"Disabled user [bold]{name}[/]")


@app.command("enable")
def enable(ctx: typer.Context, name: str) -> None:
    """Let a disabled user sign in again."""
    state_of(ctx).directory.enable_user(name)
    console.print(f"Enabled user [bold]{name}[/]")


@app.command("reset-password")
def reset_password(ctx: typer.Context, name: str) -> None:
    """Give a user a new password (COMMONGROUND_PASSWORD or a prompt); old tokens stop working."""
    state_of(ctx).directory.set_password(name, read_password())
    console.print(f"Reset the password of [bold]{name}[/]")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Remove a user and the user's group memberships."""
    if not yes:
        typer.confirm(f"Delete user {name}?", abort=True)
    state = state_of(ctx)
    member = Member(kind=MemberKind.USER, name=name)
    remove_identity(state.directory, state.environments, member, SYSTEM.name)
    console.print(f"Deleted user [bold]{name}[/]")
