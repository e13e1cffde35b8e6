"""Measures from hand-written timelines, with the arithmetic done by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadloop.domain.lifecycle import Actor, Transition
from leadloop.domain.lifecycle_measures import (
    Conversion,
    conversion,
    nurture_periods,
    nurture_trend,
    period_key,
    stage_spells,
    time_in_stage,
)

SYS = Actor("system")


def d(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


def timeline(contact: int, *steps: tuple[str | None, str, datetime, int]) -> list[Transition]:
    return [Transition(contact, a, b, at, cycle, SYS) for a, b, at, cycle in steps]


# Lead 1: first touch 5 Jan, sales_ready 4 Feb (30 days), accepted, opportunity, lost on 1 Mar
# and recycled the same instant (cycle 2), engaged 11 Mar, sales_ready 10 Apr (40 days).
LEAD_1 = timeline(
    1,
    (None, "known", d(1, 5), 1),
    ("known", "engaged", d(1, 10), 1),
    ("engaged", "sales_ready", d(2, 4), 1),
    ("sales_ready", "accepted", d(2, 5), 1),
    ("accepted", "opportunity", d(2, 15), 1),
    ("opportunity", "lost", d(3, 1), 1),
    ("lost", "recycled", d(3, 1), 2),
    ("recycled", "engaged", d(3, 11), 2),
    ("engaged", "sales_ready", d(4, 10), 2),
)
# Lead 2: anonymous 1 Jan, known 3 Jan, engaged 4 Jan, sales_ready 21 Jan (20 days from first
# touch), rejected 22 Jan.
LEAD_2 = timeline(
    2,
    (None, "anonymous", d(1, 1), 1),
    ("anonymous", "known", d(1, 3), 1),
    ("known", "engaged", d(1, 4), 1),
    ("engaged", "sales_ready", d(1, 21), 1),
    ("sales_ready", "rejected", d(1, 22), 1),
)
# Lead 3: known 1 Feb, engaged 11 Feb, still nurturing.
LEAD_3 = timeline(3, (None, "known", d(2, 1), 1), ("known", "engaged", d(2, 11), 1))
ALL = LEAD_1 + LEAD_2 + LEAD_3


def test_nurture_period_runs_from_first_touch_or_recycle_to_sales_ready() -> None:
    periods = nurture_periods(reversed(ALL))  # input order does not matter
    assert [(p.contact_id, p.cycle, p.duration) for p in periods] == [
        (2, 1, timedelta(days=20)),  # 1 Jan → 21 Jan
        (1, 1, timedelta(days=30)),  # 5 Jan → 4 Feb: 26 days of January + 4
        (1, 2, timedelta(days=40)),  # 1 Mar → 10 Apr: 30 days of March + 10
    ]


def test_nurture_trend_per_month_and_quarter() -> None:
    periods = nurture_periods(ALL)
    monthly = [(f.period, f.count, f.mean_days) for f in nurture_trend(periods, "month")]
    assert monthly == [("2026-01", 1, 20.0), ("2026-02", 1, 30.0), ("2026-04", 1, 40.0)]
    quarterly = nurture_trend(periods, "quarter")
    assert [(f.period, f.count, f.mean_days, f.median_days) for f in quarterly] == [
        ("2026-Q1", 2, 25.0, 25.0),  # (20 + 30) / 2
        ("2026-Q2", 1, 40.0, 40.0),
    ]


def test_time_in_every_stage_over_finished_stays() -> None:
    stays = time_in_stage(stage_spells(ALL))
    # known: 5 (lead 1) + 1 (lead 2) + 10 (lead 3) days → mean 16/3, median 5.
    assert stays["known"].count == 3
    assert stays["known"].mean_days == pytest.approx(16 / 3)
    assert stays["known"].median_days == 5
    # engaged: 25 (lead 1, 10 Jan → 4 Feb), 30 (lead 1 cycle 2), 17 (lead 2); lead 3 open.
    assert (stays["engaged"].count, stays["engaged"].mean_days, stays["engaged"].median_days) == (
        3,
        24.0,
        25.0,
    )
    assert stays["opportunity"].mean_days == 14  # 15 Feb → 1 Mar (February 2026 has 28 days)
    assert stays["accepted"].mean_days == 10
    assert stays["lost"].mean_days == 0  # recycled at once
    assert stays["recycled"].mean_days == 10
    assert stays["anonymous"].mean_days == 2
    assert stays["sales_ready"].count == 2 and stays["sales_ready"].mean_days == 1
    assert "rejected" not in stays  # still there: no finished stay


def test_open_stays_are_measured_to_as_of() -> None:
    open_spell = [s for s in stage_spells(LEAD_3) if s.left is None]
    assert len(open_spell) == 1 and open_spell[0].state == "engaged"
    assert open_spell[0].duration(d(2, 21)) == timedelta(days=10)


def test_conversion_between_stages_per_month() -> None:
    rows = {(c.period, c.from_state): (c.entered, c.converted) for c in conversion(ALL, "month")}
    assert rows == {
        ("2026-01", "known"): (2, 2),  # leads 1 and 2 entered known in January, both engaged
        ("2026-01", "engaged"): (2, 2),
        ("2026-01", "sales_ready"): (1, 0),  # lead 2 was rejected
        ("2026-02", "known"): (1, 1),  # lead 3
        ("2026-02", "engaged"): (1, 0),
        ("2026-02", "sales_ready"): (1, 1),  # lead 1 cycle 1
        ("2026-02", "accepted"): (1, 1),
        ("2026-02", "opportunity"): (1, 0),  # lost
        ("2026-03", "engaged"): (1, 1),  # lead 1 cycle 2
        ("2026-04", "sales_ready"): (1, 0),
    }


def test_conversion_per_quarter_and_rates() -> None:
    rows = conversion(ALL, "quarter")
    engaged_q1 = next(c for c in rows if c.period == "2026-Q1" and c.from_state == "engaged")
    assert engaged_q1 == Conversion("2026-Q1", "engaged", "sales_ready", 4, 3)
    assert engaged_q1.rate == 0.75
    ready_q1 = next(c for c in rows if c.period == "2026-Q1" and c.from_state == "sales_ready")
    assert (ready_q1.entered, ready_q1.converted, ready_q1.rate) == (2, 1, 0.5)
    assert Conversion("x", "a", "b", 0, 0).rate is None


def test_period_keys() -> None:
    assert period_key(d(12, 31), "quarter") == "2026-Q4"
    assert period_key(d(1, 1), "month") == "2026-01"
    with pytest.raises(ValueError, match="allowed: month, quarter"):
        period_key(d(1, 1), "week")


# Lead 4: known 2 Feb; sales opened a deal with it on 20 Feb on its own, so the CRM implied
# engaged → sales_ready → accepted → opportunity at that instant; won on 30 Mar. A later rule
# qualification after a recycle is marketing's again.
CRM = Actor("crm", "salesforce")
RULE = Actor("rule", "v3")
LEAD_4 = [
    Transition(4, None, "known", d(2, 2), 1, SYS),
    *(
        Transition(4, a, b, d(2, 20), 1, CRM, "implied on the way to opportunity")
        for a, b in [
            ("known", "engaged"),
            ("engaged", "sales_ready"),
            ("sales_ready", "accepted"),
            ("accepted", "opportunity"),
        ]
    ),
    Transition(4, "opportunity", "lost", d(3, 30), 1, CRM),
    Transition(4, "lost", "recycled", d(3, 30), 2, CRM),
    Transition(4, "recycled", "sales_ready", d(4, 9), 2, RULE),
]


def test_a_sales_sourced_deal_is_not_marketing_s_conversion_or_nurture() -> None:
    rows = {(c.period, c.from_state): (c.entered, c.converted) for c in conversion(LEAD_4, "month")}
    # Known in February and never engaged by marketing; engaged/sales_ready never entered by
    # it in cycle 1; accepted → opportunity is sales' own step and counts.
    assert rows[("2026-02", "known")] == (1, 0)
    assert ("2026-02", "engaged") not in rows and ("2026-02", "sales_ready") not in rows
    assert rows[("2026-02", "accepted")] == (1, 1)
    assert rows[("2026-02", "opportunity")] == (1, 0)
    # Cycle 2: the rule qualified it 10 days after the recycle (30 Mar → 9 Apr).
    assert rows[("2026-04", "sales_ready")] == (1, 0)
    (period,) = nurture_periods(LEAD_4)
    assert (period.cycle, period.duration) == (2, timedelta(days=10))


def test_a_rule_or_a_person_moving_through_marketing_s_stages_counts() -> None:
    lead = [
        Transition(5, None, "known", d(2, 2), 1, SYS),
        Transition(5, "known", "engaged", d(2, 3), 1, RULE, "implied on the way to sales_ready"),
        Transition(5, "engaged", "sales_ready", d(2, 3), 1, RULE),
        Transition(5, "sales_ready", "accepted", d(2, 4), 1, Actor("user", "rep@x.example")),
    ]
    rows = {(c.period, c.from_state): (c.entered, c.converted) for c in conversion(lead, "month")}
    assert rows[("2026-02", "known")] == (1, 1)
    assert rows[("2026-02", "engaged")] == (1, 1)
    assert rows[("2026-02", "sales_ready")] == (1, 1)
    assert [p.duration for p in nurture_periods(lead)] == [timedelta(days=1)]
