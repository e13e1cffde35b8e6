"""Markov-chain attribution: what it means here, and the port that computes it.

The definition (docs/metrics.md, "Markov chain attribution", says why this one):

* A path is a journey's keys in order. At order ``k`` its states are the windows of ``k``
  consecutive keys (a path shorter than ``k`` is one state: the whole path); the chain
  goes ``(start)`` → first window → ... → last window → ``(conversion)`` or ``(null)``.
  Repeated keys stay; a window repeated back to back is a self-loop, which changes no
  absorption probability.
* Transition probabilities are the observed transition counts over all paths, each path
  weighted by how many journeys took it (conversions + nulls), normalised per state.
* ``P(conv)`` is the probability of absorption in ``(conversion)`` from ``(start)``.
  Removing key ``c`` sends every transition into a state that contains ``c`` to
  ``(null)``; its removal effect is ``1 - P(conv without c) / P(conv)``, which equals the
  probability that a converting path visits ``c``.
* Credits: removal effects normalised to sum to 1, times the total conversions. Value
  credits use the same chain with each conversion worth the mean value of conversions
  from its last state (the value removal effect), times the total value.

This is the quantity channelattribution estimates by simulation; the adapter in
``leadloop.analytics.attribution.markov`` computes it exactly by linear algebra.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from leadloop.domain.attribution.journeys import Attribution, Credit, Journey
from leadloop.errors import ValidationError

START: Final = "(start)"
CONVERSION: Final = "(conversion)"
NULL: Final = "(null)"
ORDERS: Final = (1, 2, 3)
"""Supported chain orders (memory of the last 1, 2 or 3 keys)."""


@dataclass(frozen=True, slots=True)
class PathCount:
    """One distinct path with how many journeys took it and what they produced."""

    keys: tuple[str, ...]
    conversions: int
    value: float
    nulls: int


def aggregate_paths(journeys: Iterable[Journey]) -> list[PathCount]:
    """Distinct paths with their conversions, value and non-converting count, sorted."""
    totals: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0, 0.0, 0])
    for journey in journeys:
        if not journey.touches:
            continue
        row = totals[journey.keys]
        row[0] += journey.conversions
        row[1] += journey.value
        row[2] += 0 if journey.converted else 1
    return [PathCount(k, int(r[0]), r[1], int(r[2])) for k, r in sorted(totals.items())]


def check_order(order: int) -> int:
    """``order`` when supported, else a ValidationError naming the allowed orders."""
    if order not in ORDERS:
        raise ValidationError(
            f"Markov order {order} is not supported; allowed: {', '.join(map(str, ORDERS))}",
            order=order,
        )
    return order


def path_states(keys: Sequence[str], order: int) -> list[tuple[str, ...]]:
    """The transient states a path visits after ``(start)``, at chain order ``order``.

    >>> path_states(["a", "b", "c"], 2)
    [('a', 'b'), ('b', 'c')]
    >>> path_states(["a"], 3)
    [('a',)]
    """
    check_order(order)
    if len(keys) <= order:
        return [tuple(keys)]
    return [tuple(keys[i : i + order]) for i in range(len(keys) - order + 1)]


def credits_from_effects(
    effects: Mapping[str, float],
    value_effects: Mapping[str, float],
    total_conversions: float,
    total_value: float,
) -> dict[str, Credit]:
    """Removal effects normalised to sum to 1, times the totals (zero when all are 0)."""
    conv_sum = sum(effects.values())
    value_sum = sum(value_effects.values())
    credits = {}
    for key in sorted(effects):
        conv = effects[key] / conv_sum * total_conversions if conv_sum > 0 else 0.0
        val = value_effects[key] / value_sum * total_value if value_sum > 0 else 0.0
        credits[key] = Credit(conv, val)
    return credits


class MarkovAttributor(Protocol):
    """Computes Markov attribution for aggregated paths (the analytics adapter implements it)."""

    def __call__(self, paths: Sequence[PathCount], order: int = 1) -> Attribution: ...
