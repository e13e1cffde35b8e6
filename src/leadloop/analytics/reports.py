"""Reports: an engine runs the Ibis queries, the domain metric functions finish.

Each report returns a :class:`Report` (title, columns, rows of plain values) that the CLI
prints as a Rich table or writes as CSV/JSON/Parquet, and the API returns as JSON.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any, Final

from leadloop.analytics.queries import (
    NONE,
    booked_query,
    closed_query,
    cost_query,
    funnel_entries,
    lead_labels,
    leads_created,
    nurture_inputs,
    period_label,
    period_start,
    pipeline_query,
    won_deal_programs,
    won_deals,
)
from leadloop.analytics.warehouse import Warehouse
from leadloop.domain.metrics import (
    FUNNEL,
    CostEntry,
    Opportunity,
    Ratio,
    Transition,
    cost_per_contract_value,
    cost_per_lead,
    cpod,
    funnel_conversion,
    new_customer_from_type,
    nurture_period_by_period,
    nurture_periods,
    period_of,
    revenue_by_customer,
    trend,
)

REPORTS: Final = ("cpod", "pipeline", "funnel", "attribution", "nurture", "revenue")


@dataclass(frozen=True, slots=True)
class Filters:
    """What a report is cut and filtered by."""

    grain: str | None = "quarter"
    cut: str | None = None
    segment: str | None = None
    persona: str | None = None
    channel: str | None = None
    model: str = "linear"
    dimension: str = "channel"
    level: str = "account"
    outcome: str = "pipeline"
    lookback_days: int | None = 90
    stages: tuple[str, ...] = FUNNEL


@dataclass(slots=True)
class Report:
    """A finished report: column names and rows of plain values (None prints n/a)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


def _rows(expr: Any) -> list[dict[str, Any]]:
    return list(expr.to_pyarrow().to_pylist())


def _at(day: Any) -> datetime:
    return datetime.combine(day, time(), UTC) if not isinstance(day, datetime) else day


def _cpod_inputs(
    wh: Warehouse, grain: str | None, cut: str | None
) -> tuple[list[CostEntry], list[Opportunity]]:
    """Summed costs (the cut's label rides in ``program``) and one booking per period."""

    def start(key: int) -> datetime:
        return _at(period_start(key, grain))

    costs = [
        CostEntry(start(r["period"]), r["amount"], r["kind"], r["cut"],
                  grain=grain or "month", currency=r["currency"])
        for r in _rows(cost_query(wh, grain, cut))
    ]  # fmt: skip
    booked = [
        Opportunity(f"booked:{r['period']}", "", start(r["period"]), r["amount"], "won",
                    start(r["period"]), currency=r["currency"])
        for r in _rows(booked_query(wh, grain))
    ]  # fmt: skip
    return costs, booked


def cpod_report(wh: Warehouse, f: Filters) -> Report:
    """CPOD per period (and cost cut) and its trend: the engine sums, :func:`cpod` and
    :func:`trend` finish. Cut by program, channel...: each label's cost per order dollar
    (they add up to the period's CPOD)."""
    costs, booked = _cpod_inputs(wh, f.grain, f.cut)
    report = Report("cpod", "CPOD: (marketing + sales cost) / booked order revenue",
                    ["period", f.cut or "cut", "marketing_cost", "sales_cost",
                     "booked_revenue", "cpod", "change"])  # fmt: skip
    labels = sorted({c.program or NONE for c in costs}) if f.cut else [NONE]
    for label in labels:
        mine = [c for c in costs if f.cut is None or c.program == label]
        ratios = cpod(mine, booked, f.grain)
        by_kind: dict[tuple[str, str], float] = defaultdict(float)
        for c in mine:
            by_kind[(period_of(c.on, f.grain), c.kind)] += c.amount
        for point in trend({p: r.value for p, r in ratios.items()}):
            r = ratios[point.period]
            report.rows.append([point.period, label, by_kind[(point.period, "marketing")],
                                by_kind[(point.period, "sales")], r.denominator, r.value,
                                point.change])  # fmt: skip
    report.rows.sort(key=lambda row: (row[0], row[1]))
    return report


def revenue_report(wh: Warehouse, f: Filters) -> Report:
    """Revenue from new and existing customers, cost per contract value and cost per lead.

    The engine selects won deals, the programs that touched each (the account's touches in
    the lookback before the close), costs per program and the leads' first ``known``;
    :func:`revenue_by_customer`, :func:`cost_per_contract_value` and :func:`cost_per_lead`
    count. Cost per lead is shown beside the revenue measures, never alone (DOMAIN.md idea 1).
    """
    programs: dict[Any, set[str]] = defaultdict(set)
    for r in _rows(won_deal_programs(wh, f.lookback_days)):
        programs[r["deal"]].add(r["program"])
    deals = []
    for r in _rows(won_deals(wh)):
        closed = _at(r["close_date"])
        deals.append(Opportunity(
            str(r["id"]), str(r["account_id"]), min(_at(r["created_at"]), closed), r["amount"],
            "won", closed, new_customer=new_customer_from_type(r["type"]),
            programs=frozenset(programs.get(r["id"], ())), currency=r["currency"],
        ))  # fmt: skip
    costs, _ = _cpod_inputs(wh, f.grain, "program")
    leads = [r["at"] for r in _rows(leads_created(wh))]
    split = revenue_by_customer(deals, f.grain)
    cpcv = cost_per_contract_value(costs, deals, f.grain)
    cpl = cost_per_lead(costs, leads, f.grain)
    won: dict[str, int] = defaultdict(int)
    for d in deals:
        assert d.closed_at is not None
        won[period_of(d.closed_at, f.grain)] += 1
    report = Report("revenue", "Revenue from new and existing customers, cost per contract "
                    "value, cost per lead",
                    ["period", "won", "booked_revenue", "new_customer_revenue",
                     "existing_customer_revenue", "contract_value", "touching_program_cost",
                     "cost_per_contract_value", "leads_created", "marketing_cost",
                     "cost_per_lead"])  # fmt: skip
    for period in sorted(split.keys() | cpl.keys()):
        money = split.get(period)
        value, per_lead = cpcv.get(period), cpl.get(period)
        report.rows.append([
            period, won.get(period, 0),
            (money.new + money.existing) if money else 0.0,
            money.new if money else 0.0, money.existing if money else 0.0,
            value.denominator if value else 0.0, value.numerator if value else 0.0,
            value.value if value else None,
            int(per_lead.denominator) if per_lead else 0,
            per_lead.numerator if per_lead else 0.0, per_lead.value if per_lead else None,
        ])  # fmt: skip
    return report


def pipeline_report(wh: Warehouse, f: Filters) -> Report:
    """Pipeline created, wins, losses, win rate, deal size and cycle per period and cut."""
    created = {(r["period"], r["cut"]): r for r in _rows(pipeline_query(wh, f.grain, f.cut))}
    closed = {(r["period"], r["cut"]): r for r in _rows(closed_query(wh, f.grain, f.cut))}
    report = Report("pipeline", "Pipeline created and deals closed",
                    ["period", f.cut or "cut", "created", "created_amount", "won", "lost",
                     "win_rate", "won_amount", "average_deal_size", "mean_cycle_days"])  # fmt: skip
    for key in sorted(created.keys() | closed.keys()):
        c, d = created.get(key, {}), closed.get(key, {})
        won, lost = d.get("won", 0), d.get("lost", 0)
        won_amount = d.get("won_amount", 0.0)
        report.rows.append([
            period_label(key[0], f.grain), key[1], c.get("created", 0),
            c.get("created_amount", 0.0), won, lost, Ratio(won, won + lost).value, won_amount,
            Ratio(won_amount, won).value, Ratio(d.get("won_days", 0.0), won).value,
        ])  # fmt: skip
    return _keep(report, 1, f)


def _keep(report: Report, column: int, f: Filters) -> Report:
    """Only the rows of the asked segment/persona, when the report is cut by it."""
    wanted = {"segment": f.segment, "persona": f.persona}.get(f.cut or "")
    if wanted is not None:
        report.rows = [r for r in report.rows if r[column] == wanted]
    return report


def _labels(wh: Warehouse, cut: str | None) -> dict[str, str] | None:
    if cut is None:
        return None
    return {str(r["contact_id"]): r["cut"] for r in _rows(lead_labels(wh, cut))}


def funnel_report(wh: Warehouse, f: Filters) -> Report:
    """Funnel conversion: the engine reduces transitions, :func:`funnel_conversion` counts."""
    rows = _rows(funnel_entries(wh, f.grain))
    moves = [Transition(str(r["contact_id"]), r["to_state"], r["at"]) for r in rows]
    by = _labels(wh, f.cut)
    ratios = funnel_conversion(moves, f.grain, f.stages, by)
    report = Report("funnel", "Funnel conversion by period of entry into a stage",
                    ["period", f.cut or "cut", "from_stage", "to_stage", "entered",
                     "converted", "conversion"])  # fmt: skip
    for (key, a, b), r in sorted(ratios.items(), key=lambda kv: str(kv[0])):
        period, label = key if isinstance(key, tuple) else (key, NONE)
        report.rows.append([period, label, a, b, r.denominator, r.numerator, r.value])
    return _keep(report, 1, f)


def nurture_report(wh: Warehouse, f: Filters) -> Report:
    """Nurture period per period of arrival at sales_ready, and its trend (it should fall)."""
    moves_q, first_q = nurture_inputs(wh)
    moves = [Transition(str(r["contact_id"]), r["to_state"], r["at"], r["from_state"])
             for r in _rows(moves_q)]  # fmt: skip
    first = {str(r["contact_id"]): r["first_at"] for r in _rows(first_q)}
    by = _labels(wh, f.cut)
    grouped = nurture_period_by_period(nurture_periods(moves, first), f.grain, by)
    changes = _changes({k: d.mean_days for k, d in grouped.items()})
    report = Report("nurture", "Nurture period: first touch or recycle to sales_ready (days)",
                    ["period", f.cut or "cut", "arrivals", "mean_days", "median_days",
                     "change"])  # fmt: skip
    for key, d in sorted(grouped.items(), key=lambda kv: str(kv[0])):
        period, label = key if isinstance(key, tuple) else (key, NONE)
        report.rows.append([period, label, d.count, d.mean_days, d.median_days,
                            changes.get(key)])  # fmt: skip
    return _keep(report, 1, f)


def _changes(values: Mapping[Any, float | None]) -> dict[Any, float | None]:
    """Period-over-period change per cut label (keys ``period`` or ``(period, label)``)."""
    series: dict[Any, dict[str, float | None]] = defaultdict(dict)
    for key, value in values.items():
        period, label = key if isinstance(key, tuple) else (key, None)
        series[label][period] = value
    out: dict[Any, float | None] = {}
    for label, points in series.items():
        for p in trend(points):
            out[p.period if label is None else (p.period, label)] = p.change
    return out
