"""`leadloop demo` (what `make demo` runs): simulate, load, summarise, serve.

The main job as it exists so far: a seeded B2B world is generated, loaded through the same
import paths a customer uses (catalog, accounts, CRM contacts, then the event history through
identity resolution), summarised in the terminal, and served on http://127.0.0.1:8000.
Rerunning it adds nothing: every path is idempotent.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import func, select

from leadloop.api.app import create_app
from leadloop.bootstrap import Container
from leadloop.cli import profiles, sales_demo
from leadloop.cli.context import DatabaseOption, console, open_container
from leadloop.cli.revenue_demo import load_and_report
from leadloop.cli.simulate import PHASES, summary_table
from leadloop.errors import ValidationError
from leadloop.services.catalog import load_catalog_file
from leadloop.services.imports import (
    ImportProgress,
    ImportReport,
    import_accounts,
    import_contacts,
    import_events,
)
from leadloop.simulate import SimConfig, SimSummary, generate
from leadloop.store.migrate import upgrade
from leadloop.store.serving import serving
from leadloop.store.summary import workspace_summary
from leadloop.store.tables import quarantine

DEMO_WORKSPACE = "demo"
DEMO_WRITE_KEY = "ll_w_demo_write_key_for_local_use_only"
DEMO_ADMIN_KEY = "ll_a_demo_admin_key_for_local_use_only"


def _demo_keys(c: Container) -> int:
    """The demo workspace with fixed, documented keys (refused outside development)."""
    if c.settings.environment != "development":
        raise ValidationError(
            "`leadloop demo` uses published demo keys; run it only with "
            "LEADLOOP_ENVIRONMENT=development (the default)"
        )
    ws = c.workspaces.ensure_workspace(DEMO_WORKSPACE, "Demo Corp (simulated)")
    keys = ((DEMO_WRITE_KEY, "write", "website"), (DEMO_ADMIN_KEY, "admin", "admin"))
    for key, scope, source in keys:
        if c.workspaces.authenticate(key) is None:
            c.workspaces.create_key(ws, scope=scope, source=source, name=f"demo {scope}", key=key)
    return ws


def _simulate(out: Path, seed: int) -> SimSummary:
    config = SimConfig.preset("demo", seed=seed)
    with Progress(
        TextColumn("{task.description:12s}"), BarColumn(), TaskProgressColumn(),
        TimeElapsedColumn(), console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("simulating", total=100.0)

        def progress(phase: str, done: float) -> None:
            low, high = PHASES.get(phase, (0.0, 100.0))
            bar.update(task, completed=low + (high - low) * done, description=phase)

        return generate(out, config, progress)


def _load(c: Container, ws: int, out: Path) -> dict[str, ImportReport | int]:
    directory = c.directory
    source_id = c.workspaces.source_id(ws, "demo-import")
    reports: dict[str, ImportReport | int] = {}
    reports["content"] = load_catalog_file(c.engine, ws, out / "content.csv").changed
    with Progress(
        TextColumn("{task.description:12s}"), BarColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console,
    ) as bar:  # fmt: skip
        for name in ("accounts", "contacts", "events"):
            path = out / (f"{name}.ndjson" if name == "events" else f"{name}.csv")
            task = bar.add_task(f"loading {name}", total=path.stat().st_size, rate="")

            def tick(p: ImportProgress, task: TaskID = task) -> None:
                rate = p.read / p.seconds if p.seconds else 0.0
                bar.update(task, completed=p.bytes_done, rate=f"{rate:,.0f} rows/s")

            if name == "accounts":
                report = import_accounts(directory, workspace_id=ws, path=path, progress=tick)
            elif name == "contacts":
                report = import_contacts(directory, workspace_id=ws, path=path, progress=tick)
            else:
                report = import_events(
                    c.ingest_store, directory, workspace_id=ws, source_id=source_id,
                    path=path, progress=tick,
                )  # fmt: skip
            bar.update(task, completed=path.stat().st_size)
            reports[name] = report
    return reports


def _load_table(reports: dict[str, ImportReport | int]) -> Table:
    table = Table("loaded", "read", "stored", "already there", "quarantined", "rows/s",
                  title="Loaded through the import paths")  # fmt: skip
    for name, r in reports.items():
        if isinstance(r, int):
            table.add_row(name, "", str(r), "", "0", "")
            continue
        stored = r.stored + r.updated
        again = r.duplicates
        table.add_row(
            name, f"{r.read:,}", f"{stored:,}", f"{again:,}", f"{r.rejected:,}",
            f"{r.rows_per_second:,.0f}",
        )  # fmt: skip
    return table


def _store_table(c: Container, ws: int) -> Table:
    s = workspace_summary(c.engine, ws)
    table = Table("in the store", "count", title="Workspace 'demo' after identity resolution")
    table.add_row("known contacts", f"{s.contacts_known:,}")
    table.add_row("anonymous visitors", f"{s.contacts_anonymous:,}")
    table.add_row("accounts", f"{s.accounts:,}")
    table.add_row("events", f"{s.events:,}")
    for kind, n in s.events_by_type.items():
        table.add_row(f"  {kind}", f"{n:,}")
    table.add_row("quarantined records", f"{s.quarantined:,}")
    return table


def _quarantine_table(c: Container, ws: int) -> Table:
    table = Table("reason (most frequent)", "count", title="Quarantine: kept with their reason")
    reason = quarantine.c.reason
    with c.engine.connect() as conn:
        rows = conn.execute(
            select(reason, func.count().label("n"))
            .where(quarantine.c.workspace_id == ws)
            .group_by(reason)
            .order_by(func.count().desc())
            .limit(5)
        ).all()
    for text, n in rows:
        table.add_row(str(text)[:90], str(n))
    return table


OutOption = Annotated[Path, typer.Option(help="Where the simulated files go.")]
SeedOption = Annotated[int, typer.Option(help="World seed; the same seed gives the same world.")]
ServeOption = Annotated[bool, typer.Option(help="Serve the API afterwards (--no-serve: don't).")]
PortOption = Annotated[int, typer.Option(help="Port to serve on.")]


def demo(
    out: OutOption = Path("out/demo"),
    seed: SeedOption = 42,
    serve: ServeOption = True,
    port: PortOption = 8000,
    database_url: str | None = DatabaseOption,
) -> None:
    """Simulate a B2B world, load it into the store, summarise it, then serve the API."""
    started = time.perf_counter()
    with open_container(database_url) as c:
        upgrade(c.engine)
        ws = _demo_keys(c)
        console.rule("[bold]1. Simulating a B2B world")
        summary = _simulate(out, seed)
        console.print(summary_table(summary))
        console.rule("[bold]2. Loading it into the store")
        console.print(_load_table(_load(c, ws, out)))
        console.rule("[bold]3. What Leadloop now knows")
        console.print(_store_table(c, ws))
        console.print(_quarantine_table(c, ws))
        profiles.show_demo_profiles(c, ws)
        sales_demo.show_sales_ready(c, ws)
        console.rule("[bold]5. Revenue: CPOD, pipeline and attribution")
        load_and_report(c, ws, out)
        sales_demo.show_closed_loop(c, ws)
        elapsed = time.perf_counter() - started
        console.print(f"done in {elapsed:.1f} s; store: {c.settings.database_url}")
        if not serve:
            return
        url = f"http://127.0.0.1:{port}"
        console.rule("[bold]7. Serving")
        console.print(f"dashboard: [bold]{url}/dashboard[/] (sign in with the admin key)")
        console.print(f"API docs:  [bold]{url}/docs[/]")
        console.print(f"write key: {DEMO_WRITE_KEY}   admin key: {DEMO_ADMIN_KEY}")
        console.print(f"try:  curl -s {url}/v1/summary -H 'Authorization: Bearer {DEMO_ADMIN_KEY}'")
        console.print("Ctrl-C to stop.")
        with serving(c.settings.database_url):  # imports beside it take smaller transactions
            uvicorn.run(create_app(c), host="127.0.0.1", port=port, log_level="warning")
