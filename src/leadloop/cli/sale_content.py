"""`leadloop content tag-sales` and `leadloop content influence`: content tagged to each sale."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.services.content_influence import InfluenceRow, influence_report


def register(content_app: typer.Typer) -> None:
    """Hang the sale-content commands off `leadloop content` (one call from cli/main.py)."""
    content_app.command("tag-sales")(tag_sales)
    content_app.command("influence")(influence)


def tag_sales(
    workspace: str = WorkspaceOption,
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Retag every opportunity (after late events or a new lookback)."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Tag the content each deal's contacts and account consumed before it closed."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        tagger = c.sale_content
        report = tagger.rebuild(ws) if rebuild else tagger.tag_pending(ws)
    console.print(
        f"{report.opportunities:,} opportunities tagged with {report.tags:,} consumptions "
        f"(lookback {tagger.lookback_days} days) in workspace {escape(workspace)}"
    )


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _table(rows: list[InfluenceRow], title: str) -> Table:
    table = Table(title=title)
    for name in ("period", "asset", "stage", "format"):
        table.add_column(name)
    for name in ("opportunities touched", "pipeline influenced", "won revenue influenced",
                 "deals won"):  # fmt: skip
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(
            r.period, escape(r.title or r.asset_id), r.buying_stage or "-", escape(r.format or "-"),
            f"{r.opportunities:,}", _money(r.pipeline), _money(r.won_revenue), f"{r.won_deals:,}",
        )  # fmt: skip
    return table


def influence(
    workspace: str = WorkspaceOption,
    by: str | None = typer.Option(None, "--by", help="Period: month, quarter or year."),
    stage: str | None = typer.Option(None, "--stage", help="Only assets of this buying stage."),
    fmt: str | None = typer.Option(None, "--format", help="Only assets of this format."),
    currency: str | None = typer.Option(None, "--currency", help="Only deals in this currency."),
    limit: int = typer.Option(20, "--limit", min=1, help="Rows per period."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Pipeline and won revenue of the deals each asset touched (influence, not attribution)."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        rows = influence_report(c.engine, ws, grain=by, stage=stage, fmt=fmt, currency=currency)
    if not rows:
        console.print("no content is tagged to any sale yet: run `leadloop content tag-sales`")
        return
    shown: list[InfluenceRow] = []
    for period in sorted({r.period for r in rows}):
        shown += [r for r in rows if r.period == period][:limit]
    console.print(_table(shown, f"Content influence, workspace {escape(workspace)}"))
