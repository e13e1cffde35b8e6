"""What to simulate: sizes, period, seed and noise rates, with `demo` and `bench` presets."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Final

from leadloop.errors import ValidationError

DAY_MS: Final = 86_400_000
HOUR_MS: Final = 3_600_000

SIZES: Final[dict[str, dict[str, int]]] = {
    "demo": {"contacts": 5_000, "events": 100_000},
    "bench": {"contacts": 1_000_000, "events": 20_000_000},
}
"""Named sizes; ``demo`` generates in seconds, ``bench`` is the performance target."""


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything that decides the generated world; equal configs give byte-identical files.

    ``events`` is a target: journeys are sized to land near it (within a few percent), not cut
    to hit it exactly, because a cut journey would be an unrealistic one.
    """

    seed: int = 42
    contacts: int = 5_000
    events: int = 100_000
    months: int = 12
    start: date = date(2025, 1, 1)
    malformed_rate: float = 0.005
    duplicate_rate: float = 0.001
    web_active_rate: float = 0.65
    visitor_ratio: float = 2.0

    @classmethod
    def preset(cls, size: str = "demo", **overrides: Any) -> SimConfig:
        """A named size with optional field overrides (``None`` values are ignored)."""
        if size not in SIZES:
            raise ValidationError(f"unknown size {size!r}; allowed: {', '.join(SIZES)}", size=size)
        sized = SIZES[size]
        base = cls(contacts=sized["contacts"], events=sized["events"])
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given).validated()

    def validated(self) -> SimConfig:
        """Return self, or raise :class:`ValidationError` naming the bad field."""
        checks = (
            ("contacts", 10 <= self.contacts <= 50_000_000, "between 10 and 50,000,000"),
            ("events", 0 <= self.events <= 5_000_000_000, "between 0 and 5,000,000,000"),
            ("months", 1 <= self.months <= 60, "between 1 and 60"),
            ("malformed_rate", 0.0 <= self.malformed_rate <= 0.2, "between 0 and 0.2"),
            ("duplicate_rate", 0.0 <= self.duplicate_rate <= 0.2, "between 0 and 0.2"),
            ("web_active_rate", 0.0 < self.web_active_rate <= 1.0, "in (0, 1]"),
            ("visitor_ratio", 0.0 <= self.visitor_ratio <= 20.0, "between 0 and 20"),
            ("seed", 0 <= self.seed < 2**63, "a non-negative 63-bit integer"),
        )
        for name, ok, allowed in checks:
            if not ok:
                value = getattr(self, name)
                raise ValidationError(f"{name} must be {allowed}; got {value!r}", field=name)
        return self

    @property
    def start_ms(self) -> int:
        """Start of the simulated period, epoch milliseconds (UTC midnight)."""
        return epoch_ms(self.start)

    @property
    def end_ms(self) -> int:
        """End of the period (exclusive): ``months`` calendar months after the start."""
        return month_starts(self.start, self.months)[-1]


def epoch_ms(day: date) -> int:
    """Midnight UTC of ``day`` in epoch milliseconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_starts(start: date, months: int) -> list[int]:
    """Epoch-ms boundaries of each simulated month, plus the end (``months + 1`` values)."""
    return [epoch_ms(add_months(start, i)) for i in range(months + 1)]


def month_labels(start: date, months: int) -> list[str]:
    """``YYYY-MM`` of each simulated month (the month its first day falls in)."""
    return [add_months(start, i).strftime("%Y-%m") for i in range(months)]
