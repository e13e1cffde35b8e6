"""Building journeys from raw touches, and Shapley attribution worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from math import factorial

import pytest

from leadloop.domain.attribution import (
    Journey,
    Outcome,
    Touch,
    TouchEvent,
    TouchRules,
    build_journeys,
    heuristic_attribution,
    shapley_attribution,
)
from leadloop.domain.attribution.journeys import CLOSE, LEAD_CREATION, OPPORTUNITY_CREATION
from leadloop.errors import ValidationError

T0 = datetime(2026, 1, 1)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


EVENTS = [
    TouchEvent("c1", day(0), "page", channel="search", content="guide"),
    TouchEvent("c1", day(50), "email_click", channel="email", program="nurture-q1"),
    TouchEvent("c1", day(100), "page", channel="search"),
    TouchEvent("c1", day(110), "webinar", channel="events", program="webinar-may"),
    TouchEvent("c1", day(130), "page", channel="direct"),  # after the close: dropped
    TouchEvent("c2", day(5), "page", channel="social"),
    TouchEvent("c2", day(6), "identify"),  # no channel: never a touch
]
OUTCOMES = [
    Outcome(
        "c1", 900.0, converted_at=day(120), lead_created_at=day(55), opportunity_created_at=day(111)
    ),
]


def test_lookback_window_kinds_and_role_marks() -> None:
    rules = TouchRules(lookback=timedelta(days=90))
    c1, c2 = build_journeys(reversed(EVENTS), OUTCOMES, rules)
    # Conversion on day 120, 90-day lookback -> touches from day 30: email, search, events.
    assert c1.keys == ("email", "search", "events")
    assert (c1.conversions, c1.value, c1.converted_at) == (1, 900.0, day(120))
    # Lead created day 55 -> last touch at or before it (email, day 50); opportunity day
    # 111 -> events (day 110), which is also the last touch before the close.
    assert [sorted(t.roles) for t in c1.touches] == [
        [LEAD_CREATION],
        [],
        sorted([OPPORTUNITY_CREATION, CLOSE]),
    ]
    assert (c2.keys, c2.converted) == (("social",), False)


def test_no_lookback_and_only_some_kinds_and_program_dimension() -> None:
    pages = TouchRules(lookback=None, kinds=frozenset({"page"}))
    c1, c2 = build_journeys(EVENTS, OUTCOMES, pages)
    assert (c1.keys, c2.keys) == (("search", "search"), ("social",))
    (p1,) = build_journeys(EVENTS, OUTCOMES, TouchRules(dimension="program", lookback=None))
    assert p1.keys == ("nurture-q1", "webinar-may")


def test_unknown_dimension_is_refused() -> None:
    with pytest.raises(ValidationError, match="allowed: channel, program, content"):
        TouchRules(dimension="campaign")


def test_shapley_two_players_by_the_formula() -> None:
    # Journeys: {a} converts once for 10, {a, b} once for 30.
    # v({a}) = 1, v({b}) = 0, v({a, b}) = 2 (conversions); values 10, 0, 40.
    # phi_a = 1/2 (v(a) - v()) + 1/2 (v(ab) - v(b)) = 1/2 + 1 = 1.5;  phi_b = 0 + 1/2 = 0.5.
    # Values: phi_a = 1/2 * 10 + 1/2 * 40 = 25; phi_b = 1/2 * 0 + 1/2 * 30 = 15.
    journeys = [
        Journey("1", (Touch("a", day(0)),), 1, 10.0),
        Journey("2", (Touch("a", day(0)), Touch("b", day(1)), Touch("a", day(2))), 1, 30.0),
        Journey("3", (Touch("c", day(0)),)),  # never converts: a dummy player
    ]
    got = shapley_attribution(journeys).credits
    assert got["a"].conversions == pytest.approx(1.5)
    assert got["b"].conversions == pytest.approx(0.5)
    assert (got["a"].value, got["b"].value) == (pytest.approx(25.0), pytest.approx(15.0))
    assert got["c"].conversions == 0.0


def _distinct_split(journeys: list[Journey]) -> dict[str, float]:
    """The closed form for this game: each journey's conversions split over its distinct keys."""
    out: dict[str, float] = {}
    for j in journeys:
        keys = set(j.keys)
        for k in keys:
            out[k] = out.get(k, 0.0) + j.conversions / len(keys)
    return out


def _journeys(n_keys: int, n: int, seed: int) -> list[Journey]:
    import random

    rng = random.Random(seed)
    keys = [f"k{i:02d}" for i in range(n_keys)]
    out = []
    for i in range(n):
        touches = tuple(Touch(rng.choice(keys), day(t)) for t in range(rng.randint(1, 5)))
        out.append(Journey(str(i), touches, rng.randint(0, 2), rng.uniform(0, 100)))
    return out


def test_exact_shapley_equals_the_unanimity_closed_form() -> None:
    journeys = _journeys(6, 300, seed=3)
    got = shapley_attribution(journeys, method="exact").credits
    expected = _distinct_split([j for j in journeys if j.converted])
    assert {k: c.conversions for k, c in got.items()} == pytest.approx(expected, abs=1e-9)


def test_sampled_shapley_past_fifteen_keys_is_within_its_standard_error() -> None:
    journeys = _journeys(18, 400, seed=5)
    result = shapley_attribution(journeys, samples=400, seed=11)
    assert "se_conversions:k00" in result.detail  # 18 keys > 15: sampled
    expected = _distinct_split([j for j in journeys if j.converted])
    for key, credit in result.credits.items():
        se = result.detail[f"se_conversions:{key}"]
        assert abs(credit.conversions - expected.get(key, 0.0)) <= 4 * se + 1e-9, key
    # every permutation hands out all of v(N): the total is exact whatever the sample
    assert result.total_conversions == pytest.approx(sum(j.conversions for j in journeys))
    again = shapley_attribution(journeys, samples=400, seed=11)
    assert again == result  # seeded


def test_exact_shapley_weights_sum_to_one() -> None:
    # the coefficient |S|!(n-|S|-1)!/n! over all S not containing i sums to 1
    n = 5
    total = sum(
        factorial(s) * factorial(n - s - 1) / factorial(n) * _choose(n - 1, s) for s in range(n)
    )
    assert total == pytest.approx(1.0)


def _choose(n: int, k: int) -> int:
    return factorial(n) // (factorial(k) * factorial(n - k))


def test_shapley_on_a_journey_with_one_key_matches_first_touch() -> None:
    journeys = [Journey("1", (Touch("a", day(0)), Touch("a", day(1))), 2, 8.0)]
    assert (
        shapley_attribution(journeys).credits
        == heuristic_attribution(journeys, "first_touch").credits
    )


def test_unknown_shapley_method() -> None:
    with pytest.raises(ValidationError, match="allowed: auto, exact, sampled"):
        shapley_attribution([], method="monte-carlo")


def test_a_conversion_with_no_touch_in_the_window_is_counted_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    late = Outcome("c2", 10.0, converted_at=day(400))  # c2's only touch is day 5
    with caplog.at_level("INFO", logger="leadloop.domain.attribution.journeys"):
        journeys = build_journeys(EVENTS, [*OUTCOMES, late], TouchRules())
    assert [j.subject for j in journeys] == ["c1"]
    (record,) = [r for r in caplog.records if r.msg == "attribution.journeys_built"]
    assert record.fields["conversions_without_touches"] == 1  # type: ignore[attr-defined]
