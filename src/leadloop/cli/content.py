"""`leadloop content`: validate, load and list the content catalog (YAML or CSV)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from leadloop.cli.context import (
    DatabaseOption,
    WorkspaceOption,
    console,
    err_console,
    open_container,
)
from leadloop.domain.content import HOT_SIGNAL, WARM_SIGNAL
from leadloop.domain.problems import Problem
from leadloop.errors import CatalogValidationError, LeadloopError
from leadloop.services.catalog import (
    CatalogLoadReport,
    check_catalog_file,
    find_content,
    load_catalog_file,
)

app = typer.Typer(
    help="The content catalog: every asset tagged by buying stage, topic, persona, segment, "
    "format and signal, managed from a YAML or CSV file.",
    no_args_is_help=True,
)

SIGNAL_NAMES = {HOT_SIGNAL: "hot", WARM_SIGNAL: "warm"}
FileArgument = typer.Argument(
    ..., help="Catalog file: .yaml/.yml (with an optional taxonomy) or .csv.", show_default=False
)


def _print_problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    """One problem per line, never wrapped, so editors and grep can jump to each."""
    for problem in problems:
        typer.echo(str(problem))
    typer.echo(f"{len(problems)} problem(s); nothing was loaded. Fix them and run it again.")


@app.command("validate")
def validate_cmd(path: Path = FileArgument) -> None:
    """Check a catalog file without touching the store; exit 1 listing every problem."""
    try:
        result = check_catalog_file(path)
    except LeadloopError as exc:
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}")
        raise typer.Exit(1) from None
    if not result.ok:
        _print_problems(result.problems)
        raise typer.Exit(1)
    declared = ", ".join(f"{len(t)} {k}" for k, t in result.taxonomy.terms.items())
    taxonomy = f"; taxonomy declares {declared}" if declared else ""
    typer.echo(f"{path}: {len(result.items)} item(s) valid{taxonomy}")


def _print_load(report: CatalogLoadReport, workspace: str, prune: bool) -> None:
    c = report.counts
    verb = "would change" if report.dry_run else "loaded into"
    table = Table(title=f"{escape(Path(report.file).name)} {verb} workspace {escape(workspace)}")
    for name in ("items", "created", "updated", "unchanged", "deleted", "terms changed"):
        table.add_column(name, justify="right")
    values = (report.items, c.created, c.updated, c.unchanged, c.deleted, c.terms_changed)
    table.add_row(*(f"{n:,}" for n in values))
    console.print(table)
    if c.kept and not prune:
        console.print(
            f"[yellow]{c.kept:,} stored item(s) are not in the file[/] and were kept; "
            "`--prune` removes them."
        )
    if report.dry_run:
        console.print("dry run: nothing was written.")


@app.command("load")
def load_cmd(
    path: Path = FileArgument,
    workspace: str = WorkspaceOption,
    prune: bool = typer.Option(
        False, "--prune", help="Remove stored items (and declared terms) the file no longer lists."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate and count the changes, write nothing."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Validate a catalog file and make the workspace's catalog match it (idempotent)."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        try:
            report = load_catalog_file(c.engine, ws, path, prune=prune, dry_run=dry_run)
        except CatalogValidationError as exc:
            _print_problems(list(exc.problems))
            raise typer.Exit(1) from None
        _print_load(report, workspace, prune)


@app.command("list")
def list_cmd(
    stage: str | None = typer.Option(None, "--stage", help="Only this buying stage."),
    topic: str | None = typer.Option(None, "--topic", help="Only items about this topic."),
    persona: str | None = typer.Option(None, "--persona", help="Only items for this persona."),
    segment: str | None = typer.Option(None, "--segment", help="Only items for this segment."),
    fmt: str | None = typer.Option(None, "--format", help="Only this format, e.g. 'video book'."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """List catalog items as a table, filtered by stage, topic, persona, segment, format."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        found = find_content(
            c.engine, ws, stage=stage, topic=topic, persona=persona, segment=segment, fmt=fmt
        )
        table = Table(title=f"catalog of workspace {escape(workspace)}: {len(found):,} item(s)")
        for name in ("asset_id", "title", "format", "stage", "topics", "personas", "signal"):
            table.add_column(name, overflow="fold", no_wrap=name in ("asset_id", "stage"))
        for s in found:
            i = s.item
            signal = SIGNAL_NAMES.get(i.signal, f"{i.signal:g}") if i.signal is not None else ""
            table.add_row(
                *(escape(v) for v in (i.asset_id, i.title, i.format, i.buying_stage)),
                escape(", ".join(i.topics)), escape(", ".join(i.personas)), signal,
            )  # fmt: skip
        console.print(table)
