"""The dashboard's HTML pages: Jinja2 templates filled from :mod:`leadloop.services.dashboard`.

Autoescaping is on for every template; only the charts' SVG (escaped by pygal) is marked
safe. Pages link to each other and to the API's ``/docs``; nothing is loaded from elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from leadloop.domain.stages import LIFECYCLE_STATES, STAGES
from leadloop.services.dashboard import Dashboard, LeadPage
from leadloop.web import charts

_env = Environment(
    loader=PackageLoader("leadloop", "templates/dashboard"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

STEPS = (("engaged", "sales_ready"), ("sales_ready", "accepted"), ("opportunity", "won"))
"""The conversions the overview charts: marketing's, the hand-off's, and sales'."""


def _money(v: Any) -> str:
    return "n/a" if v is None else f"{float(v):,.0f}"


def _num(v: Any, digits: int = 2) -> str:
    if v is None:
        return "n/a"
    return f"{v:,}" if isinstance(v, int) else f"{float(v):,.{digits}f}"


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{float(v):.0%}"


def _when(v: datetime | None) -> str:
    return "" if v is None else f"{v:%Y-%m-%d %H:%M}"


_env.filters.update(money=_money, num=_num, pct=_pct, when=_when)


def _svg(svg: str) -> Markup:
    return Markup(svg)


def _series(periods: Sequence[str], rows: Sequence[dict[str, Any]], field: str) -> list[Any]:
    by = {r["period"]: r[field] for r in rows}
    return [None if by.get(p) is None else float(by[p]) for p in periods]


def render_dashboard(d: Dashboard, workspace: str) -> str:
    f = d.funnel
    periods = sorted({c.period for c in f.conversion})
    rates = {
        f"{a} → {b}": [
            next((c.rate for c in f.conversion if (c.period, c.from_state, c.to_state)
                  == (p, a, b)), None) for p in periods
        ]
        for a, b in STEPS
    }  # fmt: skip
    cpod = d.cpod.records()
    pipe = d.pipeline.records()
    revenue = d.revenue.records()
    revenue_periods = [str(r["period"]) for r in revenue]
    cpod_periods = [str(r["period"]) for r in cpod]
    pipe_periods = [str(r["period"]) for r in pipe]
    nurture_periods = [n.period for n in f.nurture]
    charts_svg = {
        "lead_states": charts.counts_bar(
            "Leads by lifecycle stage now", d.lead_states, LIFECYCLE_STATES
        ),
        "buying_stages": charts.counts_bar(
            "Profiles by buying stage", d.profiles.stages, (*STAGES, "none yet")
        ),
        "conversion": charts.rates_by_period(
            f"Conversion per {f.period} of entry", periods, rates
        ),
        "nurture": charts.values_by_period(
            "Nurture period, mean days (first touch or recycle → sales-ready)",
            nurture_periods, {"mean days": [n.mean_days for n in f.nurture]}, line=True,
        ),
        "cpod": charts.values_by_period(
            "CPOD: cost per order dollar", cpod_periods,
            {"CPOD": _series(cpod_periods, cpod, "cpod")},
        ),
        "pipeline": charts.values_by_period(
            "Pipeline created and won", pipe_periods,
            {"created": _series(pipe_periods, pipe, "created_amount"),
             "won": _series(pipe_periods, pipe, "won_amount")}, money=True,
        ),
        "revenue": charts.values_by_period(
            "Revenue from new and existing customers", revenue_periods,
            {"new customers": _series(revenue_periods, revenue, "new_customer_revenue"),
             "existing customers": _series(revenue_periods, revenue,
                                           "existing_customer_revenue")}, money=True,
        ),
        "influence": charts.ranked_bars(
            "Content that influenced revenue (all time)",
            [r.title or r.asset_id for r in d.influence],
            {"won revenue": [r.won_revenue for r in d.influence],
             "pipeline": [r.pipeline for r in d.influence]},
        ),
    }  # fmt: skip
    return _env.get_template("overview.html.j2").render(
        d=d,
        workspace=workspace,
        charts={k: _svg(v) for k, v in charts_svg.items()},
        cpod=cpod,
        pipeline=pipe,
        revenue=revenue,
        conversion=[c for c in f.conversion if (c.from_state, c.to_state) in STEPS],
        stages=LIFECYCLE_STATES,
    )


def render_lead(
    p: LeadPage,
    workspace: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    user: str = "",
) -> str:
    return _env.get_template("lead.html.j2").render(
        p=p, workspace=workspace, notice=notice, error=error, user=user
    )


def render_login(error: str | None = None, next_url: str = "/dashboard") -> str:
    return _env.get_template("login.html.j2").render(error=error, next_url=next_url)
