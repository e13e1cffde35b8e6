"""Content influence: the pipeline and won revenue of the deals a piece of content touched.

Influence is not attribution: every asset a deal's contacts consumed before it closed gets
the deal's whole amount, so influence sums over assets exceed the total. For shares that
add up, run an attribution model with ``TouchRules(dimension="content")``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from leadloop.domain.metrics.periods import period_of
from leadloop.domain.metrics.revenue import Opportunity


@dataclass(frozen=True, slots=True)
class Influence:
    """Deals a content key touched: pipeline created and revenue won."""

    opportunities: int = 0
    pipeline: float = 0.0
    won_deals: int = 0
    won_revenue: float = 0.0


def content_influence(
    opportunities: Iterable[Opportunity], grain: str | None
) -> dict[tuple[str, str], Influence]:
    """Per ``(period, content)``: pipeline by creation period, won revenue by close period."""
    rows: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0, 0.0])
    for opp in opportunities:
        created = period_of(opp.created_at, grain)
        for content in opp.contents:
            row = rows[(created, content)]
            row[0] += 1
            row[1] += opp.amount
        if opp.status == "won" and opp.closed_at is not None:
            closed = period_of(opp.closed_at, grain)
            for content in opp.contents:
                row = rows[(closed, content)]
                row[2] += 1
                row[3] += opp.amount
    return {k: Influence(int(r[0]), r[1], int(r[2]), r[3]) for k, r in sorted(rows.items())}
