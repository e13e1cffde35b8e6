"""The profile's knobs and its unit of evidence, apart from the profile itself.

:mod:`leadloop.domain.explain` writes sentences about evidence under a config, and
:mod:`leadloop.domain.profile` builds profiles from both; keeping these two here lets the
dependency run one way (profile -> explain -> profile_config).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from leadloop.domain.consumption import AssetState, DepthThresholds, epoch_ms, from_ms
from leadloop.domain.content import HOT_SIGNAL, ContentItem
from leadloop.domain.facts import GRADES

DAY_MS: Final = 86_400_000
WEIGHT_EPOCH_MS: Final = epoch_ms(datetime(2020, 1, 1, tzinfo=UTC))
"""Origin of the forward-decayed log weight (:attr:`Profile.weight_log2`)."""

WEIGHT_SCALE: Final = 2.0**30
"""Every weight that is summed is first rounded to a multiple of 1 / WEIGHT_SCALE.

A sum of such numbers is exact in a double while it stays below 2**23 (8.4 million: a
person's or a buying group's total weight never comes near), so it is the same bits in
any order: Python's loop, DuckDB's and Spark's parallel ``sum``, the incremental updater
and the full recompute all agree without being told an order. What is rounded is the
weight relative to the profile's latest engagement (at most 6), so the rounding (about
1e-9) stays far below anything the profile compares with however old the profile is."""


def quantized(weight: float) -> float:
    """``weight`` to the nearest multiple of 1 / WEIGHT_SCALE (the SQL says the same)."""
    return math.floor(weight * WEIGHT_SCALE + 0.5) / WEIGHT_SCALE


@dataclass(frozen=True, slots=True)
class ProfileConfig:
    """Every knob of the profile; defaults are the documented ones (docs/profiling.md)."""

    half_life_days: float = 30.0
    stage_share: float = 0.25
    grade_weights: tuple[float, ...] = (0.25, 1.0, 2.0, 3.0, 3.0)
    """Weight of glance, read, deep_read, completed, downloaded (GRADES order)."""
    signal_boost: float = 1.0
    warm_weight: float = 1.5
    hot_weight: float = 10.0
    hot_window_days: float = 14.0
    hot_min_grade: str = "read"
    top_interests: int = 5
    active_days: float = 30.0
    thresholds: DepthThresholds = field(default_factory=DepthThresholds)

    def base_weight(self, grade_name: str, signal: float | None) -> float:
        """Undecayed weight of one engagement: grade weight, boosted by the asset's signal."""
        return self.grade_weights[GRADES.index(grade_name)] * (
            1.0 + self.signal_boost * (signal or 0.0)
        )

    def decay(self, at_ms: int, as_of_ms: int) -> float:
        return float(0.5 ** ((as_of_ms - at_ms) / (self.half_life_days * DAY_MS)))


@dataclass(frozen=True, slots=True)
class Evidence:
    """One weighted engagement: an asset one person consumed, and how deeply."""

    asset_id: str
    item: ContentItem
    state: AssetState
    grade: str
    base_weight: float
    weight: float
    """Decayed to the profile's as-of time: ``relative`` times one factor common to all."""
    log_weight: float
    """log2 of the weight forward-decayed to :data:`WEIGHT_EPOCH_MS` (as-of independent)."""
    sentence: str
    contact_id: int | None = None
    relative: float = 0.0
    """Decayed to the profile's latest engagement and :func:`quantized`: what sums add.

    It does not depend on the as-of time, so neither do the shares built from it, and the
    sums are exact; a total as of T is the sum times ``decay(latest, T)``."""

    @property
    def at(self) -> datetime:
        return from_ms(self.state.last_at_ms)

    @property
    def is_hot(self) -> bool:
        return self.item.signal is not None and self.item.signal >= HOT_SIGNAL
