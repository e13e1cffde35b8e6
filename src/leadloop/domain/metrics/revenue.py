"""Revenue metrics: CPOD, cost per contract value, pipeline, win rate, deal size, cycle.

Inputs are plain records (:class:`CostEntry`, :class:`Opportunity`) that any engine can
return. Every function takes a ``grain`` (month, quarter, year or None for all time) and
returns one result per period label; ``by`` optionally cuts opportunities by a label
(segment, persona, channel, rep...) and then keys are ``(period, label)``. Exact
definitions: docs/metrics.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from leadloop.domain.metrics.periods import (
    GRAINS,
    Durations,
    Ratio,
    check_grain,
    days_between,
    period_of,
)
from leadloop.errors import ValidationError

COST_KINDS: Final = ("marketing", "sales")
STATUSES: Final = ("open", "won", "lost")

Cut = Callable[["Opportunity"], str] | None


@dataclass(frozen=True, slots=True)
class CostEntry:
    """A cost booked for the period of ``grain`` that contains ``on`` (its first day)."""

    on: datetime
    amount: float
    kind: str
    program: str | None = None
    grain: str = "month"
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.kind not in COST_KINDS:
            raise ValidationError(
                f"cost kind {self.kind!r} is not allowed; allowed: {', '.join(COST_KINDS)}",
                kind=self.kind,
            )
        check_grain(self.grain)


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A CRM opportunity; ``programs``/``contents`` are the keys that touched it before close.

    ``new_customer`` None means: derive it (new unless the account already had a won deal
    closed before this one closed). ``contract_value`` None means the amount.
    """

    opportunity_id: str
    account_id: str
    created_at: datetime
    amount: float
    status: str
    closed_at: datetime | None = None
    new_customer: bool | None = None
    contract_value: float | None = None
    programs: frozenset[str] = frozenset()
    contents: frozenset[str] = frozenset()
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValidationError(
                f"opportunity {self.opportunity_id} has status {self.status!r}; "
                f"allowed: {', '.join(STATUSES)}",
                opportunity_id=self.opportunity_id,
            )
        if self.status != "open" and self.closed_at is None:
            raise ValidationError(
                f"opportunity {self.opportunity_id} is {self.status} but has no closed_at",
                opportunity_id=self.opportunity_id,
            )
        if self.closed_at is not None and self.closed_at < self.created_at:
            raise ValidationError(
                f"opportunity {self.opportunity_id} closes before it was created",
                opportunity_id=self.opportunity_id,
            )

    @property
    def value(self) -> float:
        return self.amount if self.contract_value is None else self.contract_value


def _one_currency(costs: Iterable[CostEntry], opportunities: Iterable[Opportunity]) -> None:
    currencies = {c.currency for c in costs} | {o.currency for o in opportunities}
    if len(currencies) > 1:
        raise ValidationError(
            f"costs and opportunities mix currencies {', '.join(sorted(currencies))}; "
            "convert them to one currency first",
            currencies=sorted(currencies),
        )


def _cost_period(entry: CostEntry, grain: str | None) -> str:
    if grain is not None and GRAINS.index(grain) < GRAINS.index(entry.grain):
        raise ValidationError(
            f"a {entry.grain} cost ({entry.program or entry.kind}, {entry.on:%Y-%m-%d}) "
            f"cannot be reported by {grain}; report by {entry.grain} or coarser",
            grain=grain,
        )
    return period_of(entry.on, grain)


def costs_by_period(
    costs: Iterable[CostEntry], grain: str | None, kinds: tuple[str, ...] = COST_KINDS
) -> dict[str, float]:
    """Total cost per period, of the given kinds."""
    totals: dict[str, float] = defaultdict(float)
    for entry in costs:
        if entry.kind in kinds:
            totals[_cost_period(entry, grain)] += entry.amount
    return dict(totals)


def booked_revenue(opportunities: Iterable[Opportunity], grain: str | None) -> dict[str, float]:
    """Order revenue booked per period: won amounts, on their close date."""
    totals: dict[str, float] = defaultdict(float)
    for opp in opportunities:
        if opp.status == "won" and opp.closed_at is not None:
            totals[period_of(opp.closed_at, grain)] += opp.amount
    return dict(totals)


def cpod(
    costs: Iterable[CostEntry], opportunities: Iterable[Opportunity], grain: str | None
) -> dict[str, Ratio]:
    """Cost per order dollar: (marketing + sales cost) / booked order revenue, per period."""
    costs, opportunities = list(costs), list(opportunities)
    _one_currency(costs, opportunities)
    cost = costs_by_period(costs, grain)
    revenue = booked_revenue(opportunities, grain)
    return {p: Ratio(cost.get(p, 0.0), revenue.get(p, 0.0)) for p in sorted(cost | revenue)}


def cost_per_contract_value(
    costs: Iterable[CostEntry], opportunities: Iterable[Opportunity], grain: str | None
) -> dict[str, Ratio]:
    """Cost of the programs that touched the deals won in a period / their contract value.

    Both sides in the same period: the programs' costs booked in it, the deals closed in it.
    """
    costs, opportunities = list(costs), list(opportunities)
    _one_currency(costs, opportunities)
    won = [o for o in opportunities if o.status == "won" and o.closed_at is not None]
    value: dict[str, float] = defaultdict(float)
    touching: dict[str, set[str]] = defaultdict(set)
    for opp in won:
        assert opp.closed_at is not None
        period = period_of(opp.closed_at, grain)
        value[period] += opp.value
        touching[period] |= opp.programs
    spent: dict[str, float] = defaultdict(float)
    for entry in costs:
        period = _cost_period(entry, grain)
        if entry.program is not None and entry.program in touching.get(period, ()):
            spent[period] += entry.amount
    return {p: Ratio(spent.get(p, 0.0), value[p]) for p in sorted(value)}


def cost_per_lead(
    costs: Iterable[CostEntry], lead_created: Iterable[datetime], grain: str | None
) -> dict[str, Ratio]:
    """Marketing cost / leads created, per period (shown only beside the revenue metrics)."""
    cost = costs_by_period(costs, grain, kinds=("marketing",))
    leads: dict[str, int] = defaultdict(int)
    for when in lead_created:
        leads[period_of(when, grain)] += 1
    return {p: Ratio(cost.get(p, 0.0), leads.get(p, 0)) for p in sorted(cost | leads)}


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Opportunities created in a period: how many and their total amount."""

    count: int
    amount: float


def pipeline_created(
    opportunities: Iterable[Opportunity], grain: str | None, by: Cut = None
) -> dict[Hashable, Pipeline]:
    """Opportunities created per period (whatever they became), count and amount."""
    count: dict[Hashable, int] = defaultdict(int)
    amount: dict[Hashable, float] = defaultdict(float)
    for opp in opportunities:
        key = _key(period_of(opp.created_at, grain), opp, by)
        count[key] += 1
        amount[key] += opp.amount
    return {k: Pipeline(count[k], amount[k]) for k in sorted(count, key=str)}


def _key(period: str, opp: Opportunity, by: Cut) -> Hashable:
    return period if by is None else (period, by(opp))


def _closed(
    opportunities: Iterable[Opportunity], grain: str | None, by: Cut
) -> dict[Hashable, list[Opportunity]]:
    groups: dict[Hashable, list[Opportunity]] = defaultdict(list)
    for opp in opportunities:
        if opp.closed_at is not None and opp.status != "open":
            groups[_key(period_of(opp.closed_at, grain), opp, by)].append(opp)
    return groups


def win_rate(
    opportunities: Iterable[Opportunity], grain: str | None, by: Cut = None
) -> dict[Hashable, Ratio]:
    """Won / (won + lost) among opportunities closed in the period; open ones do not count."""
    groups = _closed(opportunities, grain, by)
    return {
        k: Ratio(sum(o.status == "won" for o in g), len(g))
        for k, g in sorted(groups.items(), key=lambda kv: str(kv[0]))
    }


def average_deal_size(
    opportunities: Iterable[Opportunity], grain: str | None, by: Cut = None
) -> dict[Hashable, Ratio]:
    """Won amount / won count, deals closed in the period."""
    groups = _closed(opportunities, grain, by)
    out = {}
    for k, g in sorted(groups.items(), key=lambda kv: str(kv[0])):
        won = [o for o in g if o.status == "won"]
        out[k] = Ratio(sum(o.amount for o in won), len(won))
    return out


def sales_cycle(
    opportunities: Iterable[Opportunity], grain: str | None, by: Cut = None
) -> dict[Hashable, Durations]:
    """Days from creation to close of the deals won in the period."""
    groups = _closed(opportunities, grain, by)
    return {
        k: Durations.of(
            days_between(o.created_at, o.closed_at)
            for o in g
            if o.status == "won" and o.closed_at is not None
        )
        for k, g in sorted(groups.items(), key=lambda kv: str(kv[0]))
    }


@dataclass(frozen=True, slots=True)
class RevenueSplit:
    """Booked revenue from new customers and from existing ones."""

    new: float
    existing: float


def revenue_by_customer(
    opportunities: Iterable[Opportunity], grain: str | None
) -> dict[str, RevenueSplit]:
    """Booked revenue per period split into new and existing customers."""
    won = sorted(
        (o for o in opportunities if o.status == "won" and o.closed_at is not None),
        key=lambda o: (o.closed_at, o.opportunity_id),
    )
    first_won: dict[str, datetime] = {}
    new: dict[str, float] = defaultdict(float)
    existing: dict[str, float] = defaultdict(float)
    for opp in won:
        assert opp.closed_at is not None
        since = first_won.setdefault(opp.account_id, opp.closed_at)
        is_new = opp.new_customer if opp.new_customer is not None else since >= opp.closed_at
        period = period_of(opp.closed_at, grain)
        (new if is_new else existing)[period] += opp.amount
    return {p: RevenueSplit(new.get(p, 0.0), existing.get(p, 0.0)) for p in sorted(new | existing)}


_NEW_TYPES: Final = ("new",)
_EXISTING_TYPES: Final = ("existing", "renewal", "upsell", "up-sell", "expansion", "cross-sell")


def new_customer_from_type(kind: str | None) -> bool | None:
    """What a CRM opportunity type says of the customer ("New Business" → new; "Existing
    Business", renewals, upsells → existing); None when it says neither (then derived)."""
    text = (kind or "").casefold()
    if any(word in text for word in _EXISTING_TYPES):
        return False
    if any(word in text for word in _NEW_TYPES):
        return True
    return None
