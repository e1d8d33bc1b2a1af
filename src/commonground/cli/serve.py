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
) -> None:
    """Serve every environment's OData API at /environments/{name}/api/data/v1/."""
    import uvicorn

    state: State = ctx.obj
    os.environ["COMMONGROUND_HOME"] = str(state.home.resolve())
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
