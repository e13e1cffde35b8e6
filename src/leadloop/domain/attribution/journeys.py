"""Touches and journeys: what every attribution model reads.

A *touch* is one marketing contact with a subject (a contact or an account): a channel, a
program or a piece of content, at a time, possibly marked as the touch that created the
lead, the opportunity, or closed the deal. A *journey* is the ordered touches of one subject
inside the lookback window, converted or not, with the value it produced (pipeline or
revenue). Journeys are plain records so that any engine (DuckDB, PostgreSQL, Spark, or a
CSV) can produce them; :func:`build_journeys` turns raw touch events and outcomes into them
under one set of :class:`TouchRules`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final

from leadloop.errors import ValidationError

logger = logging.getLogger(__name__)

LEAD_CREATION: Final = "lead_creation"
OPPORTUNITY_CREATION: Final = "opportunity_creation"
CLOSE: Final = "close"
ROLES: Final = (LEAD_CREATION, OPPORTUNITY_CREATION, CLOSE)
"""Role marks a touch may carry, in funnel order (W-shaped reads the first two, Z all three)."""

DIMENSIONS: Final = ("channel", "program", "content")
"""What a touch is credited to."""


@dataclass(frozen=True, slots=True)
class Touch:
    """One touch of a journey: the credited key, when, and its role marks."""

    key: str
    at: datetime
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Journey:
    """The touches of one subject, oldest first, and what they led to.

    ``conversions`` is 0 for a journey that did not convert (it still matters to Markov:
    it is a path to null). ``value`` is the pipeline or revenue of the conversion.
    ``converted_at`` anchors time decay; when None the last touch does.
    """

    subject: str
    touches: tuple[Touch, ...]
    conversions: int = 0
    value: float = 0.0
    converted_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.conversions < 0 or self.value < 0:
            raise ValidationError(
                f"journey {self.subject!r} has conversions={self.conversions}, "
                f"value={self.value}; both must be >= 0",
                subject=self.subject,
            )
        if any(b.at < a.at for a, b in pairwise(self.touches)):
            raise ValidationError(
                f"journey {self.subject!r} touches are not in time order; sort them first",
                subject=self.subject,
            )

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.touches)

    @property
    def converted(self) -> bool:
        return self.conversions > 0


@dataclass(frozen=True, slots=True)
class TouchEvent:
    """A raw touch as any engine returns it: subject, time, event kind and what it touched."""

    subject: str
    at: datetime
    kind: str
    channel: str | None = None
    program: str | None = None
    content: str | None = None
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a subject's journey led to; the dates mark role touches (last touch at or before)."""

    subject: str
    value: float = 0.0
    converted_at: datetime | None = None
    lead_created_at: datetime | None = None
    opportunity_created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TouchRules:
    """Which events count as touches, what they credit, and how far back a journey reaches.

    ``kinds`` None means every event kind counts. ``lookback`` None means no limit; else
    only touches within ``lookback`` before the conversion (or before the last touch of a
    journey that did not convert) are kept.
    """

    dimension: str = "channel"
    kinds: frozenset[str] | None = None
    lookback: timedelta | None = timedelta(days=90)

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS:
            raise ValidationError(
                f"touch dimension {self.dimension!r} is not allowed; "
                f"allowed: {', '.join(DIMENSIONS)}",
                dimension=self.dimension,
            )

    def key_of(self, event: TouchEvent) -> str | None:
        if self.kinds is not None and event.kind not in self.kinds:
            return None
        key: str | None = getattr(event, self.dimension)
        return key or None


@dataclass(frozen=True, slots=True)
class Credit:
    """The conversions and value one key earned under one model."""

    conversions: float = 0.0
    value: float = 0.0


@dataclass(frozen=True, slots=True)
class Attribution:
    """A model's credits per key; ``detail`` holds model-specific figures (removal effects)."""

    model: str
    credits: Mapping[str, Credit]
    detail: Mapping[str, float] = field(default_factory=dict)

    @property
    def total_conversions(self) -> float:
        return sum(c.conversions for c in self.credits.values())

    @property
    def total_value(self) -> float:
        return sum(c.value for c in self.credits.values())


def build_journeys(
    events: Iterable[TouchEvent],
    outcomes: Iterable[Outcome],
    rules: TouchRules | None = None,
) -> list[Journey]:
    """Group touch events into one journey per subject under ``rules``.

    Subjects with an outcome whose ``converted_at`` is set convert once with its value;
    touches after the conversion are dropped. Lead and opportunity creation are marked on
    the last kept touch at or before those dates. Subjects with no kept touch yield none;
    conversions lost that way are logged (``attribution.journeys_built``,
    ``conversions_without_touches``). Journeys come out sorted by subject, so the result
    does not depend on input order.
    """
    rules = rules or TouchRules()
    by_subject: dict[str, list[tuple[datetime, str, frozenset[str]]]] = defaultdict(list)
    for event in events:
        key = rules.key_of(event)
        if key is not None:
            by_subject[event.subject].append((event.at, key, event.roles))
    outcome_of = {o.subject: o for o in outcomes}
    journeys = []
    for subject in sorted(by_subject):
        journey = _journey(subject, sorted(by_subject[subject]), outcome_of.get(subject), rules)
        if journey is not None:
            journeys.append(journey)
    converted = {j.subject for j in journeys if j.converted}
    lost = sum(1 for o in outcome_of.values() if o.converted_at and o.subject not in converted)
    logger.info(
        "attribution.journeys_built",
        extra={
            "fields": {
                "journeys": len(journeys),
                "converted": len(converted),
                "conversions_without_touches": lost,
                "dimension": rules.dimension,
            }
        },
    )
    return journeys


def _journey(
    subject: str,
    raw: list[tuple[datetime, str, frozenset[str]]],
    outcome: Outcome | None,
    rules: TouchRules,
) -> Journey | None:
    converted_at = outcome.converted_at if outcome else None
    end = converted_at if converted_at is not None else raw[-1][0]
    start = end - rules.lookback if rules.lookback is not None else None
    kept = [r for r in raw if r[0] <= end and (start is None or r[0] >= start)]
    if not kept:
        return None
    roles = [set(r[2]) for r in kept]
    if outcome is not None:
        _mark(kept, roles, outcome.lead_created_at, LEAD_CREATION)
        _mark(kept, roles, outcome.opportunity_created_at, OPPORTUNITY_CREATION)
        if converted_at is not None:
            roles[-1].add(CLOSE)
    touches = tuple(Touch(k, at, frozenset(r)) for (at, k, _), r in zip(kept, roles, strict=True))
    if converted_at is None or outcome is None:
        return Journey(subject, touches)
    return Journey(subject, touches, 1, outcome.value, converted_at)


def _mark(
    kept: list[tuple[datetime, str, frozenset[str]]],
    roles: list[set[str]],
    when: datetime | None,
    role: str,
) -> None:
    if when is None:
        return
    before = [i for i, r in enumerate(kept) if r[0] <= when]
    if before:
        roles[before[-1]].add(role)


def journeys_from_paths(
    paths: Iterable[tuple[Iterable[str], int, float, int]],
) -> list[Journey]:
    """Expand aggregated paths ``(keys, conversions, value, nulls)`` into journeys.

    The shape channelattribution and most warehouses use: one row per distinct path with
    its conversion count, conversion value and non-converting count. Each row becomes one
    converted journey (carrying all its conversions and value) plus ``nulls`` journeys
    that did not convert. Touch times are synthetic (one second apart): time decay needs
    real journeys.
    """
    epoch = datetime(2000, 1, 1)
    journeys = []
    for n, (keys, conversions, value, nulls) in enumerate(paths):
        touches = tuple(Touch(k, epoch + timedelta(seconds=i)) for i, k in enumerate(keys))
        if not touches:
            raise ValidationError(f"path {n} has no touches; every path needs one", path=n)
        if conversions:
            journeys.append(Journey(f"path-{n}", touches, conversions, value))
        journeys.extend(Journey(f"path-{n}-null-{i}", touches) for i in range(nulls))
    return journeys
