"""Rule-based models on a hand-written world; every answer is worked out in the comments."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from leadloop.domain.attribution import Journey, Touch, heuristic_attribution
from leadloop.domain.attribution.journeys import CLOSE, LEAD_CREATION, OPPORTUNITY_CREATION
from leadloop.errors import ValidationError

T0 = datetime(2026, 3, 1)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


# A: email, search (created the lead), webinar (created the opportunity), search (closed);
#    converted on day 3 for 100.
# B: social alone, converted for 50.   C: email, search, did not convert.
# D: email, search, converted for 30 (no role marks).
A = Journey(
    "A",
    (
        Touch("email", day(0)),
        Touch("search", day(1), frozenset({LEAD_CREATION})),
        Touch("webinar", day(2), frozenset({OPPORTUNITY_CREATION})),
        Touch("search", day(3), frozenset({CLOSE})),
    ),
    conversions=1,
    value=100.0,
    converted_at=day(3),
)
B = Journey("B", (Touch("social", day(0)),), 1, 50.0, day(0))
C = Journey("C", (Touch("email", day(0)), Touch("search", day(1))))
D = Journey("D", (Touch("email", day(0)), Touch("search", day(1))), 1, 30.0, day(1))
WORLD = [A, B, C, D]


def credits(model: str, **kw: object) -> dict[str, tuple[float, float]]:
    result = heuristic_attribution(WORLD, model, **kw)  # type: ignore[arg-type]
    assert set(result.credits) == {"email", "search", "social", "webinar"}
    return {
        k: (round(c.conversions, 9), round(c.value, 9))
        for k, c in result.credits.items()
        if c.conversions or c.value
    }


def test_first_touch() -> None:
    # A -> email (1, 100); B -> social (1, 50); D -> email (1, 30); C earns nothing.
    assert credits("first_touch") == {"email": (2, 130), "social": (1, 50)}


def test_last_touch() -> None:
    # A -> search (100); B -> social (50); D -> search (30).
    assert credits("last_touch") == {"search": (2, 130), "social": (1, 50)}


def test_linear_counts_a_key_once_per_touch() -> None:
    # A: 1/4 each -> email .25 (25), search .5 (50), webinar .25 (25); D: .5/.5 (15/15).
    assert credits("linear") == {
        "email": (0.75, 40),
        "search": (1.0, 65),
        "social": (1, 50),
        "webinar": (0.25, 25),
    }


def test_position_based_u() -> None:
    # A: email .4, middle .2 split (search .1, webinar .1), last search .4 -> search .5.
    # B: one touch -> 100%.  D: two touches -> 50/50.
    assert credits("position_based") == {
        "email": (0.9, 55),
        "search": (1.0, 65),
        "social": (1, 50),
        "webinar": (0.1, 10),
    }


def test_w_shaped_with_and_without_role_marks() -> None:
    # A: email (first) .3, search (lead) .3, webinar (opportunity) .3, the rest (search
    #    on day 3) .1 -> email .3, search .4, webinar .3.
    # B: no marks, one touch: the first touch is the only key and no rest -> 100%.
    # D: no marks: first keeps the keys' 90% (scaled up from 30%), search gets the 10%.
    assert credits("w_shaped") == {
        "email": (1.2, 57),
        "search": (0.5, 43),
        "social": (1, 50),
        "webinar": (0.3, 30),
    }


def test_full_path_z() -> None:
    # A: four keys (first, lead, opportunity, close) and no other touch: the 10% spread
    #    goes to the keys, each 25% -> email .25, search .5, webinar .25.
    # D: only the first touch is a key: .9 email, .1 search (like W).
    assert credits("full_path") == {
        "email": (1.15, 52),
        "search": (0.6, 53),
        "social": (1, 50),
        "webinar": (0.25, 25),
    }


def test_time_decay_halves_weight_per_half_life() -> None:
    # A with half-life 1 day: ages 3,2,1,0 days -> weights 1/8, 1/4, 1/2, 1 (sum 15/8)
    # -> email 1/15, search (2+8)/15, webinar 4/15.
    result = heuristic_attribution([A], "time_decay", half_life=timedelta(days=1))
    got = {k: c.conversions for k, c in result.credits.items()}
    assert got == pytest.approx({"email": 1 / 15, "search": 10 / 15, "webinar": 4 / 15})
    assert result.credits["search"].value == pytest.approx(1000 / 15)


def test_a_touch_that_is_first_and_creates_the_lead_gets_both_shares() -> None:
    j = Journey(
        "E",
        (
            Touch("ad", day(0), frozenset({LEAD_CREATION})),
            Touch("demo", day(1)),
            Touch("x", day(2)),
        ),
        1,
        10.0,
    )
    # keys: first (ad) .3 + lead (ad) .3, no opportunity mark -> keys scale to 90%: ad .9;
    # the other two share the 10%.
    got = heuristic_attribution([j], "w_shaped").credits
    assert got["ad"].conversions == pytest.approx(0.9)
    assert got["demo"].conversions == pytest.approx(0.05)


def test_unknown_model_names_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match="allowed: first_touch, last_touch, linear"):
        heuristic_attribution(WORLD, "data_driven")


def test_journey_touches_must_be_in_time_order() -> None:
    with pytest.raises(ValidationError, match="not in time order"):
        Journey("Z", (Touch("a", day(2)), Touch("b", day(1))))
