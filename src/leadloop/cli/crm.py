"""`leadloop crm`: sync opportunities from Salesforce or HubSpot, push leads, show status."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import typer
from rich.markup import escape
from rich.table import Table

from leadloop.bootstrap import crm_connector
from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.services.crm_push import push_sales_ready
from leadloop.services.crm_sync import SyncReport, sync_opportunities
from leadloop.store.crm_reading import sales_ready_lead
from leadloop.store.crm_state import SyncError, SyncState

app = typer.Typer(
    help="CRM sync: pull opportunities from Salesforce or HubSpot (incremental, idempotent, "
    "rate-limit aware), push sales-ready leads, and show each connector's cursor and errors.",
    no_args_is_help=True,
)


class Crm(StrEnum):
    salesforce = "salesforce"
    hubspot = "hubspot"


CrmArgument = typer.Argument(..., help="Which CRM: salesforce or hubspot.")
EmailOption = typer.Option(..., "--email", help="Contact to push; repeatable.")
ReasonOption = typer.Option(None, "--reason", help="Why the lead is sales-ready; repeatable.")


def _print_sync(report: SyncReport) -> None:
    table = Table(title=f"{report.connector} {report.object}: {report.status}")
    names = ("fetched", "created", "updated", "unchanged", "failed", "retried", "rate_limited")
    for name in names:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_row(*(f"{getattr(report, n):,}" for n in names))
    console.print(table)
    console.print(f"cursor: {report.cursor_before or '-'} → {report.cursor_after or '-'}")
    for failure in report.first_failures:
        console.print(f"[yellow]failed[/] {escape(failure.record_id)}: {escape(failure.error)}")
    if report.failed:
        console.print(
            f"{report.failed:,} record(s) failed; they are kept in crm_sync_errors and retried "
            "on the next run (`leadloop crm status` lists them)."
        )


@app.command("sync")
def sync_cmd(
    crm: Crm = CrmArgument,
    workspace: str = WorkspaceOption,
    full: bool = typer.Option(False, "--full", help="Ignore the cursor and pull everything."),
    bulk: bool = typer.Option(
        False, "--bulk", help="Salesforce: a Bulk API 2.0 query job (for large first loads)."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Pull opportunities changed since the last sync, with their contact roles."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        connector, mapping, stages = crm_connector(c.settings, crm.value)
        report = sync_opportunities(
            c.crm,
            c.crm_state,
            connector,
            workspace_id=ws,
            mapping=mapping,
            stages=stages,
            hooks=c.opportunity_hooks,
            bulk=bulk,
            full=full,
        )
        c.sale_content.tag_pending(ws)  # what the hooks queued: content tagged to each sale
        _print_sync(report)
        if report.status != "ok":
            console.print(f"[bold red]{report.status}:[/] {escape(report.message or '')}")
            raise typer.Exit(1)


@app.command("status")
def status_cmd(
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Each connector's last sync, cursor, counts and unresolved errors."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        states = c.crm_state.all(ws)
        if not states:
            console.print("no CRM sync has run yet: `leadloop crm sync salesforce`")
        else:
            console.print(_state_table(states, workspace))
        errors = c.crm_state.errors(ws)
        if errors:
            console.print(_error_table(errors))


def _state_table(states: list[SyncState], workspace: str) -> Table:
    """One column per connector and object, one row per fact: fits any terminal."""
    table = Table(title=f"CRM sync: workspace {workspace}", title_justify="left")
    table.add_column("")
    for s in states:
        table.add_column(f"{s.connector} {s.object}", justify="right")

    def row(label: str, cell: Callable[[SyncState], str]) -> None:
        table.add_row(label, *(cell(s) for s in states))

    row("last run (UTC)", lambda s: f"{s.last_run_at:%Y-%m-%d %H:%M:%S}" if s.last_run_at else "-")
    row("status", lambda s: s.last_status or "-")
    row("cursor", lambda s: s.cursor or "-")
    for key, label in (
        ("fetched", "fetched"),
        ("created", "created"),
        ("updated", "updated"),
        ("unchanged", "unchanged"),
        ("failed", "failed"),
        ("rate_limited", "rate-limit waits"),
    ):
        table.add_row(label, *(f"{s.counts[key]:,}" for s in states))
    row("open errors", lambda s: f"{s.open_errors:,}")
    return table


def _error_table(errors: list[SyncError]) -> Table:
    table = Table(title="records waiting for a retry", title_justify="left")
    for name in ("connector/object", "record", "attempts", "next retry (UTC)"):
        table.add_column(name, no_wrap=True)
    table.add_column("error", overflow="fold")
    for e in errors:
        table.add_row(
            f"{e.connector}/{e.object}",
            escape(e.record_id),
            str(e.attempts),
            f"{e.next_retry_at:%Y-%m-%d %H:%M}",
            escape(e.error),
        )
    return table


@app.command("push")
def push_cmd(
    crm: Crm = CrmArgument,
    emails: list[str] = EmailOption,
    reasons: list[str] | None = ReasonOption,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Push sales-ready leads with their reasons and reading history (Lead/Contact + Task,
    or HubSpot contact + note)."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        why = tuple(reasons or ("sales-ready",))
        leads = [sales_ready_lead(c.engine, ws, e, why) for e in emails]
        connector, _, _ = crm_connector(c.settings, crm.value)
        report = push_sales_ready(connector, c.crm_state, leads, workspace_id=ws)
        for result in report.pushed:
            verb = "created" if result.created else "updated"
            console.print(
                f"{result.crm_object} {result.crm_id} {verb}; activity {result.activity_id}"
            )
        for failure in report.failed:
            console.print(f"[red]failed[/] contact {failure.record_id}: {escape(failure.error)}")
        if report.failed:
            raise typer.Exit(1)
