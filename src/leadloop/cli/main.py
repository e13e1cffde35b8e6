"""The `leadloop` command: every command group hangs off this app."""

from __future__ import annotations

import typer

from leadloop.cli import (
    background,
    content,
    costs,
    crm,
    db,
    demo,
    export,
    handoff,
    imports,
    inbox,
    leads,
    profiles,
    report,
    rules,
    sale_content,
    serve,
    simulate,
    users,
    workspace,
)

app = typer.Typer(
    name="leadloop",
    help="Leadloop: closed-loop B2B lead management and marketing ROI.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(workspace.app, name="workspace")
app.add_typer(workspace.keys, name="key")
app.add_typer(imports.app, name="import")
app.add_typer(inbox.app, name="inbox")
app.add_typer(content.app, name="content")
app.add_typer(users.app, name="user")
app.add_typer(rules.app, name="rules")
app.add_typer(leads.app, name="lead")
app.add_typer(crm.app, name="crm")
app.add_typer(profiles.compute, name="profiles")
app.add_typer(profiles.read, name="profile")
app.add_typer(costs.app, name="costs")
app.add_typer(report.app, name="report")
app.add_typer(export.app, name="export")
app.command("serve")(serve.serve)
app.command("background")(background.background)
app.command("simulate")(simulate.simulate)
app.command("demo")(demo.demo)
handoff.register(app)
sale_content.register(content.app)

if __name__ == "__main__":
    app()
