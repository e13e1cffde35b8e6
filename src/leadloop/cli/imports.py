"""`leadloop import`: bulk import events, contacts and accounts from files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from alembic.script import ScriptDirectory
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from leadloop.bootstrap import Container
from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.errors import StoreError, ValidationError
from leadloop.services.imports import (
    ImportProgress,
    ImportReport,
    detect_format,
    import_accounts,
    import_contacts,
    import_costs,
    import_events,
    import_opportunities,
    load_mapping_file,
    parse_map_options,
)
from leadloop.services.imports.events import CHUNK_SIZE, SERVED_CHUNK_SIZE
from leadloop.services.imports.files import check_file
from leadloop.services.imports.opportunities import load_stages_file
from leadloop.store.migrate import alembic_config, current_revision
from leadloop.store.serving import server_running

app = typer.Typer(
    help="Bulk import events, contacts, accounts and opportunities from NDJSON, CSV or "
    "Parquet files. "
    "Bad rows go to quarantine with their line and reason; running a file again adds nothing.",
    no_args_is_help=True,
)

PathArgument = typer.Argument(
    ...,
    help="File to import: .ndjson/.jsonl/.json, .csv/.tsv or .parquet (text files may be .gz).",
    show_default=False,
)
FormatOption = typer.Option(
    None, "--format", help="ndjson, csv or parquet, when the extension does not say."
)
MapOption = typer.Option(
    None,
    "--map",
    help="COLUMN=FIELD[:TYPE], repeatable: --map user_email=traits.email --map ts=timestamp. "
    "Types: str, int, float, bool, json, auto.",
)
MappingOption = typer.Option(
    None, "--mapping", help="A YAML or JSON file of {column: field}; --map entries override it."
)
ChunkOption = typer.Option(
    None,
    "--chunk-size",
    min=1,
    help="Records per transaction (memory grows with it). Default 50000, or 10000 into a "
    "SQLite store a Leadloop server is using, so that its writes wait less.",
    show_default=False,
)


def _mapping(maps: list[str] | None, mapping_file: Path | None) -> dict[str, str]:
    mapping = load_mapping_file(mapping_file) if mapping_file is not None else {}
    mapping.update(parse_map_options(maps or []))
    return mapping


def _check_schema(engine: Engine) -> None:
    """Refuse to start on a store without the newest schema, saying how to fix it."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot reach the store: {exc.__class__.__name__}") from exc
    if current != head:
        have = f"is at schema revision {current}" if current else "has no schema"
        raise StoreError(f"the store {have}; run `leadloop db upgrade` first (needs {head})")


def _prepare(c: Container, path: Path, fmt: str | None, workspace: str) -> int:
    """Refuse a missing file, an unknown format, an old schema or workspace; return its id."""
    check_file(path)
    detect_format(path, fmt)
    _check_schema(c.engine)
    return c.workspaces.workspace_id(workspace)


Tick = Callable[[ImportProgress], None]
ImportWork = Callable[[Container, int, dict[str, str], Tick], ImportReport]


def _run_import(
    database_url: str | None,
    path: Path,
    fmt: str | None,
    workspace: str,
    maps: list[str] | None,
    mapping_file: Path | None,
    work: ImportWork,
    validate: Callable[[], None] | None = None,
) -> None:
    """What every import command does around its service call: checks, progress, report."""
    with open_container(database_url) as c:
        mapping = _mapping(maps, mapping_file)
        if validate is not None:
            validate()
        ws = _prepare(c, path, fmt, workspace)
        with _interruptible(path), _progress(path) as tick:
            report = work(c, ws, mapping, tick)
        _print_report(report, workspace)


@contextmanager
def _progress(path: Path) -> Iterator[Callable[[ImportProgress], None]]:
    """A Rich progress bar over the bytes of the file, with rows and rows per second."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TextColumn("{task.fields[rate]:>9,.0f} rows/s"),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    ) as bar:
        task = bar.add_task(path.name, total=path.stat().st_size or 1, rows=0, rate=0.0)

        def tick(p: ImportProgress) -> None:
            rate = p.read / p.seconds if p.seconds > 0 else 0.0
            bar.update(task, completed=p.bytes_done, total=p.bytes_total, rows=p.read, rate=rate)

        yield tick


def _print_report(report: ImportReport, workspace: str) -> None:
    events = report.kind == "events"
    labels = (
        ("stored", "duplicates") if events else ("created", "unchanged")
    )  # what the counts mean
    table = Table(title=f"{report.kind}: {Path(report.path).name} → workspace {workspace}")
    columns = ["read", labels[0], *([] if events else ["updated"]), labels[1], "rejected"]
    for name in [*columns, "rows/s", "seconds"]:
        table.add_column(name, justify="right")
    counts = [report.read, report.stored, *([] if events else [report.updated])]
    counts += [report.duplicates, report.rejected]
    table.add_row(
        *(f"{n:,}" for n in counts),
        f"{report.rows_per_second:,.0f}",
        f"{report.seconds:.2f}",
    )
    console.print(table)
    if report.ignored_columns:
        hint = (
            "map them with --map COLUMN=properties.COLUMN"
            if events
            else "not stored"
            if report.kind == "contacts"
            else "map them with --map COLUMN=FIELD"
        )
        names = ", ".join(report.ignored_columns)
        console.print(f"[yellow]ignored columns[/] ({hint}): {escape(names)}")
    if report.first_rejects:
        _print_rejects(report)


def _print_rejects(report: ImportReport) -> None:
    where = "row" if report.format == "parquet" else "line"
    table = Table(title="first rejects", title_justify="left")
    table.add_column(where, justify="right")
    table.add_column("reason", overflow="fold")
    for r in report.first_rejects:
        table.add_row(str(r.line), escape(r.reason))
    console.print(table)
    console.print(
        f"{report.rejected:,} rejected record(s) are kept in quarantine with source "
        f"[bold]{escape(report.source)}[/]. Fix them and run the same command again: "
        "records already stored are skipped."
    )
    if report.rejected == report.read:
        console.print("[yellow]every record was rejected: check --format and --map.[/]")


@contextmanager
def _interruptible(path: Path) -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted.[/] Every chunk acknowledged so far is stored; run the same "
            f"command again to finish {escape(path.name)} (stored records are skipped)."
        )
        raise typer.Exit(130) from None


@app.command("events")
def events_cmd(
    path: Path = PathArgument,
    workspace: str = WorkspaceOption,
    source: str = typer.Option(
        "import",
        "--source",
        help="Source the events are stored under. Dedup is per source: rerun with the same one.",
    ),
    fmt: str | None = FormatOption,
    maps: list[str] | None = MapOption,
    mapping_file: Path | None = MappingOption,
    event_type: str | None = typer.Option(
        None, "--type", help="Message type for CSV/Parquet rows that have none, e.g. track."
    ),
    chunk_size: int | None = ChunkOption,
    reader_process: bool | None = typer.Option(
        None,
        "--reader-process/--one-process",
        help="Read and convert the file (NDJSON, CSV or Parquet) in a second process while "
        "this one writes (default: for files of 16 MiB or more). Stores the same either way.",
        show_default=False,
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Import Segment-format events: NDJSON lines, or CSV/Parquet rows mapped with --map.

    Rows without a messageId get one derived from their content, so reruns add nothing.
    """

    def check_source() -> None:
        if not source.strip() or len(source) > 100:
            raise ValidationError("--source must be a name of 1 to 100 characters")

    def work(c: Container, ws: int, mapping: dict[str, str], tick: Tick) -> ImportReport:
        size = chunk_size
        if size is None:
            size = CHUNK_SIZE
            if server_running(c.settings.database_url):
                size = SERVED_CHUNK_SIZE
                console.print(
                    f"A Leadloop server is using this store: {size:,} records a transaction, "
                    "so that its writes wait less (--chunk-size to choose)."
                )
        return import_events(
            c.ingest_store,
            c.directory,
            workspace_id=ws,
            source_id=c.workspaces.source_id(ws, source),
            path=path,
            fmt=fmt,
            mapping=mapping,
            default_type=event_type,
            chunk_size=size,
            max_message_bytes=c.limits.max_message_bytes,
            progress=tick,
            reader_process=reader_process,
        )

    _run_import(database_url, path, fmt, workspace, maps, mapping_file, work, check_source)


@app.command("contacts")
def contacts_cmd(
    path: Path = PathArgument,
    workspace: str = WorkspaceOption,
    fmt: str | None = FormatOption,
    maps: list[str] | None = MapOption,
    mapping_file: Path | None = MappingOption,
    chunk_size: int = typer.Option(5_000, "--chunk-size", min=1, help="Rows per transaction."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Import contacts, matched on e-mail: email, name (or first_name/last_name), topics,
    persona, crm_id, account_domain, account_name. Other columns are never stored."""

    def work(c: Container, ws: int, mapping: dict[str, str], tick: Tick) -> ImportReport:
        return import_contacts(
            c.directory,
            workspace_id=ws,
            path=path,
            fmt=fmt,
            mapping=mapping,
            chunk_size=chunk_size,
            progress=tick,
        )

    _run_import(database_url, path, fmt, workspace, maps, mapping_file, work)


@app.command("accounts")
def accounts_cmd(
    path: Path = PathArgument,
    workspace: str = WorkspaceOption,
    key: str | None = typer.Option(
        None,
        "--key",
        help="Match accounts on domain, name or crm_id (default: the first one mapped).",
    ),
    fmt: str | None = FormatOption,
    maps: list[str] | None = MapOption,
    mapping_file: Path | None = MappingOption,
    chunk_size: int = typer.Option(5_000, "--chunk-size", min=1, help="Rows per transaction."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Import accounts (companies): name, domain, crm_id; every other column becomes a trait."""

    def work(c: Container, ws: int, mapping: dict[str, str], tick: Tick) -> ImportReport:
        return import_accounts(
            c.directory,
            workspace_id=ws,
            path=path,
            fmt=fmt,
            mapping=mapping,
            key=key,
            chunk_size=chunk_size,
            progress=tick,
        )

    _run_import(database_url, path, fmt, workspace, maps, mapping_file, work)


OpportunityMappingOption = typer.Option(
    None,
    "--mapping",
    help="YAML/JSON: {columns: {column: field}, stages: {CRM stage: open|won|lost}}.",
)
StageOption = typer.Option(
    None, "--stage", help="STAGE=open|won|lost, repeatable (Won and Lost are known)."
)


@app.command("opportunities")
def opportunities_cmd(
    path: Path = PathArgument,
    workspace: str = WorkspaceOption,
    source: str = typer.Option(
        "file",
        "--source",
        help="The CRM the file comes from (e.g. pipedrive); opportunities are keyed by "
        "(source, crm_id), so rerun with the same one.",
    ),
    fmt: str | None = FormatOption,
    maps: list[str] | None = MapOption,
    mapping_file: Path | None = OpportunityMappingOption,
    stage_maps: list[str] | None = StageOption,
    currency: str = typer.Option("USD", "--currency", help="Currency of rows that have none."),
    chunk_size: int = typer.Option(5_000, "--chunk-size", min=1, help="Rows per transaction."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Import CRM opportunities (any CRM's export): crm_id, name, amount, currency, stage,
    created_at, close_date, owner, type, account_crm_id/account_domain/account_name."""

    def check_source() -> None:
        if not source.strip() or len(source) > 64:
            raise ValidationError("--source must be a name of 1 to 64 characters")

    def work(c: Container, ws: int, mapping: dict[str, str], tick: Tick) -> ImportReport:
        stages = load_stages_file(mapping_file)
        stages.update(parse_map_options(stage_maps or []))
        report = import_opportunities(
            c.crm,
            workspace_id=ws,
            path=path,
            source=source,
            fmt=fmt,
            mapping=mapping,
            stages=stages,
            currency=currency,
            hooks=c.opportunity_hooks,
            chunk_size=chunk_size,
            progress=tick,
        )
        c.sale_content.tag_pending(ws)  # what the hooks queued: content tagged to each sale
        return report

    _run_import(database_url, path, fmt, workspace, maps, mapping_file, work, check_source)


@app.command("costs")
def costs_cmd(
    path: Path = PathArgument,
    workspace: str = WorkspaceOption,
    fmt: str | None = FormatOption,
    maps: list[str] | None = MapOption,
    mapping_file: Path | None = MappingOption,
    currency: str = typer.Option("USD", "--currency", help="Currency of rows that have none."),
    chunk_size: int = typer.Option(5_000, "--chunk-size", min=1, help="Rows per transaction."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Import the cost ledger: month, kind (marketing/sales), program, amount, and optionally
    campaign, channel, component, currency. Reloading replaces amounts, never adds twice."""

    def work(c: Container, ws: int, mapping: dict[str, str], tick: Tick) -> ImportReport:
        return import_costs(
            c.costs, workspace_id=ws, path=path, fmt=fmt, mapping=mapping,
            currency=currency, chunk_size=chunk_size, progress=tick,
        )  # fmt: skip

    _run_import(database_url, path, fmt, workspace, maps, mapping_file, work)
