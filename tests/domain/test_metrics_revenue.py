"""Revenue metrics on a hand-written world; the answers are worked out in the comments."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.domain.metrics import (
    CostEntry,
    Opportunity,
    average_deal_size,
    content_influence,
    cost_per_contract_value,
    cost_per_lead,
    cpod,
    new_customer_from_type,
    pipeline_created,
    revenue_by_customer,
    sales_cycle,
    trend,
    win_rate,
)
from leadloop.errors import ValidationError


def d(month: int, day: int = 1) -> datetime:
    return datetime(2026, month, day)


COSTS = [
    CostEntry(d(1), 6_000.0, "marketing", "search-ads"),
    CostEntry(d(2), 4_000.0, "marketing", "webinars"),
    CostEntry(d(3), 10_000.0, "sales"),
    CostEntry(d(4), 3_000.0, "marketing", "search-ads"),
    CostEntry(d(5), 2_000.0, "sales"),
    CostEntry(d(7), 1_000.0, "marketing", "webinars"),  # Q3: no revenue
]
OPPS = [
    # acme: new business won in Q1, expansion won in Q2 (existing customer then).
    Opportunity(
        "o1",
        "acme",
        d(1, 10),
        40_000.0,
        "won",
        d(3, 20),
        programs=frozenset({"search-ads"}),
        contents=frozenset({"guide"}),
    ),
    Opportunity(
        "o2",
        "acme",
        d(4, 1),
        10_000.0,
        "won",
        d(5, 15),
        programs=frozenset({"webinars"}),
        contents=frozenset({"guide", "price-list"}),
    ),
    Opportunity(
        "o3",
        "globex",
        d(2, 1),
        25_000.0,
        "lost",
        d(3, 1),
        programs=frozenset({"webinars"}),
        contents=frozenset({"guide"}),
    ),
    Opportunity(
        "o4",
        "initech",
        d(5, 1),
        15_000.0,
        "won",
        d(6, 30),
        contract_value=30_000.0,
        programs=frozenset({"search-ads", "webinars"}),
    ),
    Opportunity("o5", "hooli", d(6, 1), 99_000.0, "open"),
]


def values(ratios: dict) -> dict:  # type: ignore[type-arg]
    return {k: r.value for k, r in ratios.items()}


def test_cpod_per_quarter() -> None:
    # Q1 cost 6,000 + 4,000 + 10,000 = 20,000; booked (won, by close date) o1 40,000 -> 0.5
    # Q2 cost 3,000 + 2,000 = 5,000; booked o2 10,000 + o4 15,000 = 25,000 -> 0.2
    # Q3 cost 1,000, nothing booked -> undefined (None), not 0 and not infinity.
    got = cpod(COSTS, OPPS, "quarter")
    assert values(got) == {"2026-Q1": 0.5, "2026-Q2": 0.2, "2026-Q3": None}
    assert (got["2026-Q3"].numerator, got["2026-Q3"].denominator) == (1_000.0, 0.0)
    # the trend: -0.3 (-60%) from Q1 to Q2; Q3 undefined
    points = trend(values(got))
    assert [(p.change, p.relative_change) for p in points][:2] == [
        (None, None),
        (pytest.approx(-0.3), pytest.approx(-0.6)),
    ]
    assert points[2].change is None


def test_cpod_whole_period_and_by_month() -> None:
    assert values(cpod(COSTS, OPPS, None)) == {"all": pytest.approx(26_000 / 65_000)}
    assert values(cpod(COSTS, OPPS, "month"))["2026-03"] == pytest.approx(10_000 / 40_000)


def test_win_rate_counts_closed_deals_only() -> None:
    # Q1 closed: o1 won, o3 lost -> 1/2.  Q2 closed: o2, o4 won -> 1.  o5 open: not counted.
    assert values(win_rate(OPPS, "quarter")) == {"2026-Q1": 0.5, "2026-Q2": 1.0}
    # cut by account: acme 2 won of 2 overall
    by_account = values(win_rate(OPPS, None, by=lambda o: o.account_id))
    assert by_account == {("all", "acme"): 1.0, ("all", "globex"): 0.0, ("all", "initech"): 1.0}


def test_pipeline_deal_size_and_cycle() -> None:
    pipe = pipeline_created(OPPS, "quarter")
    # created Q1: o1, o3 (65,000); Q2: o2, o4, o5 (124,000), whatever became of them.
    assert {k: (p.count, p.amount) for k, p in pipe.items()} == {
        "2026-Q1": (2, 65_000.0),
        "2026-Q2": (3, 124_000.0),
    }
    # Q2 won: o2 10,000 and o4 15,000 -> 12,500.
    assert average_deal_size(OPPS, "quarter")["2026-Q2"].value == 12_500.0
    # cycles of won deals: o1 Jan 10 -> Mar 20 = 69 days; o2 Apr 1 -> May 15 = 44; o4 May 1
    # -> Jun 30 = 60.  Q2 mean (44 + 60) / 2 = 52, median 52.
    cycle = sales_cycle(OPPS, "quarter")
    assert (cycle["2026-Q1"].count, cycle["2026-Q1"].mean_days) == (1, 69.0)
    assert (cycle["2026-Q2"].mean_days, cycle["2026-Q2"].median_days) == (52.0, 52.0)


def test_revenue_from_new_and_existing_customers() -> None:
    # o1 is acme's first won deal (new); o2 closes after it (existing); o4 initech new.
    split = revenue_by_customer(OPPS, "quarter")
    assert (split["2026-Q1"].new, split["2026-Q1"].existing) == (40_000.0, 0.0)
    assert (split["2026-Q2"].new, split["2026-Q2"].existing) == (15_000.0, 10_000.0)


def test_cost_per_contract_value() -> None:
    # Q1 won: o1 (contract 40,000), touched by search-ads, which cost 6,000 in Q1 -> 0.15.
    # Q2 won: o2 (10,000, webinars) and o4 (contract 30,000, search-ads + webinars);
    # Q2 costs of those programs: search-ads 3,000 (webinars cost nothing in Q2) -> 3/40.
    got = values(cost_per_contract_value(COSTS, OPPS, "quarter"))
    assert got == {"2026-Q1": 0.15, "2026-Q2": pytest.approx(3_000 / 40_000)}


def test_cost_per_lead_uses_marketing_cost() -> None:
    leads = [d(1, 5), d(1, 6), d(2, 9), d(4, 2)]
    # Q1 marketing 10,000 / 3 leads; Q2 3,000 / 1; Q3 1,000 / 0 -> undefined
    assert values(cost_per_lead(COSTS, leads, "quarter")) == {
        "2026-Q1": pytest.approx(10_000 / 3),
        "2026-Q2": 3_000.0,
        "2026-Q3": None,
    }


def test_content_influence_gives_each_asset_the_whole_deal() -> None:
    got = content_influence(OPPS, "quarter")
    # guide: created Q1 o1 + o3 (65,000), Q2 o2 (10,000); won Q1 o1 40,000, Q2 o2 10,000.
    assert (got[("2026-Q1", "guide")].pipeline, got[("2026-Q1", "guide")].won_revenue) == (
        65_000.0,
        40_000.0,
    )
    assert got[("2026-Q2", "price-list")].won_revenue == 10_000.0


def test_mixed_currencies_and_fine_grains_are_refused() -> None:
    with pytest.raises(ValidationError, match="mix currencies EUR, USD"):
        cpod([*COSTS, CostEntry(d(1), 1.0, "sales", currency="EUR")], OPPS, "quarter")
    quarterly = CostEntry(d(1), 9.0, "marketing", "x", grain="quarter")
    with pytest.raises(ValidationError, match="report by quarter or coarser"):
        cpod([quarterly], OPPS, "month")
    with pytest.raises(ValidationError, match="o9 is won but has no closed_at"):
        Opportunity("o9", "a", d(1), 1.0, "won")


COST_ROWS = st.lists(
    st.builds(
        CostEntry,
        st.datetimes(datetime(2025, 1, 1), datetime(2026, 12, 31)),
        st.floats(0, 1e6),
        st.sampled_from(["marketing", "sales"]),
    ),
    max_size=30,
)
OPP_ROWS = st.lists(
    st.builds(
        lambda i, created, days, amount, status: Opportunity(
            f"o{i}",
            "acc",
            created,
            amount,
            status,
            None
            if status == "open"
            else created + timedelta(days=365)  # not replace(year=...): 29 February
            if days
            else created,
        ),
        st.integers(0, 10**6),
        st.datetimes(datetime(2024, 1, 1), datetime(2025, 12, 31)),
        st.booleans(),
        st.floats(0, 1e6),
        st.sampled_from(["open", "won", "lost"]),
    ),
    max_size=30,
)


@settings(max_examples=80, deadline=None)
@given(COST_ROWS, OPP_ROWS, st.sampled_from(["month", "quarter", "year", None]), st.randoms())
def test_cpod_ignores_row_order(costs, opps, grain, rnd) -> None:  # type: ignore[no-untyped-def]
    before = cpod(costs, opps, grain)
    rnd.shuffle(costs)
    rnd.shuffle(opps)
    after = cpod(costs, opps, grain)
    assert before.keys() == after.keys()
    for period in before:
        assert after[period].numerator == pytest.approx(before[period].numerator)
        assert after[period].denominator == pytest.approx(before[period].denominator)


@pytest.mark.parametrize(
    ("kind", "new"),
    [
        ("New Business", True),
        ("newbusiness", True),
        ("Existing Business", False),
        ("Existing Business - Upgrade", False),
        ("Renewal", False),
        ("Upsell", False),
        ("Expansion", False),
        ("Partner", None),
        (None, None),
        ("", None),
    ],
)
def test_the_crm_type_says_new_or_existing_customer(kind: str | None, new: bool | None) -> None:
    assert new_customer_from_type(kind) is new
