"""`leadloop costs list|add`: the cost ledger (marketing and sales cost per month)."""

from __future__ import annotations

import typer
from rich.table import Table

from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.domain.costs import cost_line_from_record, parse_month

app = typer.Typer(help="The cost ledger: what programs, campaigns, staff and sales cost, "
                  "per month. Bulk loads: `leadloop import costs FILE`.",
                  no_args_is_help=True)  # fmt: skip


@app.command("list")
def list_cmd(
    since: str | None = typer.Option(None, "--since", help="First month, YYYY-MM."),
    until: str | None = typer.Option(None, "--until", help="Last month, YYYY-MM."),
    kind: str | None = typer.Option(None, "--kind", help="marketing or sales."),
    program: str | None = typer.Option(None, "--program", help="Only this program."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """List cost lines, oldest month first, with the total."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        lines = c.costs.lines(
            ws, since=parse_month(since) if since else None,
            until=parse_month(until) if until else None, kind=kind, program=program,
        )  # fmt: skip
        table = Table("month", "kind", "program", "campaign", "channel", "component",
                      "amount", "currency", title=f"Cost ledger of {workspace}")  # fmt: skip
        for x in lines:
            table.add_row(f"{x.month:%Y-%m}", x.kind, x.program, x.campaign, x.channel,
                          x.component, f"{x.amount:,.2f}", x.currency)  # fmt: skip
        console.print(table)
        console.print(f"{len(lines)} lines, total {sum(x.amount for x in lines):,.2f}")


@app.command("add")
def add_cmd(
    month: str = typer.Argument(..., help="YYYY-MM."),
    program: str = typer.Argument(..., help="The budget line (program)."),
    amount: float = typer.Argument(..., help="What it cost that month."),
    kind: str = typer.Option("marketing", "--kind", help="marketing or sales."),
    campaign: str = typer.Option("", "--campaign", help="A campaign inside the program."),
    channel: str = typer.Option("", "--channel", help="search ads, e-mail, events, ..."),
    component: str = typer.Option(
        "",
        "--component",
        help="ads, email, events, content_production, staff, commissions, "
        "tools, other (default: from the channel).",
    ),
    currency: str = typer.Option("USD", "--currency", help="ISO 4217 code."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Add or correct one cost line (the same month/kind/program/campaign/component
    replaces the amount)."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        line = cost_line_from_record({
            "month": month, "program": program, "amount": amount, "kind": kind,
            "campaign": campaign, "channel": channel, "component": component,
            "currency": currency,
        })  # fmt: skip
        result = c.costs.apply(ws, [line], "cli")
        verb = "added" if result.created else "updated" if result.updated else "unchanged"
        console.print(f"{verb}: {line.month:%Y-%m} {line.kind} {line.program} "
                      f"{line.amount:,.2f} {line.currency}")  # fmt: skip
