"""`leadloop simulate`: write a seeded B2B world (events, catalog, CRM, costs) to a folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadloop.cli.context import console, err_console
from leadloop.errors import ValidationError
from leadloop.simulate import SimConfig, SimSummary, generate

PHASES = {"world": (0.0, 3.0), "events": (3.0, 92.0), "files": (92.0, 100.0)}
"""Share of the progress bar each phase fills (percent from, to)."""


def summary_table(summary: SimSummary) -> Table:
    """The counts of a generated world as a Rich table (also printed by `leadloop demo`)."""
    table = Table("", "count", title=f"Simulated world in {summary.out_dir}")
    table.columns[1].justify = "right"
    cpod = f"{summary.cpod:.2f}" if summary.cpod is not None else "n/a"
    rows: list[tuple[str, int | str]] = [
        ("content assets", summary.assets),
        ("accounts", summary.accounts),
        ("CRM contacts", summary.contacts),
        ("  web-active contacts", summary.web_active),
        ("  identified on the web", summary.identified),
        ("  became sales-ready", summary.sales_ready),
        ("anonymous-only visitors", summary.visitors),
        ("sessions", summary.sessions),
        ("events (valid, distinct)", summary.events),
        ("  malformed lines", summary.malformed),
        ("  retried duplicates", summary.duplicates),
        ("lines in events.ndjson", summary.lines),
        ("opportunities", summary.opportunities),
        ("  won / lost / open", f"{summary.won} / {summary.lost} / {summary.open}"),
        ("won revenue", f"{summary.won_amount:,}"),
        ("marketing + sales cost", f"{summary.marketing_cost + summary.sales_cost:,.0f}"),
        ("CPOD (whole period)", cpod),
        ("seconds", f"{summary.seconds:.1f}"),
    ]
    for label, value in rows:
        table.add_row(label, f"{value:,}" if isinstance(value, int) else value)
    return table


_table = summary_table  # the name `leadloop demo` imported first; prefer summary_table

Out = Annotated[
    Path, typer.Option("--out", "-o", help="Folder to write into (created if missing).")
]
Size = Annotated[
    str, typer.Option("--size", help="Preset: demo (seconds) or bench (1M contacts, 20M events).")
]
Contacts = Annotated[int | None, typer.Option(help="CRM contacts (overrides the preset).")]
Events = Annotated[
    int | None, typer.Option(help="Target number of valid events (overrides the preset).")
]
Months = Annotated[int | None, typer.Option(help="Months simulated (default 12).")]
Start = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="First day, YYYY-MM-DD (default 2025-01-01)."),
]
Seed = Annotated[
    int | None,
    typer.Option(help="Random seed; equal seeds give byte-identical files (default 42)."),
]
MalformedRate = Annotated[
    float | None, typer.Option(help="Share of broken lines in events.ndjson (default 0.005).")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def simulate(
    out: Out,
    size: Size = "demo",
    contacts: Contacts = None,
    events: Events = None,
    months: Months = None,
    start: Start = None,
    seed: Seed = None,
    malformed_rate: MalformedRate = None,
    quiet: Quiet = False,
) -> None:
    """Generate a seeded B2B world: Segment events plus catalog, accounts, CRM, costs, truth."""
    try:
        config = SimConfig.preset(
            size,
            contacts=contacts,
            events=events,
            months=months,
            seed=seed,
            start=start.date() if start else None,
            malformed_rate=malformed_rate,
        )
    except ValidationError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(2) from None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=quiet, transient=False) as bar:
        task = bar.add_task("simulating", total=100.0)

        def progress(phase: str, done: float) -> None:
            low, high = PHASES.get(phase, (0.0, 100.0))
            bar.update(task, completed=low + (high - low) * done, description=phase)

        summary = generate(out, config, progress)
    console.print(summary_table(summary))
