"""When people act: business hours in their own time zone, mostly on weekdays."""

from __future__ import annotations

import random
from typing import Final

from leadloop.simulate.config import DAY_MS, HOUR_MS

MIN_GAP_MS: Final = 2 * HOUR_MS
WEEKEND_SHIFT: Final = 0.85
"""Share of weekend sessions moved to Monday: B2B research happens at work."""
HOUR_WEIGHTS: Final = {
    7: 1,
    8: 3,
    9: 5,
    10: 6,
    11: 5,
    12: 3,
    13: 4,
    14: 5,
    15: 5,
    16: 4,
    17: 2,
    18: 1,
    19: 1,
    20: 1,
    21: 1,
}
"""Local hours people start sessions in, weighted: mornings and mid-afternoons peak."""
HOURS: Final = tuple(hour for hour, weight in HOUR_WEIGHTS.items() for _ in range(weight))


def between_ms(rng: random.Random, low_s: float, high_s: float) -> int:
    """A random duration between ``low_s`` and ``high_s`` seconds, in milliseconds (cheaper
    than ``randint`` on the hot path, and with millisecond jitter like real clients)."""
    return int((low_s + rng.random() * (high_s - low_s)) * 1000)


def next_session(after: int, tz_ms: int, rng: random.Random, gap_ms: int = 0) -> int:
    """A session start after ``after`` (plus a random gap of mean ``gap_ms``), in local
    business hours. Always later than ``after``."""
    t = after
    if gap_ms:
        t += MIN_GAP_MS + int(rng.expovariate(1.0) * gap_ms)
    local = t + tz_ms
    day = local // DAY_MS
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    if weekday >= 5 and rng.random() < WEEKEND_SHIFT:
        day += 7 - weekday
    hour = HOURS[int(rng.random() * len(HOURS))]
    start = day * DAY_MS + hour * HOUR_MS + int(rng.random() * HOUR_MS)
    if start <= local:
        start = max(start + DAY_MS, local + 60_000)
    return start - tz_ms
