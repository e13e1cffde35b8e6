"""`leadloop serve`: the API (tracking + admin) on one uvicorn worker."""

from __future__ import annotations

import typer
import uvicorn

from leadloop.api.app import create_app
from leadloop.bootstrap import bootstrap
from leadloop.cli.context import DatabaseOption, console
from leadloop.config import Settings
from leadloop.logging import configure_logging
from leadloop.store.migrate import upgrade


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default 8000)."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Serve the tracking API, the admin API and the docs page until Ctrl-C."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    configure_logging(settings.log_level, settings.log_json)
    container = bootstrap(settings)
    upgrade(container.engine)
    app = create_app(container)
    host = host or settings.host
    port = port or settings.port
    console.print(f"Leadloop API on [bold]http://{host}:{port}[/]  docs: http://{host}:{port}/docs")
    uvicorn.run(app, host=host, port=port, log_level="warning")
