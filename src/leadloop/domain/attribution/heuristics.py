"""Rule-based attribution: each converted journey splits its credit over its touches.

Every model here is a *weighting*: a function from one journey to one weight per touch,
summing to 1. The journey's conversions and value are then shared by those weights, and
keys add up over touches and journeys. Journeys that did not convert earn nothing. Exact
rules and edge cases are in docs/metrics.md ("Rule-based models").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Final

from leadloop.domain.attribution.journeys import (
    CLOSE,
    LEAD_CREATION,
    OPPORTUNITY_CREATION,
    Attribution,
    Credit,
    Journey,
)
from leadloop.errors import ValidationError

Weighting = Callable[[Journey], list[float]]

U_SHAPE: Final = (0.4, 0.2, 0.4)
"""Position-based: first, the middle touches together, last."""
W_SHAPE: Final = (0.3, 0.3, 0.3, 0.1)
"""First, lead creation, opportunity creation, the rest together."""
Z_SHAPE: Final = (0.225, 0.225, 0.225, 0.225, 0.1)
"""First, lead creation, opportunity creation, close, the rest together."""
DEFAULT_HALF_LIFE: Final = timedelta(days=7)


def first_touch(journey: Journey) -> list[float]:
    """All credit to the first touch."""
    n = len(journey.touches)
    return [1.0] + [0.0] * (n - 1)


def last_touch(journey: Journey) -> list[float]:
    """All credit to the last touch."""
    n = len(journey.touches)
    return [0.0] * (n - 1) + [1.0]


def linear(journey: Journey) -> list[float]:
    """Equal credit to every touch (a key touched twice earns twice)."""
    n = len(journey.touches)
    return [1.0 / n] * n


def time_decay(half_life: timedelta = DEFAULT_HALF_LIFE) -> Weighting:
    """Weight ``2 ** -(age / half_life)``, age measured back from the conversion."""
    if half_life <= timedelta(0):
        raise ValidationError(f"half_life must be positive; got {half_life}")
    seconds = half_life.total_seconds()

    def weights(journey: Journey) -> list[float]:
        anchor = journey.converted_at or journey.touches[-1].at
        raw = [2.0 ** -((anchor - t.at).total_seconds() / seconds) for t in journey.touches]
        total = sum(raw)
        return [w / total for w in raw]

    return weights


def position_based(journey: Journey) -> list[float]:
    """U-shaped 40/20/40; one touch gets 100%, two touches 50/50."""
    n = len(journey.touches)
    if n == 1:
        return [1.0]
    if n == 2:
        return [0.5, 0.5]
    first, middle, last = U_SHAPE
    return [first] + [middle / (n - 2)] * (n - 2) + [last]


def w_shaped(journey: Journey) -> list[float]:
    """30% each to first, lead-creation and opportunity-creation touches, 10% to the rest."""
    return _keyed(journey, (LEAD_CREATION, OPPORTUNITY_CREATION), W_SHAPE)


def full_path(journey: Journey) -> list[float]:
    """Z-shaped: 22.5% each to first, lead, opportunity and close touches, 10% to the rest."""
    return _keyed(journey, (LEAD_CREATION, OPPORTUNITY_CREATION, CLOSE), Z_SHAPE)


def _keyed(journey: Journey, roles: tuple[str, ...], shares: tuple[float, ...]) -> list[float]:
    """Key positions share ``shares[:-1]``; ``shares[-1]`` spreads over the other touches.

    A role no touch carries is dropped and the remaining keys scale up to keep their total.
    When every touch is a key, the spread share goes to the keys too (in proportion).
    """
    n = len(journey.touches)
    keyed: list[tuple[int, float]] = [(0, shares[0])]
    for role, share in zip(roles, shares[1:-1], strict=True):
        marked = [i for i, t in enumerate(journey.touches) if role in t.roles]
        if marked:
            keyed.append((marked[0], share))
    key_total = sum(s for _, s in keyed)
    positions = {i for i, _ in keyed}
    rest = [i for i in range(n) if i not in positions]
    spread = shares[-1] if rest else 0.0
    weights = [0.0] * n
    for i, share in keyed:
        weights[i] += share / key_total * (1.0 - spread)
    for i in rest:
        weights[i] += spread / len(rest)
    return weights


def attribute(journeys: Iterable[Journey], weighting: Weighting, model: str) -> Attribution:
    """Share each converted journey's conversions and value over its touches by ``weighting``.

    Every key touched by any journey appears, with 0 when it earned nothing.
    """
    conversions: dict[str, float] = defaultdict(float)
    value: dict[str, float] = defaultdict(float)
    for journey in journeys:
        if not journey.converted:
            for touch in journey.touches:
                conversions[touch.key] += 0.0
                value[touch.key] += 0.0
            continue
        for touch, weight in zip(journey.touches, weighting(journey), strict=True):
            conversions[touch.key] += weight * journey.conversions
            value[touch.key] += weight * journey.value
    credits = {k: Credit(conversions[k], value[k]) for k in sorted(conversions)}
    return Attribution(model, credits)


HEURISTIC_MODELS: Final[dict[str, Weighting]] = {
    "first_touch": first_touch,
    "last_touch": last_touch,
    "linear": linear,
    "time_decay": time_decay(),
    "position_based": position_based,
    "w_shaped": w_shaped,
    "full_path": full_path,
}
"""Every rule-based model by its report name (time decay with the default half-life)."""


def heuristic_attribution(
    journeys: Iterable[Journey], model: str, *, half_life: timedelta | None = None
) -> Attribution:
    """Credits under one named rule-based model (see :data:`HEURISTIC_MODELS`)."""
    if model == "time_decay" and half_life is not None:
        return attribute(journeys, time_decay(half_life), model)
    if model not in HEURISTIC_MODELS:
        raise ValidationError(
            f"unknown attribution model {model!r}; allowed: {', '.join(HEURISTIC_MODELS)}",
            model=model,
        )
    return attribute(journeys, HEURISTIC_MODELS[model], model)
