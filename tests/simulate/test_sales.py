"""Opportunities follow sales-ready leads (or customers' expansion reading), and look like a
real B2B pipeline: log-normal amounts, some won, some lost, some still open."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sim_helpers import World

from leadloop.simulate.sales import AMOUNT_RANGE


def test_outcomes_are_plausible(world: World) -> None:
    rows = world.csv("opportunities.csv")
    status = Counter(r["status"] for r in rows)
    assert status["won"] > 0 and status["lost"] > 0 and status["open"] > 0
    assert 0.15 < status["won"] / (status["won"] + status["lost"]) < 0.8  # a small world
    assert world.summary.won == status["won"] and world.summary.opportunities == len(rows)
    stage_of = {
        "won": {"closed won"},
        "lost": {"closed lost"},
        "open": {"prospecting", "qualification", "proposal"},
    }
    assert all(r["stage"] in stage_of[r["status"]] for r in rows)


def test_amounts_are_b2b_sized(world: World) -> None:
    amounts = sorted(int(r["amount"]) for r in world.csv("opportunities.csv"))
    assert AMOUNT_RANGE[0] <= amounts[0] and amounts[-1] <= AMOUNT_RANGE[1]
    median = amounts[len(amounts) // 2]
    assert 8_000 < median < 120_000


def test_dates_are_ordered_and_closed_deals_close_inside_the_period(world: World) -> None:
    config = world.summary.config
    end = date(2025, 9, 1)
    for r in world.csv("opportunities.csv"):
        created = datetime.fromisoformat(r["created_at"]).date()
        close = date.fromisoformat(r["close_date"])
        assert created < end and created <= close
        # Only expansions at existing customers were already in the pipeline at the start.
        assert config.start <= created or r["type"] == "expansion"
        assert (close < end) == (r["status"] != "open"), r


def test_new_business_follows_a_sales_ready_lead(world: World) -> None:
    truth = {r["email"]: r for r in world.csv("truth.csv")}
    rows = world.csv("opportunities.csv")
    assert {r["type"] for r in rows} == {"new business", "expansion"}
    for r in rows:
        lead = truth[r["primary_contact_email"]]
        assert lead["account_domain"] == r["account_domain"]
        if r["type"] == "new business":
            assert lead["sales_ready"] == "true"
            assert datetime.fromisoformat(lead["sales_ready_at"]) < datetime.fromisoformat(
                r["created_at"]
            )
        else:
            assert lead["customer"] in ("existing", "won")
