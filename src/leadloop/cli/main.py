"""The `leadloop` command: every command group hangs off this app."""

from __future__ import annotations

import typer

from leadloop.cli import db, serve, workspace

app = typer.Typer(
    name="leadloop",
    help="Leadloop: closed-loop B2B lead management and marketing ROI.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(workspace.app, name="workspace")
app.add_typer(workspace.keys, name="key")
app.command("serve")(serve.serve)

if __name__ == "__main__":
    app()
