"""The revenue part of `leadloop demo`: load the simulated CRM and costs, print the reports.

Opportunities go through the opportunity import (the same path as any CRM export) and
costs through the cost-ledger import; each deal is tagged with the content its contacts and
account consumed before it closed; then content influence, CPOD per quarter, pipeline and
attribution are computed on DuckDB, the embedded engine.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from leadloop.analytics.reports import Filters, Report
from leadloop.analytics.run import build_report
from leadloop.analytics.warehouse import open_warehouse
from leadloop.bootstrap import Container
from leadloop.cli.context import console
from leadloop.cli.report import report_table
from leadloop.services.content_influence import InfluenceRow, influence_report
from leadloop.services.imports import import_costs, import_opportunities

OPPORTUNITY_MAP = {"opportunity_id": "crm_id", "stage": "stage"}
"""The simulator's opportunities.csv: its ``status`` column repeats what the stage says."""


def load_and_report(c: Container, workspace_id: int, out: Path) -> None:
    """Import opportunities.csv and costs.csv from ``out``, then print the revenue reports."""
    opps = import_opportunities(
        c.crm, workspace_id=workspace_id, path=out / "opportunities.csv", source="demo-crm",
        mapping=OPPORTUNITY_MAP, hooks=c.opportunity_hooks,
    )  # fmt: skip
    costs = import_costs(c.costs, workspace_id=workspace_id, path=out / "costs.csv")
    for r in (opps, costs):
        console.print(f"{r.kind}: read {r.read:,}, new {r.stored:,}, changed {r.updated:,}, "
                      f"already there {r.duplicates:,}, quarantined {r.rejected:,}")  # fmt: skip
    tagged = c.sale_content.tag_pending(workspace_id)
    console.print(f"content tagged to {tagged.opportunities:,} opportunities: "
                  f"{tagged.tags:,} consumptions by their contacts and accounts")  # fmt: skip
    influence = influence_report(c.engine, workspace_id)[:10]
    if influence:
        console.print(_influence_table(influence))
    wh = open_warehouse("duckdb", c.engine, workspace_id)
    try:
        for name, filters in (
            ("cpod", Filters("quarter")),
            ("pipeline", Filters("quarter")),
            ("attribution", Filters("year", model="linear")),
            ("attribution", Filters("year", model="markov_1")),
        ):
            console.print(report_table(build_report(wh, name, filters)))
            if name == "pipeline":
                revenue = build_report(wh, "revenue", Filters("quarter"))  # CPCV: cost per
                # contract value (programs that touched the deals won / their value)
                console.print(report_table(_columns(revenue, REVENUE_COLUMNS)))
    finally:
        wh.close()


REVENUE_COLUMNS = {"period": "period", "new_customer_revenue": "new customers",
                   "existing_customer_revenue": "existing", "cost_per_contract_value": "CPCV",
                   "leads_created": "leads", "cost_per_lead": "per lead"}  # fmt: skip
"""What of the revenue report fits a terminal: `leadloop report revenue` has it all."""


def _columns(report: Report, names: dict[str, str]) -> Report:
    keep = [report.columns.index(n) for n in names]
    return Report(report.name, report.title, list(names.values()),
                  [[row[i] for i in keep] for row in report.rows])  # fmt: skip


def _influence_table(rows: list[InfluenceRow]) -> Table:
    """Narrow enough for 80 columns; `leadloop content influence` has every column."""
    table = Table("asset", "stage", title="Content that influenced revenue (top 10)")
    for name in ("deals touched", "won", "won revenue"):
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(escape(r.title or r.asset_id), r.buying_stage or "-", f"{r.opportunities:,}",
                      f"{r.won_deals:,}", f"{r.won_revenue:,.0f}")  # fmt: skip
    return table
