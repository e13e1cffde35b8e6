"""The content influence report: per asset, the pipeline and won revenue of the deals it touched.

The definition is :func:`leadloop.domain.metrics.content_influence` (docs/metrics.md);
this module only feeds it: each stored opportunity becomes a metrics ``Opportunity`` whose
``contents`` are the assets tagged as part of its sale (``sale_content``), so nobody has to
tick a box for marketing's contribution. Influence, not attribution: every asset gets the
whole deal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import Engine

from leadloop.domain.metrics import content_influence
from leadloop.domain.metrics.periods import check_grain
from leadloop.domain.metrics.revenue import Opportunity
from leadloop.errors import ValidationError
from leadloop.store.sale_content import StoredDeal, catalog_tags, stored_deals, tagged_assets


@dataclass(frozen=True, slots=True)
class InfluenceRow:
    """One asset in one period: opportunities touched, pipeline, won deals and revenue."""

    period: str
    asset_id: str
    title: str | None
    buying_stage: str | None
    format: str | None
    opportunities: int
    pipeline: float
    won_deals: int
    won_revenue: float


def _closed_at(deal: StoredDeal) -> datetime | None:
    if deal.status == "open":
        return None
    if deal.close_date is not None:
        closed = datetime.combine(deal.close_date, time(), tzinfo=UTC)
    else:
        closed = deal.closed_hint
    return max(closed, deal.created_at)


def _one_currency(deals: list[StoredDeal], currency: str | None) -> list[StoredDeal]:
    if currency is not None:
        return [d for d in deals if (d.currency or "").upper() == currency.upper()]
    found = sorted({d.currency.upper() for d in deals if d.currency})
    if len(found) > 1:
        raise ValidationError(
            f"opportunities are in several currencies ({', '.join(found)}); "
            "report one at a time with currency=...",
            currencies=found,
        )
    return deals


def influence_report(
    engine: Engine,
    workspace_id: int,
    *,
    grain: str | None = None,
    stage: str | None = None,
    fmt: str | None = None,
    currency: str | None = None,
) -> list[InfluenceRow]:
    """Rows by period, then won revenue and pipeline (largest first), then asset id.

    ``stage`` and ``fmt`` keep only assets catalogued with that buying stage / format.
    Raises:
        ValidationError: an unknown grain, or deals in several currencies without ``currency``.
    """
    check_grain(grain)
    catalog = catalog_tags(engine, workspace_id)
    tags = tagged_assets(engine, workspace_id)

    def keep(asset: str) -> bool:
        _, s, f = catalog.get(asset, (None, None, None))
        return (stage is None or s == stage) and (fmt is None or f == fmt)

    deals = _one_currency([d for d in stored_deals(engine, workspace_id)
                           if tags.get(d.opportunity_id)], currency)  # fmt: skip
    opps = [
        Opportunity(
            str(d.opportunity_id),
            str(d.account_id or ""),
            d.created_at,
            d.amount,
            d.status,
            closed_at=_closed_at(d),
            contents=frozenset(a for a in tags[d.opportunity_id] if keep(a)),
        )
        for d in deals
    ]
    rows = [
        InfluenceRow(
            period,
            asset,
            *catalog.get(asset, (None, None, None)),
            i.opportunities,
            i.pipeline,
            i.won_deals,
            i.won_revenue,
        )
        for (period, asset), i in content_influence(opps, grain).items()
    ]
    return sorted(rows, key=lambda r: (r.period, -r.won_revenue, -r.pipeline, r.asset_id))
