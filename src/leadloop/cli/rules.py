"""`leadloop rules`: the sales-ready agreement, versioned and signed by marketing and sales."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.syntax import Syntax
from rich.table import Table

from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.errors import ValidationError
from leadloop.services.facts_file import MemoryFactsSource
from leadloop.services.replay import ReplayReport, ReplayRow
from leadloop.services.rules import RuleBook
from leadloop.store.rules import RuleVersionRecord, SqlRuleStore

app = typer.Typer(
    help="The sales-ready rule: upload, approve (marketing + sales), show, list, test.",
    no_args_is_help=True,
)
AsOption = typer.Option(..., "--as", help="E-mail of the user acting.")
FactsOption = typer.Option(
    None, help="Lead facts history (JSON lines); default: the profile store.", exists=True
)
FileArgument = typer.Argument(..., help="The rule file (YAML).", exists=True, dir_okay=False)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from None


@app.command("upload")
def upload(
    file: Path = FileArgument,
    user: str = AsOption,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Validate a rule file and store it as a draft version."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        result = c.rulebook.upload(ws, _read(file), user, source=file.name)
        v = result.record.version
        if result.created:
            console.print(f"rule version [bold]{v}[/] uploaded as a draft ({result.record.name})")
            console.print("It becomes active once a marketing and a sales user run "
                          f"`leadloop rules approve {v} --as EMAIL`.")  # fmt: skip
        else:
            console.print(f"rule version {v} is already stored with this exact text")


@app.command("approve")
def approve(
    version: int = typer.Argument(..., help="The version to sign."),
    user: str = AsOption,
    role: str | None = typer.Option(None, help="Side an admin signs for: marketing or sales."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Sign a version for your side; with both signatures it becomes active."""
    with open_container(database_url) as c:
        result = c.rulebook.approve(c.workspaces.workspace_id(workspace), version, user, role)
        signed = ", ".join(f"{a.role} ({a.email})" for a in result.record.approvals)
        if not result.recorded:
            console.print(f"already approved; version {version} is {result.record.status}")
        elif result.activated:
            console.print(f"version [bold]{version}[/] is now [green]active[/] (signed: {signed})")
        else:
            console.print(f"approval recorded; version {version} is a draft (signed: {signed})")


@app.command("show")
def show(
    version: int | None = typer.Argument(None, help="A version (default: the active one)."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Show a version's status, signatures and text."""
    with open_container(database_url) as c:
        record = c.rulebook.show(c.workspaces.workspace_id(workspace), version)
        _print_record(record)


def _print_record(r: RuleVersionRecord) -> None:
    console.print(f"[bold]{r.name}[/] version {r.version}: [bold]{r.status}[/]")
    console.print(f"uploaded by {r.uploaded_by} at {r.uploaded_at:%Y-%m-%d %H:%M} UTC; "
                  f"sha256 {r.sha256[:12]}")  # fmt: skip
    for a in r.approvals:
        console.print(f"approved for {a.role} by {a.email} at {a.approved_at:%Y-%m-%d %H:%M} UTC")
    console.print(Syntax(r.yaml_text, "yaml", theme="ansi_light", background_color="default"))


@app.command("list")
def list_cmd(workspace: str = WorkspaceOption, database_url: str | None = DatabaseOption) -> None:
    """List every version with its status and signatures."""
    with open_container(database_url) as c:
        table = Table("version", "name", "status", "uploaded by", "approved by")
        for r in c.rulebook.list(c.workspaces.workspace_id(workspace)):
            signed = ", ".join(f"{a.role}: {a.email}" for a in r.approvals)
            table.add_row(str(r.version), r.name, r.status, r.uploaded_by, signed or "-")
        console.print(table)


@app.command("test")
def test(
    file: Path = FileArgument,
    facts: Path | None = FactsOption,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Replay history: who would qualify under FILE, compared with the active version."""
    with open_container(database_url) as c:
        book = c.rulebook
        if facts is not None:
            book = RuleBook(SqlRuleStore(c.engine), c.users, MemoryFactsSource.from_ndjson(facts))
        report = book.test(c.workspaces.workspace_id(workspace), _read(file), source=file.name)
        print_replay(report)


def print_replay(report: ReplayReport) -> None:
    """The replay as a Rich table and a one-line summary."""
    active = f"version {report.active_version}" if report.active_version else "no active version"
    table = Table("lead", "change", "first qualified", "reasons", title=(
        f"Draft version {report.candidate_version} vs {active}: "
        f"{report.leads} leads, {report.snapshots} fact snapshots replayed"
    ))  # fmt: skip
    rows = [("newly qualifying", r, r.candidate) for r in report.newly]
    rows += [("no longer qualifying", r, r.active) for r in report.no_longer]
    rows += [("both", r, r.candidate) for r in report.both]
    for label, row, q in rows:
        table.add_row(str(row.contact_id), label, _when(row, q), "\n".join(q.reasons if q else ()))
    console.print(table)
    sign = "+" if report.delta >= 0 else ""
    console.print(
        f"{report.candidate_total} would qualify under the draft, {report.active_total} under "
        f"{active} ({sign}{report.delta}): {len(report.newly)} newly, "
        f"{len(report.no_longer)} no longer, {len(report.both)} both"
    )


def _when(row: ReplayRow, q: object) -> str:
    at = getattr(q, "as_of", None)
    return f"{at:%Y-%m-%d}" if at is not None else "-"
