"""`leadloop user`: the people who sign the sales-ready rule and act on leads."""

from __future__ import annotations

import typer
from rich.table import Table

from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container

app = typer.Typer(help="Users and their role (marketing, sales, admin).", no_args_is_help=True)


@app.command("add")
def add(
    email: str = typer.Argument(..., help="The user's e-mail."),
    role: str = typer.Option(..., "--role", help="marketing, sales or admin."),
    name: str | None = typer.Option(None, help="Display name."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Add a user: marketing and sales users approve rules, sales users act on leads."""
    with open_container(database_url) as c:
        user = c.users.add(c.workspaces.workspace_id(workspace), email, role, name)
        console.print(f"user [bold]{user.email}[/] added as {user.role} (id {user.id})")


@app.command("list")
def list_cmd(workspace: str = WorkspaceOption, database_url: str | None = DatabaseOption) -> None:
    """List the workspace's users."""
    with open_container(database_url) as c:
        table = Table("id", "email", "name", "role")
        for u in c.users.list(c.workspaces.workspace_id(workspace)):
            table.add_row(str(u.id), u.email, u.name or "", u.role)
        console.print(table)
