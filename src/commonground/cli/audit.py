"""`commonground audit`: the latest security changes, newest first."""

from __future__ import annotations

import orjson
import typer
from rich.table import Table

from commonground.cli.app import app
from commonground.cli.output import console, print_json
from commonground.cli.state import state_of


@app.command("audit")
def audit(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many entries to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show the audit log: who changed which user, application user, group or role, and when."""
    entries = state_of(ctx).directory.audit_log(limit)
    if as_json:
        print_json(
            [
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                    "environment": e.environment,
                }
                for e in entries
            ]
        )
        return
    table = Table("At (UTC)", "Actor", "Action", "Target", "Environment", "Detail")
    for e in entries:
        detail = orjson.dumps(e.detail).decode() if e.detail else ""
        table.add_row(
            f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor, e.action, e.target, e.environment or "", detail
        )
    console.print(table)
