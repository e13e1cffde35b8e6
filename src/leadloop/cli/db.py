"""`leadloop db`: schema migrations."""

from __future__ import annotations

import typer

from leadloop.cli.context import DatabaseOption, console, open_container
from leadloop.store.migrate import current_revision, upgrade

app = typer.Typer(help="Create and migrate the store's schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(
    revision: str = typer.Argument("head", help="Target revision."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Bring the schema to the newest revision (creates every table on a new store)."""
    with open_container(database_url) as c:
        upgrade(c.engine, revision)
        console.print(f"schema at revision [bold]{current_revision(c.engine)}[/]")


@app.command("current")
def current_cmd(database_url: str | None = DatabaseOption) -> None:
    """Show the schema revision of the store."""
    with open_container(database_url) as c:
        console.print(current_revision(c.engine) or "empty (run `leadloop db upgrade`)")
