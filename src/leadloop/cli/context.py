"""Shared CLI plumbing: settings, the container, the console and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from leadloop.bootstrap import Container, bootstrap
from leadloop.config import Settings
from leadloop.errors import LeadloopError
from leadloop.logging import configure_logging

console = Console()
err_console = Console(stderr=True)


@contextmanager
def open_container(database_url: str | None = None) -> Iterator[Container]:
    """Wire the app for one command and report Leadloop errors as a clear message + exit 1."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    configure_logging(settings.log_level, settings.log_json)
    container = bootstrap(settings)
    try:
        yield container
    except LeadloopError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        container.close()


DatabaseOption = typer.Option(
    None,
    "--database-url",
    envvar="LEADLOOP_DATABASE_URL",
    help="Store URL (default: ./leadloop.db).",
)
WorkspaceOption = typer.Option("demo", "--workspace", "-w", help="Workspace slug.")
