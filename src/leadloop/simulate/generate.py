"""Generate a whole world into a directory: the one entry point the CLI and the demo call."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from leadloop.simulate import writers
from leadloop.simulate.catalog import build_catalog
from leadloop.simulate.config import SimConfig
from leadloop.simulate.context import Sim, wire
from leadloop.simulate.costs import monthly_costs
from leadloop.simulate.plans import build_plans
from leadloop.simulate.timeline import ProgressFn, play
from leadloop.simulate.world import build_world

logger = logging.getLogger(__name__)

EVENTS_FILE: Final = "events.ndjson"
FILES: Final = (
    "events.ndjson",
    "content.csv",
    "accounts.csv",
    "contacts.csv",
    "costs.csv",
    "opportunities.csv",
    "truth.csv",
)


@dataclass(frozen=True, slots=True)
class SimSummary:
    """Counts of what was generated, for the CLI table and for tests."""

    out_dir: Path
    config: SimConfig
    assets: int
    accounts: int
    contacts: int
    web_active: int
    visitors: int
    sessions: int
    events: int
    malformed: int
    duplicates: int
    identified: int
    sales_ready: int
    opportunities: int
    won: int
    lost: int
    open: int
    won_amount: int
    marketing_cost: float
    sales_cost: float
    seconds: float
    event_types: dict[str, int] = field(default_factory=dict)

    @property
    def lines(self) -> int:
        """Lines in ``events.ndjson``: valid events, broken lines and retried duplicates."""
        return self.events + self.malformed + self.duplicates

    @property
    def cpod(self) -> float | None:
        """Cost per order dollar over the whole period (``None`` when nothing was won)."""
        if not self.won_amount:
            return None
        return (self.marketing_cost + self.sales_cost) / self.won_amount


def _report(progress: ProgressFn | None, phase: str, done: float) -> None:
    if progress is not None:
        progress(phase, done)


def _write_tables(out_dir: Path, sim: Sim) -> tuple[float, float]:
    """Every CSV; returns (marketing cost, sales cost)."""
    world = sim.world
    writers.write_csv(
        out_dir / "content.csv", writers.CONTENT_COLUMNS, writers.content_rows(sim.catalog)
    )
    writers.write_csv(
        out_dir / "accounts.csv", writers.ACCOUNT_COLUMNS, writers.account_rows(world)
    )
    writers.write_csv(
        out_dir / "contacts.csv", writers.CONTACT_COLUMNS, writers.contact_rows(world)
    )
    costs = monthly_costs(sim.config, sim.ledger)
    writers.write_csv(out_dir / "costs.csv", writers.COST_COLUMNS, writers.cost_rows(costs))
    writers.write_csv(
        out_dir / "opportunities.csv",
        writers.OPPORTUNITY_COLUMNS,
        writers.opportunity_rows(world, sim.desk.opportunities),
    )
    writers.write_csv(
        out_dir / "truth.csv",
        writers.TRUTH_COLUMNS,
        writers.truth_rows(world, sim.plans, sim.truth),
    )
    marketing = sum(r.amount for r in costs if r.kind == "marketing")
    return marketing, sum(r.amount for r in costs if r.kind == "sales")


def generate(
    out_dir: Path, config: SimConfig | None = None, progress: ProgressFn | None = None
) -> SimSummary:
    """Simulate ``config``'s world into ``out_dir`` (created if missing; files replaced).

    ``progress(phase, fraction)`` is called with phase ``world``, ``events`` or ``files``.
    """
    config = (config or SimConfig()).validated()
    began = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    _report(progress, "world", 0.0)
    world = build_world(config.seed, config.contacts)
    plans = build_plans(config, world)
    sim = wire(config, world, plans, build_catalog(config.seed))
    _report(progress, "world", 1.0)
    partial = out_dir / (EVENTS_FILE + ".part")
    with partial.open("wb", buffering=1 << 20) as out:
        sessions = play(sim, out, progress)
    partial.replace(out_dir / EVENTS_FILE)
    _report(progress, "events", 1.0)
    marketing, sales = _write_tables(out_dir, sim)
    _report(progress, "files", 1.0)
    summary = _summary(out_dir, sim, sessions, marketing, sales, time.perf_counter() - began)
    logger.info(
        "simulate.done",
        extra={"fields": {"events": summary.events, "seconds": round(summary.seconds, 1)}},
    )
    return summary


def _summary(
    out_dir: Path, sim: Sim, sessions: int, marketing: float, sales: float, seconds: float
) -> SimSummary:
    opps = sim.desk.opportunities
    truth, emitter = sim.truth, sim.emitter
    return SimSummary(
        out_dir=out_dir,
        config=sim.config,
        assets=len(sim.catalog),
        accounts=len(sim.world.accounts),
        contacts=len(sim.world.contacts),
        web_active=int(sim.plans.web.sum()),
        visitors=sim.plans.visitors,
        sessions=sessions,
        events=emitter.valid,
        malformed=emitter.malformed,
        duplicates=emitter.duplicates,
        identified=int((truth.identified_at >= 0).sum()),
        sales_ready=int((truth.sales_ready_at >= 0).sum()),
        opportunities=len(opps),
        won=sum(o.status == "won" for o in opps),
        lost=sum(o.status == "lost" for o in opps),
        open=sum(o.status == "open" for o in opps),
        won_amount=sum(o.amount for o in opps if o.status == "won"),
        marketing_cost=round(marketing, 2),
        sales_cost=round(sales, 2),
        seconds=seconds,
        event_types=dict(sorted(emitter.counts.items())),
    )
