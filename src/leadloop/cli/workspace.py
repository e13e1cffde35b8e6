"""`leadloop workspace` and `leadloop key`: tenants and their API keys."""

from __future__ import annotations

import typer
from rich.table import Table

from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container

app = typer.Typer(help="Workspaces (one per company using Leadloop).", no_args_is_help=True)
keys = typer.Typer(help="API keys: `write` sends tracking data, `admin` does everything.")


@app.command("create")
def create(
    slug: str = typer.Argument(..., help="Short unique name, e.g. acme."),
    name: str | None = typer.Option(None, help="Display name."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Create a workspace and print a write key and an admin key (shown only once)."""
    with open_container(database_url) as c:
        ws = c.workspaces.create_workspace(slug, name)
        write = c.workspaces.create_key(ws, scope="write", source="website", name="website")
        admin = c.workspaces.create_key(ws, scope="admin", name="admin")
        console.print(f"workspace [bold]{slug}[/] created (id {ws})")
        console.print(f"write key: [green]{write}[/]")
        console.print(f"admin key: [yellow]{admin}[/]")
        console.print("Keys are stored only as hashes: copy them now.")


@app.command("list")
def list_cmd(database_url: str | None = DatabaseOption) -> None:
    """List workspaces."""
    with open_container(database_url) as c:
        table = Table("id", "slug", "name", "live keys")
        for ws_id, slug, name, n in c.workspaces.list_workspaces():
            table.add_row(str(ws_id), slug, name, str(n))
        console.print(table)


@keys.command("create")
def key_create(
    scope: str = typer.Option("write", help="write or admin."),
    source: str = typer.Option("default", help="Source the key sends as (dedup is per source)."),
    name: str = typer.Option("key", help="Label for the key."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        console.print(c.workspaces.create_key(ws, scope=scope, source=source, name=name))


@keys.command("list")
def key_list(workspace: str = WorkspaceOption, database_url: str | None = DatabaseOption) -> None:
    """List a workspace's keys by prefix (the keys themselves are stored only as hashes)."""
    with open_container(database_url) as c:
        table = Table("prefix", "scope", "source", "name", "created", "revoked")
        for k in c.workspaces.list_keys(c.workspaces.workspace_id(workspace)):
            table.add_row(k.prefix, k.scope, k.source, k.name, f"{k.created_at:%Y-%m-%d %H:%M}",
                          f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "")  # fmt: skip
        console.print(table)


@keys.command("revoke")
def key_revoke(
    prefix: str = typer.Argument(..., help="The key's prefix as `leadloop key list` shows it."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Revoke a key (a leaked write key, a departed admin): it stops working at once for new
    server processes and within 30 s for running ones (they cache keys that briefly)."""
    with open_container(database_url) as c:
        k = c.workspaces.revoke_key(c.workspaces.workspace_id(workspace), prefix)
        console.print(f"revoked {k.scope} key {k.prefix}… ({k.name}, source {k.source})")
