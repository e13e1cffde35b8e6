"""`leadloop profiles update|rebuild` (compute) and `leadloop profile show|list` (read)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadloop.bootstrap import Container
from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.services.profile_overview import overview
from leadloop.services.profile_reads import (
    contact_id_for_email,
    contact_profile,
    list_filter,
    profiles_list,
)
from leadloop.services.profile_rebuild import rebuild
from leadloop.services.profiling import UpdateReport
from leadloop.store.engine import as_utc, utcnow
from leadloop.store.profile_reads import last_event_time

compute = typer.Typer(help="Compute passive profiles: catch up incrementally, or rebuild.")
read = typer.Typer(help="Read passive profiles: one contact with its explanation, or lists.")

BULK_BATCH = 10_000
"""Events per transaction when catching up from the command line (fewer contact refreshes)."""

AsOfOption = Annotated[
    datetime | None, typer.Option("--as-of", help="Decay weights to this time (default now).")
]


def catch_up(c: Container, workspace_id: int) -> UpdateReport:
    """Fold every event not yet profiled, with a progress bar (also what `demo` calls)."""
    updater = c.profile_updater
    pending = updater.pending(workspace_id)
    with Progress(
        TextColumn("{task.description:12s}"), BarColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("profiling", total=max(pending, 1), rate="")
        done = 0

        def tick(r: UpdateReport) -> None:
            nonlocal done
            done += r.events
            rate = r.events / r.seconds if r.seconds else 0.0
            bar.update(task, completed=done, rate=f"{rate:,.0f} events/s")

        report = updater.catch_up(workspace_id, tick, batch_events=BULK_BATCH)
        bar.update(task, completed=max(pending, 1))
    return report


def overview_tables(c: Container, workspace_id: int, as_of: datetime | None = None) -> Group:
    """Stage distribution, engagement, top interests per persona, hottest accounts."""
    o = overview(c.engine, workspace_id, c.profile_config, as_of or utcnow())
    stages = Table("buying stage", "contacts", title="Where buyers are")
    for name, n in o.stages.items():
        stages.add_row(name, f"{n:,}")
    levels = Table("engagement", "contacts", title="How engaged")
    for name, n in o.levels.items():
        levels.add_row(name, f"{n:,}")
    personas = Table("persona", "top interests (contacts)", title="Top interests per persona")
    for persona, topics in o.interests_by_persona.items():
        personas.add_row(persona, ", ".join(f"{t} ({n})" for t, n in topics))
    hottest = Table("account", "decayed weight", "profiled contacts", "hot",
                    title="Hottest accounts")  # fmt: skip
    for a in o.hottest_accounts:
        hottest.add_row(a.name, f"{a.total_weight:.1f}", str(a.contacts), str(a.hot_contacts))
    return Group(stages, levels, personas, hottest)


def show_demo_profiles(c: Container, workspace_id: int) -> None:
    """What `leadloop demo` shows: catch the profiles up, then the overview tables."""
    report = catch_up(c, workspace_id)
    with c.engine.connect() as conn:
        end = last_event_time(conn, workspace_id)
    when = f"; as of the last event, {end:%Y-%m-%d %H:%M} UTC" if end else ""
    console.print(f"profiled {report.events:,} events in {report.seconds:.1f} s{when}")
    console.print(overview_tables(c, workspace_id, as_of=end))


@compute.command("update")
def update(workspace: str = WorkspaceOption, database_url: str | None = DatabaseOption) -> None:
    """Fold the events that arrived since the last update into the profiles."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        r = catch_up(c, ws)
        console.print(
            f"profiled {r.events:,} events ({r.observations:,} about content) for "
            f"{r.contacts:,} contact updates in {r.seconds:.1f} s; cursor at event {r.cursor}"
        )


@compute.command("rebuild")
def rebuild_command(
    engine: Annotated[
        str, typer.Option("--engine", help="duckdb (default) or spark (PySpark local[2]).")
    ] = "duckdb",
    from_parquet: Annotated[
        Path | None,
        typer.Option(
            "--from-parquet",
            help="Read events from a Parquet export of the events table instead of the store.",
        ),
    ] = None,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Recompute every profile set-based over the whole event history (Ibis)."""
    if engine not in ("duckdb", "spark"):
        console.print(f"[bold red]error:[/] unknown engine {engine!r}; allowed: duckdb, spark")
        raise typer.Exit(2)
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        with console.status("rebuilding") as status:
            r = rebuild(
                c.profile_updater, ws, engine_name=engine, parquet=from_parquet,
                progress=lambda m: status.update(m),
            )  # fmt: skip
        console.print(
            f"rebuilt {r.states:,} states from {r.events:,} events ({r.observations:,} about "
            f"content) on {r.engine}: {r.contacts:,} profiles in {r.seconds:.1f} s "
            f"(fold {r.compute_seconds:.1f} s); cursor at event {r.cursor}"
        )


@read.command("show")
def show(
    email: Annotated[str, typer.Argument(help="The contact's e-mail address.")],
    as_of: AsOfOption = None,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """A contact's profile: every inferred value with the sentences that explain it."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        contact_id = contact_id_for_email(c.engine, ws, email)
        when = as_utc(as_of) or utcnow()
        cp = contact_profile(c.engine, ws, contact_id, c.profile_config, when)
        p = cp.profile
        title = f"{cp.contact.name or cp.contact.email} (contact {cp.contact.id})"
        table = Table("", "value", "why", title=title, show_lines=True)
        for x in p.explanations:
            table.add_row(x.name.replace("_", " "), x.value or "-", x.sentence)
        console.print(table)
        history = Table("asset", "grade", "weight", "what", title="What it consumed")
        for e in p.evidence:
            history.add_row(e.asset_id, e.grade, f"{e.weight:.2f}", e.sentence)
        console.print(history)


@read.command("overview")
def overview_command(
    as_of: AsOfOption = None,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Stage distribution, engagement levels, top interests per persona, hottest accounts."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        console.print(overview_tables(c, ws, as_utc(as_of)))


@read.command("list")
def list_command(
    stage: Annotated[str | None, typer.Option(help="Buying stage.")] = None,
    interest: Annotated[str | None, typer.Option(help="A topic among the top interests.")] = None,
    persona: Annotated[str | None, typer.Option(help="Persona (CRM, else inferred).")] = None,
    engagement: Annotated[str | None, typer.Option(help="cold, warm or hot.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Rows to show.")] = 20,
    as_of: AsOfOption = None,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Profiles matching every filter given, heaviest first."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        when = as_utc(as_of) or utcnow()
        cfg = c.profile_config
        f = list_filter(
            cfg, when, stage=stage, interest=interest, persona=persona, engagement=engagement
        )
        total, rows = profiles_list(c.engine, ws, cfg, f, when, limit, 0)
        table = Table("contact", "who", "engagement", "weight", "stage", "persona", "interests",
                      title=f"{total:,} matching profiles")  # fmt: skip
        for r in rows:
            who = r.listed.contact
            table.add_row(
                str(who.id), who.email or who.name or who.status, r.engagement_level,
                f"{r.total_weight:.1f}", r.listed.buying_stage or "-", r.persona or "-",
                ", ".join(r.listed.interests[:3]),
            )  # fmt: skip
        console.print(table)
