"""Reporting periods, ratios that may be undefined, and period-over-period trends.

Every metric is reported per period (month, quarter, year, or ``None`` for all time) and
most are ratios. A ratio with a zero denominator is *undefined*, not zero or infinite: its
``value`` is None and reports print ``n/a`` beside the numerator and denominator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from statistics import fmean, median
from typing import Final

from leadloop.errors import ValidationError

GRAINS: Final = ("month", "quarter", "year")
"""Reporting grains, finest first."""
ALL_TIME: Final = "all"
"""The period label when a metric is asked for with ``grain=None``."""


def check_grain(grain: str | None) -> str | None:
    """``grain`` when it is a reporting grain or None, else a ValidationError."""
    if grain is not None and grain not in GRAINS:
        raise ValidationError(
            f"period grain {grain!r} is not allowed; allowed: {', '.join(GRAINS)}", grain=grain
        )
    return grain


def period_of(when: date | datetime, grain: str | None) -> str:
    """The label of the period containing ``when``.

    >>> period_of(date(2026, 5, 17), "month"), period_of(date(2026, 5, 17), "quarter")
    ('2026-05', '2026-Q2')
    >>> period_of(date(2026, 5, 17), "year"), period_of(date(2026, 5, 17), None)
    ('2026', 'all')
    """
    check_grain(grain)
    if grain is None:
        return ALL_TIME
    if grain == "month":
        return f"{when.year:04d}-{when.month:02d}"
    if grain == "quarter":
        return f"{when.year:04d}-Q{(when.month - 1) // 3 + 1}"
    return f"{when.year:04d}"


@dataclass(frozen=True, slots=True)
class Ratio:
    """A numerator over a denominator; ``value`` is None when the denominator is 0."""

    numerator: float
    denominator: float

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True, slots=True)
class Durations:
    """Durations in days: how many, their mean and median (None when there are none)."""

    count: int
    mean_days: float | None
    median_days: float | None

    @classmethod
    def of(cls, days: Iterable[float]) -> Durations:
        values = list(days)
        if not values:
            return cls(0, None, None)
        return cls(len(values), fmean(values), median(values))


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One period's value and its change from the previous period (None when undefined)."""

    period: str
    value: float | None
    change: float | None
    relative_change: float | None


def trend(values: Mapping[str, float | None]) -> list[TrendPoint]:
    """Period-over-period change of a metric, periods in label order (labels sort in time).

    >>> [p.change for p in trend({"2026-Q1": 0.30, "2026-Q2": 0.25})]
    [None, -0.04999999999999999]
    """
    points, previous = [], None
    for period in sorted(values):
        value = values[period]
        change = relative = None
        if value is not None and previous is not None:
            change = value - previous
            relative = change / previous if previous else None
        points.append(TrendPoint(period, value, change, relative))
        previous = value
    return points


def days_between(start: datetime, end: datetime) -> float:
    """Elapsed days as a float (86,400 seconds a day)."""
    return (end - start).total_seconds() / 86_400.0
