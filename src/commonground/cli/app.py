"""The `commonground` command."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from commonground.cli import (
    app_user,
    connection,
    connection_set,
    entity,
    env,
    group,
    history,
    picklist,
    project,
    roles,
    run,
    schedule,
    user,
)
from commonground.cli.output import report
from commonground.cli.state import State
from commonground.errors import CommonGroundError
from commonground.settings import setting

DEFAULT_HOME = Path(setting("home") or ".commonground")
app = typer.Typer(
    name="commonground",
    help="Common Ground: an open-source Common Data Service with a built-in data integrator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(env.app, name="env")
app.add_typer(entity.app, name="entity")
app.add_typer(picklist.app, name="picklist")
app.add_typer(connection.app, name="connection")
app.add_typer(connection_set.app, name="connection-set")
app.add_typer(project.app, name="project")
app.add_typer(project.templates_app, name="template")
app.add_typer(run.app, name="run")
app.add_typer(schedule.app, name="schedule")
app.add_typer(history.app, name="history")
app.add_typer(user.app, name="user")
app.add_typer(app_user.app, name="app-user")
app.add_typer(group.app, name="group")
app.add_typer(roles.roles_app, name="role")
app.add_typer(roles.sets_app, name="permission-set")


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Path = typer.Option(
        DEFAULT_HOME,
        envvar="COMMONGROUND_HOME",
        help="Folder of the embedded (SQLite) environments.",
    ),
    database_url: str | None = typer.Option(
        None,
        envvar="COMMONGROUND_DATABASE_URL",
        help="PostgreSQL URL: keep environments as schemas of that database.",
    ),
    user: str | None = typer.Option(
        None,
        "--user",
        envvar="COMMONGROUND_USER",
        help="Act as this user (signs in; password from COMMONGROUND_PASSWORD or a prompt) "
        "instead of as the local operator.",
    ),
) -> None:
    """Options shared by every command."""
    state = State(home=home, database_url=database_url, user=user)
    ctx.obj = state
    ctx.call_on_close(state.close)
    if user is not None:
        state.sign_in()  # a wrong password fails every command, not only those that read


def register() -> None:
    """Attach the command modules that register themselves on the app."""
    from commonground.cli import audit, data, demo, serve  # noqa: F401  (they add commands to `app`)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI with product errors mapped to messages and exit codes."""
    register()
    try:
        app(args=argv, prog_name="commonground")
    except CommonGroundError as exc:
        sys.exit(report(exc))
