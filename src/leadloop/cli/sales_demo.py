"""What `leadloop demo` shows of the closed loop: the agreed rule, the funnel, the hand-offs.

Marketing and sales sign the example agreement (docs/examples/sales-ready.yaml), three reps
take leads in turn, and every profiled contact is qualified at the first recorded moment it
met the rule (the simulated world is history, so "now" would find everyone cold). Each
sales-ready lead is handed to its owner in the qualifying transaction, exactly as the
server does in real time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from rich.table import Table

from leadloop.bootstrap import Container
from leadloop.cli.context import console
from leadloop.cli.leads import print_funnel
from leadloop.errors import ConflictError
from leadloop.services.funnel import funnel_report
from leadloop.store.handed_over import hand_over_counts, top_handed_over

RULES_FILE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "sales-ready.yaml"
MARKETING = "mia.marketing@demo.example"
SALES = "sam.sales@demo.example"
REPS = (
    ("rita.ortega@demo.example", "Rita Ortega"),
    ("bo.lindqvist@demo.example", "Bo Lindqvist"),
    ("cy.nakamura@demo.example", "Cy Nakamura"),
)


@contextmanager
def _quiet() -> Iterator[None]:
    """One log line per qualified lead is right for a server, too much for the demo."""
    root = logging.getLogger("leadloop")
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.setLevel(level)


def _team(c: Container, ws: int) -> None:
    """A marketing and a sales user who sign the rule, and reps taking turns."""
    people = ((MARKETING, "marketing", "Mia (marketing)"), (SALES, "sales", "Sam (sales)"))
    for email, role, name in people:
        with suppress(ConflictError):  # a rerun: the user is there
            c.users.add(ws, email, role, name)
    known = {r.email for r in c.reps.list(ws)}
    for email, name in REPS:
        if email not in known:
            c.reps.add(ws, email, name, manager=None)
    c.reps.set_policy(ws, {"strategies": ["round_robin"]})


def _agree(c: Container, ws: int) -> int:
    """Upload the example rule and have both sides approve it; return its version."""
    uploaded = c.rulebook.upload(ws, RULES_FILE.read_text(), MARKETING, RULES_FILE.name)
    version = uploaded.record.version
    for email in (MARKETING, SALES):
        c.rulebook.approve(ws, version, email)
    return version


def _handed_table(c: Container, ws: int) -> Table:
    table = Table("lead → owner", "why it qualified (rule's reasons)",
                  title="Handed to sales: top 10 by score", show_lines=True)  # fmt: skip
    for h in top_handed_over(c.engine, ws, 10):
        lead = (
            f"[bold]{h.name or h.contact_id}[/] ({h.contact_id})\n→ {h.owner or '(unassigned)'}\n"
            f"score {h.score:.0f}{' · hot' if h.hot else ''}\n{h.qualified_at:%Y-%m-%d}"
        )
        table.add_row(lead, "\n".join(f"• {r}" for r in h.reasons))
    return table


def show_sales_ready(c: Container, ws: int) -> None:
    """Sign the rule, qualify the profiled contacts, hand them over; print the leads."""
    console.rule("[bold]4. The sales-ready agreement and the hand-off to sales")
    started = time.perf_counter()
    _team(c, ws)
    version = _agree(c, ws)
    console.print(
        f"rule version {version} ({RULES_FILE.name}) approved by {MARKETING} and {SALES}; "
        f"round-robin over {len(REPS)} reps"
    )
    with _quiet():
        report = c.sales_ready.replay(ws, c.rulebook.active_rules(ws))
    console.print(
        f"replayed the history of {report.contacts:,} profiled known contacts in "
        f"{time.perf_counter() - started:.1f} s: {report.engaged:,} moved to engaged, "
        f"{len(report.sales_ready):,} became sales-ready and were handed to sales"
    )
    console.print(_handed_table(c, ws))
    counts = hand_over_counts(c.engine, ws)
    owners = ", ".join(f"{name} {n:,}" for name, n in counts.per_owner.items())
    console.print(f"{counts.hand_offs:,} leads handed to sales ({counts.hot:,} hot): {owners}")


def show_closed_loop(c: Container, ws: int) -> None:
    """The funnel once the CRM's deals have moved the leads: first touch to won or recycled."""
    console.rule("[bold]6. The closed loop: every stage, conversion and nurture period")
    print_funnel(funnel_report(c.lead_store, ws, "quarter"))
