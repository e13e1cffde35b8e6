"""`leadloop lead`: sales actions, a lead's state and history, qualification and the funnel."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.services.facts_file import MemoryFactsSource
from leadloop.services.funnel import FunnelReport, funnel_report
from leadloop.services.leads import ACTIONS, LeadView
from leadloop.services.qualify import qualify

app = typer.Typer(
    help="Leads: accept, reject, convert, won, lost, recycle; show, list, qualify, funnel.",
    no_args_is_help=True,
)
FactsOption = typer.Option(
    ..., help="Lead facts (JSON lines); the latest per lead is used.", exists=True
)
HELP = {
    "accept": "Accept a sales-ready lead.",
    "reject": "Reject a sales-ready lead with a reason from the configured list.",
    "convert": "Convert an accepted lead into an opportunity.",
    "won": "Mark the opportunity won.",
    "lost": "Mark the opportunity lost (the lead is recycled into nurture at once).",
    "recycle": "Recycle a rejected or stalled accepted lead into nurture (a new cycle).",
}


def _register(action: str) -> None:
    def command(
        lead_id: int = typer.Argument(..., help="The lead (contact) id."),
        user: str = typer.Option(..., "--as", help="E-mail of the user acting."),
        reason: str | None = typer.Option(None, help="Why (required for reject)."),
        workspace: str = WorkspaceOption,
        database_url: str | None = DatabaseOption,
    ) -> None:
        with open_container(database_url) as c:
            ws = c.workspaces.workspace_id(workspace)
            result = c.leads.act(ws, lead_id, action, user_email=user, reason=reason)
            lead = result.lead
            if result.changed:
                console.print(f"lead {lead_id} is now [bold]{lead.state}[/] (cycle {lead.cycle})")
            else:
                console.print(f"lead {lead_id} is already {lead.state}; nothing changed")

    command.__doc__ = HELP[action] + " Repeating it changes nothing."
    app.command(action)(command)


for _action in ACTIONS:
    _register(_action)


@app.command("show")
def show(
    lead_id: int = typer.Argument(..., help="The lead (contact) id."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """A lead's state, its whole history and why it qualified."""
    with open_container(database_url) as c:
        print_lead(c.leads.show(c.workspaces.workspace_id(workspace), lead_id))


def print_lead(lead: LeadView) -> None:
    console.print(f"lead [bold]{lead.contact_id}[/]: [bold]{lead.state}[/] since "
                  f"{lead.since:%Y-%m-%d %H:%M} UTC, cycle {lead.cycle}")  # fmt: skip
    table = Table("at (UTC)", "cycle", "from", "to", "by", "reason")
    for t in lead.history:
        by = t.actor.kind + (f" {t.actor.id}" if t.actor.id else "")
        table.add_row(f"{t.at:%Y-%m-%d %H:%M}", str(t.cycle), t.from_state or "-", t.to_state,
                      by, t.reason or "")  # fmt: skip
    console.print(table)
    for q in lead.qualifications:
        console.print(f"qualified in cycle {q.cycle} under rule version {q.rule_version}:")
        for reason in q.reasons:
            console.print(f"  - {reason}")


@app.command("list")
def list_cmd(
    state: str | None = typer.Option(None, help="Only leads in this state."),
    limit: int = typer.Option(100, help="At most this many."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Leads with a lifecycle and their state."""
    with open_container(database_url) as c:
        table = Table("lead", "state", "cycle", "since (UTC)")
        for s in c.leads.list(c.workspaces.workspace_id(workspace), state, limit):
            table.add_row(str(s.contact_id), s.state, str(s.cycle), f"{s.since:%Y-%m-%d %H:%M}")
        console.print(table)


@app.command("qualify")
def qualify_cmd(
    facts: Path = FactsOption,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Evaluate leads under the active rule and move those that qualify to sales_ready."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        source = MemoryFactsSource.from_ndjson(facts)
        ids = sorted({f.contact_id for f in source.snapshots})
        latest = source.facts_for(ws, ids, datetime.now(UTC))
        results = qualify(c.lead_store, ws, latest, c.rulebook.active_rules(ws))
        moved = [r for r in results if r.moved]
        console.print(f"{len(results)} leads evaluated, {len(moved)} moved to sales_ready")
        for r in moved:
            console.print(
                f"lead {r.qualification.contact_id}: " + " ".join(r.qualification.reasons)
            )


@app.command("funnel")
def funnel(
    period: str = typer.Option("month", help="month or quarter."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Conversion between stages, nurture period and time in stage, per period."""
    with open_container(database_url) as c:
        print_funnel(funnel_report(c.lead_store, c.workspaces.workspace_id(workspace), period))


def print_funnel(report: FunnelReport) -> None:
    conv = Table("period", "from", "to", "entered", "converted", "rate", title="Conversion")
    for row in report.conversion:
        rate = f"{row.rate:.0%}" if row.rate is not None else "-"
        conv.add_row(row.period, row.from_state, row.to_state, str(row.entered),
                     str(row.converted), rate)  # fmt: skip
    console.print(conv)
    nurture = Table("period", "sales-ready leads", "mean days", "median days",
                    title="Nurture period (first touch or recycle to sales_ready)")  # fmt: skip
    for f in report.nurture:
        nurture.add_row(f.period, str(f.count), f"{f.mean_days:.1f}", f"{f.median_days:.1f}")
    console.print(nurture)
    stages = Table("state", "finished stays", "mean days", "median days", title="Time in stage")
    for state, f in report.time_in_stage.items():
        stages.add_row(state, str(f.count), f"{f.mean_days:.1f}", f"{f.median_days:.1f}")
    console.print(stages)
