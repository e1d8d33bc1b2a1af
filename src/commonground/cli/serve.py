"""`commonground serve`: the HTTP API (OData v4) under uvicorn."""

from __future__ import annotations

import os

import typer

from commonground.cli.app import app
from commonground.cli.state import State


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8765, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
    scheduler: bool = typer.Option(
        True, "--scheduler/--no-scheduler", help="Also fire scheduled integration projects."
    ),
) -> None:
    """Serve the OData API of every environment and the integrator's admin API; fire schedules."""
    import uvicorn

    state: State = ctx.obj
    os.environ["COMMONGROUND_HOME"] = str(state.home.resolve())
    os.environ["COMMONGROUND_SCHEDULER"] = "on" if scheduler else "off"
    if state.database_url:
        os.environ["COMMONGROUND_DATABASE_URL"] = state.database_url
    uvicorn.run(
        "commonground.api.server:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
