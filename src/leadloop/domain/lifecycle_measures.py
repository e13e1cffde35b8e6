"""Measures read from the stored lifecycle history: nurture period, time in stage, conversion.

All are pure functions over :class:`~leadloop.domain.lifecycle.Transition` records of any
number of leads. A *cycle* is one pass through the funnel: cycle 1 starts at the lead's
first record (first touch), each later cycle at the move into ``recycled``. The
``nurture_period`` of a cycle runs from its start to its first ``sales_ready``. Steps the
CRM implied through marketing's stages (a deal opened by sales on its own) are not entries
for conversion or nurture (:func:`~leadloop.domain.lifecycle.counts_for_marketing`).
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from leadloop.domain.lifecycle import FUNNEL, Transition, counts_for_marketing

PERIODS: Final = ("month", "quarter")
_DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class NurturePeriod:
    """From the start of a cycle (first touch or recycle) to sales_ready."""

    contact_id: int
    cycle: int
    started: datetime
    sales_ready_at: datetime

    @property
    def duration(self) -> timedelta:
        return self.sales_ready_at - self.started


@dataclass(frozen=True, slots=True)
class StageSpell:
    """One stay of one lead in one state; ``left`` is None while it is still there."""

    contact_id: int
    cycle: int
    state: str
    entered: datetime
    left: datetime | None

    def duration(self, as_of: datetime) -> timedelta:
        return (self.left or as_of) - self.entered


@dataclass(frozen=True, slots=True)
class Conversion:
    """Of the cycles that entered ``from_state`` in ``period``, how many reached ``to_state``."""

    period: str
    from_state: str
    to_state: str
    entered: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.entered if self.entered else None


@dataclass(frozen=True, slots=True)
class PeriodFigure:
    """Count, mean and median days of something measured per period."""

    period: str
    count: int
    mean_days: float
    median_days: float


def period_key(at: datetime, period: str) -> str:
    """``2026-03`` (month) or ``2026-Q1`` (quarter).

    >>> from datetime import datetime
    >>> period_key(datetime(2026, 5, 2), "month"), period_key(datetime(2026, 5, 2), "quarter")
    ('2026-05', '2026-Q2')
    """
    if period == "month":
        return f"{at.year:04d}-{at.month:02d}"
    if period == "quarter":
        return f"{at.year:04d}-Q{(at.month - 1) // 3 + 1}"
    raise ValueError(f"unknown period {period!r}; allowed: {', '.join(PERIODS)}")


def by_cycle(transitions: Iterable[Transition]) -> dict[tuple[int, int], list[Transition]]:
    """Each (lead, cycle)'s transitions in time order (stored order breaks ties)."""
    out: dict[tuple[int, int], list[Transition]] = defaultdict(list)
    for t in sorted(transitions, key=lambda t: t.at):
        out[(t.contact_id, t.cycle)].append(t)
    return dict(out)


def nurture_periods(transitions: Iterable[Transition]) -> list[NurturePeriod]:
    """One nurture period per cycle that reached sales_ready."""
    out = []
    for (contact, cycle), steps in by_cycle(transitions).items():
        ready = next((t for t in steps if t.to_state == "sales_ready" and _counts(t)), None)
        if ready is not None:
            out.append(NurturePeriod(contact, cycle, steps[0].at, ready.at))
    return sorted(out, key=lambda p: (p.sales_ready_at, p.contact_id))


def stage_spells(transitions: Iterable[Transition]) -> list[StageSpell]:
    """Every stay in every state: entered by one transition, left by the lead's next one."""
    per_lead: dict[int, list[Transition]] = defaultdict(list)
    for t in sorted(transitions, key=lambda t: t.at):
        per_lead[t.contact_id].append(t)
    spells = []
    for contact, steps in per_lead.items():
        for here, nxt in zip(steps, [*steps[1:], None], strict=True):
            left = nxt.at if nxt is not None else None
            spells.append(StageSpell(contact, here.cycle, here.to_state, here.at, left))
    return spells


def time_in_stage(spells: Iterable[StageSpell]) -> dict[str, PeriodFigure]:
    """Per state, over finished stays only: how many, mean and median days."""
    days: dict[str, list[float]] = defaultdict(list)
    for s in spells:
        if s.left is not None:
            days[s.state].append((s.left - s.entered).total_seconds() / _DAY_S)
    return {state: _figure(state, values) for state, values in days.items()}


def nurture_trend(periods: Iterable[NurturePeriod], period: str) -> list[PeriodFigure]:
    """Nurture period per month or quarter in which the lead became sales_ready."""
    days: dict[str, list[float]] = defaultdict(list)
    for p in periods:
        days[period_key(p.sales_ready_at, period)].append(p.duration.total_seconds() / _DAY_S)
    return [_figure(key, values) for key, values in sorted(days.items())]


def conversion(transitions: Iterable[Transition], period: str) -> list[Conversion]:
    """Funnel conversion per step, by the period a cycle entered the step's first state."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for steps in by_cycle(transitions).values():
        entered: dict[str, datetime] = {}
        for t in steps:
            if _counts(t):
                entered.setdefault(t.to_state, t.at)
        for a, b in itertools.pairwise(FUNNEL):
            if a in entered:
                cell = counts[(period_key(entered[a], period), a)]
                cell[0] += 1
                cell[1] += int(b in entered and entered[b] >= entered[a])
    nxt = dict(itertools.pairwise(FUNNEL))
    return [
        Conversion(key, state, nxt[state], n, k)
        for (key, state), (n, k) in sorted(
            counts.items(), key=lambda i: (i[0][0], FUNNEL.index(i[0][1]))
        )
    ]


def _counts(t: Transition) -> bool:
    return counts_for_marketing(t.to_state, t.actor.kind)


def _figure(key: str, values: list[float]) -> PeriodFigure:
    return PeriodFigure(key, len(values), statistics.fmean(values), statistics.median(values))
