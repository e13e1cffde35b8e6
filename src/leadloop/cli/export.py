"""`leadloop export parquet OUT_DIR`: the event and CRM history for a warehouse or Spark."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from leadloop.analytics.sources import PARTITION_BY, write_parquet
from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container

app = typer.Typer(help="Export the store for warehouses and Spark.", no_args_is_help=True)


OutArgument = typer.Argument(..., help="Folder to write (each table is replaced).")


@app.command("parquet")
def parquet_cmd(
    out: Path = OutArgument,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Write touches (decoded events), opportunities, transitions and costs partitioned by
    date (hive style, date=YYYY-MM-DD), plus contacts and accounts, as Parquet."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        written = write_parquet(c.engine, ws, out)
        table = Table("table", "rows", "partitioned by", title=f"Parquet export in {out}")
        for name, rows in written.items():
            table.add_row(name, f"{rows:,}", PARTITION_BY.get(name, ""))
        console.print(table)
        console.print(f"read it with: leadloop report cpod --parquet {out} --engine spark")
