"""Funnel conversion, time in stage and nurture period on a hand-written world."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from leadloop.domain.metrics import (
    Transition,
    funnel_conversion,
    nurture_period_by_period,
    nurture_period_trend,
    nurture_periods,
    open_stays,
    time_in_stage,
)
from leadloop.errors import ValidationError

T0 = datetime(2026, 1, 1)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


# L1: known day 0 (first touch day -10), engaged 10, sales_ready 30, accepted 31,
#     opportunity 40, lost 100, recycled 100, sales_ready again 160, accepted 161.
# L2: known day 5, engaged 20, sales_ready 95 (first touch unknown: starts at day 5).
# L3: known day 50, never engaged.
HISTORY = [
    Transition("L1", "known", day(0)),
    Transition("L1", "engaged", day(10), "known"),
    Transition("L1", "sales_ready", day(30), "engaged"),
    Transition("L1", "accepted", day(31), "sales_ready"),
    Transition("L1", "opportunity", day(40), "accepted"),
    Transition("L1", "lost", day(100), "opportunity"),
    Transition("L1", "recycled", day(100), "lost", reason="no budget"),
    Transition("L1", "sales_ready", day(160), "recycled"),
    Transition("L1", "accepted", day(161), "sales_ready"),
    Transition("L2", "known", day(5)),
    Transition("L2", "engaged", day(20), "known"),
    Transition("L2", "sales_ready", day(95), "engaged"),
    Transition("L3", "known", day(50)),
]
FIRST_TOUCH = {"L1": day(-10)}


def test_nurture_period_from_first_touch_or_last_recycle() -> None:
    # L1: first touch day -10 -> sales_ready day 30: 40 days; recycled day 100 ->
    #     sales_ready day 160: 60 days.  L2: no first touch given -> from its first
    #     transition (day 5) to day 95: 90 days.
    periods = nurture_periods(reversed(HISTORY), FIRST_TOUCH)
    assert [(p.lead_id, p.days, p.from_recycle) for p in periods] == [
        ("L1", 40.0, False),
        ("L2", 90.0, False),
        ("L1", 60.0, True),
    ]
    # by quarter of arrival: day 30 = Jan 31 (Q1); day 95 = Apr 6 and day 160 = Jun 10 (Q2).
    by_q = nurture_period_by_period(periods, "quarter")
    assert {k: (v.count, v.mean_days) for k, v in by_q.items()} == {
        "2026-Q1": (1, 40.0),
        "2026-Q2": (2, 75.0),
    }
    points = nurture_period_trend(periods, "quarter")
    assert [(p.period, p.value, p.change) for p in points] == [
        ("2026-Q1", 40.0, None),
        ("2026-Q2", 75.0, 35.0),
    ]


def test_funnel_conversion_by_entry_cohort() -> None:
    got = funnel_conversion(HISTORY, None)
    # known: L1, L2, L3 entered; L1, L2 reached engaged -> 2/3.
    assert got[("all", "known", "engaged")].value == pytest.approx(2 / 3)
    # sales_ready: L1 (once per period: counted once in "all"), L2 -> L1 accepted: 1/2.
    assert (
        got[("all", "sales_ready", "accepted")].numerator,
        got[("all", "sales_ready", "accepted")].denominator,
    ) == (1, 2)
    # opportunity -> won: L1 lost -> 0/1
    assert got[("all", "opportunity", "won")].value == 0.0
    # by quarter, L1's second sales_ready (day 160, Q2) is its own cohort entry
    q = funnel_conversion(HISTORY, "quarter", by={"L1": "cio", "L2": "cfo"})
    assert q[(("2026-Q2", "cio"), "sales_ready", "accepted")].value == 1.0
    assert q[(("2026-Q2", "cfo"), "sales_ready", "accepted")].value == 0.0


def test_time_in_stage_counts_completed_stays() -> None:
    got = time_in_stage(HISTORY, None)
    # known: L1 0 -> 10 (10 days), L2 5 -> 20 (15 days); L3 still known (open, excluded).
    assert (got[("all", "known")].count, got[("all", "known")].mean_days) == (2, 12.5)
    # sales_ready stays: L1 1 day twice; L2 still sales_ready (open).
    assert got[("all", "sales_ready")].mean_days == 1.0
    assert got[("all", "opportunity")].mean_days == 60.0
    assert open_stays(HISTORY) == {"accepted": 1, "known": 1, "sales_ready": 1}


def test_unknown_state_names_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match="allowed: anonymous, known, engaged, sales_ready"):
        Transition("L9", "mql", day(0))
