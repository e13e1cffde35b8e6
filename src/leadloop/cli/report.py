"""`leadloop report cpod|pipeline|funnel|attribution|nurture|content`: revenue reports.

Every report runs the same Ibis queries on DuckDB (default), PostgreSQL or Spark
(``--engine``) and prints a Rich table, or writes CSV/JSON/Parquet (``--format``, ``--out``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from leadloop.analytics.output import write_report
from leadloop.analytics.queries import NONE
from leadloop.analytics.reports import REPORTS, Filters, Report
from leadloop.analytics.run import run_report
from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.cli.sale_content import influence
from leadloop.errors import ValidationError

app = typer.Typer(
    help="Revenue reports: CPOD, pipeline, funnel, attribution, nurture period, content.",
    no_args_is_help=True,
)


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    return str(value)


def report_table(report: Report) -> Table:
    """A Rich table of a report; undefined ratios print n/a, an uncut report has no cut."""
    keep = [
        i for i, c in enumerate(report.columns)
        if c != "cut" or any(r[i] != NONE for r in report.rows)
    ]  # fmt: skip
    table = Table(*(report.columns[i] for i in keep), title=report.title)
    for row in report.rows:
        table.add_row(*(_cell(row[i]) for i in keep))
    return table


def _grain(by: str) -> str | None:
    return None if by == "all" else by


def _cut(segment: str | None, persona: str | None, cut: str | None) -> str | None:
    if cut is not None:
        return cut
    return "segment" if segment else "persona" if persona else None


ParquetOption = typer.Option(None, "--parquet", help="Read a `leadloop export parquet` folder.")
OutOption = typer.Option(None, "--out", help="Write the report to FILE.")


def _command(name: str) -> Any:
    def command(
        by: str = typer.Option("quarter", "--by", help="month, quarter, year or all."),
        cut: str | None = typer.Option(
            None,
            "--cut",
            help="Cut by: segment, sector, region, rep, product, type "
            "(opportunities); segment, persona (leads).",
        ),
        segment: str | None = typer.Option(None, "--segment", help="Only this segment."),
        persona: str | None = typer.Option(None, "--persona", help="Only this persona."),
        channel: str | None = typer.Option(None, "--channel", help="Attribution: one channel."),
        model: str = typer.Option(
            "linear",
            "--model",
            help="Attribution model: first_touch, "
            "last_touch, linear, time_decay, position_based, w_shaped, "
            "full_path, shapley, markov_1..3.",
        ),
        dimension: str = typer.Option(
            "channel", "--dimension", help="Attribution credits: channel, program or content."
        ),
        level: str = typer.Option("account", "--level", help="Attribution: account or contact."),
        outcome: str = typer.Option("pipeline", "--outcome", help="pipeline or revenue."),
        lookback: int = typer.Option(
            90,
            "--lookback",
            help="Lookback in days: attribution, and the programs that touched a won deal "
            "(revenue).",
        ),
        engine: str = typer.Option("duckdb", "--engine", help="duckdb, postgres or spark."),
        parquet: Path | None = ParquetOption,
        fmt: str = typer.Option("table", "--format", help="table, csv, json or parquet."),
        out: Path | None = OutOption,
        workspace: str = WorkspaceOption,
        database_url: str | None = DatabaseOption,
    ) -> None:
        filters = Filters(_grain(by), _cut(segment, persona, cut), segment, persona, channel,
                          model, dimension, level, outcome, lookback)  # fmt: skip
        with open_container(database_url) as c:
            ws = c.workspaces.workspace_id(workspace)
            report = run_report(c.engine, ws, name, filters, engine_name=engine,
                                parquet=parquet)  # fmt: skip
            _emit(report, fmt, out)

    command.__doc__ = f"The {name} report per period (--by), on DuckDB, PostgreSQL or Spark."
    return command


def _emit(report: Report, fmt: str, out: Path | None) -> None:
    if fmt == "table":
        if out is not None:
            raise ValidationError("--out needs --format csv, json or parquet")
        console.print(report_table(report))
        return
    data = write_report(report, fmt, out)
    if data is not None:
        typer.echo(data.decode(), nl=False)
    else:
        console.print(f"wrote {len(report.rows)} rows to {out}")


for _name in REPORTS:
    app.command(_name)(_command(_name))
# Content influence reads the sale tags in the store, not the warehouse: the same command as
# `leadloop content influence`, listed here beside the other revenue reports.
app.command("content")(influence)
