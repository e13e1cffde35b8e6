"""`leadloop serve`: the API (tracking + admin) under uvicorn."""

from __future__ import annotations

import os

import typer
import uvicorn

from leadloop.bootstrap import bootstrap
from leadloop.cli.context import DatabaseOption, console
from leadloop.config import Settings
from leadloop.logging import configure_logging
from leadloop.services.handoff.worker import start_in_thread
from leadloop.store.migrate import upgrade


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default 8000)."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes; each has its own group-commit writer."
    ),
    delivery: bool = typer.Option(
        True, help="Also run the hand-off delivery worker in this process (embedded setup)."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Serve the tracking API, the admin API and the docs page until Ctrl-C."""
    if database_url:
        os.environ["LEADLOOP_DATABASE_URL"] = database_url
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    container = bootstrap(settings)
    upgrade(container.engine)
    container.close()
    host = host or settings.host
    port = port or settings.port
    console.print(f"Leadloop API on [bold]http://{host}:{port}[/]  docs: http://{host}:{port}/docs")
    background = bootstrap(settings) if delivery else None
    thread, stop = start_in_thread(background.delivery_worker()) if background else (None, None)
    try:
        uvicorn.run(
            "leadloop.api.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
    finally:
        if thread is not None and stop is not None and background is not None:
            stop.set()
            thread.join(timeout=10)
            background.close()
