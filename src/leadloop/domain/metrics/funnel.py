"""Lifecycle metrics from recorded transitions: funnel conversion, time in stage, nurture period.

Every lifecycle transition is recorded with its time (DOMAIN.md idea 5). From those records
alone: how many leads that entered one stage reached the next, how long they stayed in each
stage, and the ``nurture_period``: from the first touch, or from the last recycle, to
``sales_ready``. ``by`` maps a lead id to a label (segment, persona, channel) to cut by.
Exact definitions: docs/metrics.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Final

from leadloop.domain.metrics.periods import (
    Durations,
    Ratio,
    TrendPoint,
    days_between,
    period_of,
    trend,
)
from leadloop.domain.stages import LIFECYCLE_STATES
from leadloop.errors import ValidationError

FUNNEL: Final = ("known", "engaged", "sales_ready", "accepted", "opportunity", "won")
"""The default funnel: the forward path of the closed loop."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A lead moved into ``to_state`` at ``at`` (``from_state`` None for its first state)."""

    lead_id: str
    to_state: str
    at: datetime
    from_state: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        for state in (self.to_state, self.from_state):
            if state is not None and state not in LIFECYCLE_STATES:
                raise ValidationError(
                    f"lead {self.lead_id} transition names state {state!r}; "
                    f"allowed: {', '.join(LIFECYCLE_STATES)}",
                    lead_id=self.lead_id,
                )


def _by_lead(transitions: Iterable[Transition]) -> dict[str, list[Transition]]:
    leads: dict[str, list[Transition]] = defaultdict(list)
    for t in transitions:
        leads[t.lead_id].append(t)
    for history in leads.values():
        history.sort(key=lambda t: (t.at, LIFECYCLE_STATES.index(t.to_state)))
    return leads


def _key(period: str, lead_id: str, by: Mapping[str, str] | None) -> Hashable:
    return period if by is None else (period, by.get(lead_id, "(none)"))


def funnel_conversion(
    transitions: Iterable[Transition],
    grain: str | None,
    stages: Sequence[str] = FUNNEL,
    by: Mapping[str, str] | None = None,
) -> dict[tuple[Hashable, str, str], Ratio]:
    """Per period of entry into a stage, the share of leads that later reached the next one.

    Key ``(period, from_stage, to_stage)``; a lead counts once per stage and period (its
    first entry in that period) and converts when it enters the next stage at or after
    that entry, at any later time.
    """
    entered: dict[tuple[Hashable, str, str], int] = defaultdict(int)
    reached: dict[tuple[Hashable, str, str], int] = defaultdict(int)
    pairs = list(pairwise(stages))
    for lead_id, history in _by_lead(transitions).items():
        for a, b in pairs:
            seen: set[Hashable] = set()
            for t in history:
                key = _key(period_of(t.at, grain), lead_id, by)
                if t.to_state != a or key in seen:
                    continue
                seen.add(key)
                entered[(key, a, b)] += 1
                if any(u.to_state == b and u.at >= t.at for u in history):
                    reached[(key, a, b)] += 1
    return {k: Ratio(reached[k], entered[k]) for k in sorted(entered, key=str)}


def time_in_stage(
    transitions: Iterable[Transition], grain: str | None, by: Mapping[str, str] | None = None
) -> dict[tuple[Hashable, str], Durations]:
    """Completed stays per stage, by the period the stay ended (left the stage).

    A stay runs from entering a state to the lead's next transition; a lead still in a
    state has an open stay, which is not counted (see :func:`open_stays`).
    """
    stays: dict[tuple[Hashable, str], list[float]] = defaultdict(list)
    for lead_id, history in _by_lead(transitions).items():
        for t, nxt in pairwise(history):
            stays[(_key(period_of(nxt.at, grain), lead_id, by), t.to_state)].append(
                days_between(t.at, nxt.at)
            )
    return {k: Durations.of(v) for k, v in sorted(stays.items(), key=lambda kv: str(kv[0]))}


def open_stays(transitions: Iterable[Transition]) -> dict[str, int]:
    """How many leads are in each state now (their last transition)."""
    now: dict[str, int] = defaultdict(int)
    for history in _by_lead(transitions).values():
        now[history[-1].to_state] += 1
    return dict(sorted(now.items()))


@dataclass(frozen=True, slots=True)
class NurturePeriod:
    """One arrival at ``sales_ready`` and how long nurturing took to get there."""

    lead_id: str
    started_at: datetime
    sales_ready_at: datetime
    from_recycle: bool

    @property
    def days(self) -> float:
        return days_between(self.started_at, self.sales_ready_at)


def nurture_periods(
    transitions: Iterable[Transition], first_touch: Mapping[str, datetime] | None = None
) -> list[NurturePeriod]:
    """Every arrival at ``sales_ready``, timed from the last recycle or else the first touch.

    ``first_touch`` gives a lead's first touch; leads missing there start at their first
    recorded transition. Sorted by time of arrival, then lead.
    """
    first_touch = first_touch or {}
    periods = []
    for lead_id, history in _by_lead(transitions).items():
        start = first_touch.get(lead_id, history[0].at)
        recycled = False
        for t in history:
            if t.to_state == "recycled":
                start, recycled = t.at, True
            elif t.to_state == "sales_ready":
                periods.append(NurturePeriod(lead_id, min(start, t.at), t.at, recycled))
    return sorted(periods, key=lambda p: (p.sales_ready_at, p.lead_id))


def nurture_period_by_period(
    periods: Iterable[NurturePeriod], grain: str | None, by: Mapping[str, str] | None = None
) -> dict[Hashable, Durations]:
    """Nurture periods grouped by the period they ended in (arrival at ``sales_ready``)."""
    groups: dict[Hashable, list[float]] = defaultdict(list)
    for p in periods:
        groups[_key(period_of(p.sales_ready_at, grain), p.lead_id, by)].append(p.days)
    return {k: Durations.of(v) for k, v in sorted(groups.items(), key=lambda kv: str(kv[0]))}


def nurture_period_trend(periods: Iterable[NurturePeriod], grain: str) -> list[TrendPoint]:
    """Mean nurture period per period and its change from the previous one (should fall)."""
    by_period = nurture_period_by_period(periods, grain)
    return trend({str(k): d.mean_days for k, d in by_period.items()})
