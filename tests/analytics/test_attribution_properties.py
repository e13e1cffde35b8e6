"""Properties every attribution model keeps, over generated journeys (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.analytics.attribution import MODELS, markov_attribution, run_model
from leadloop.domain.attribution import (
    HEURISTIC_MODELS,
    Attribution,
    Journey,
    Touch,
    aggregate_paths,
    heuristic_attribution,
    shapley_attribution,
)
from leadloop.domain.attribution.journeys import ROLES
from leadloop.errors import ValidationError

T0 = datetime(2026, 1, 1)
KEYS = st.sampled_from(["search", "email", "social", "events", "direct"])


@st.composite
def journeys(draw: st.DrawFn, keys: st.SearchStrategy[str] = KEYS) -> list[Journey]:
    out = []
    for i in range(draw(st.integers(1, 25))):
        n = draw(st.integers(1, 6))
        gaps = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n))
        touches, at = [], T0
        for gap in gaps:
            at += timedelta(minutes=gap)
            roles = draw(st.frozensets(st.sampled_from(ROLES), max_size=2))
            touches.append(Touch(draw(keys), at, roles))
        converted = draw(st.integers(0, 2))
        value = draw(st.floats(0, 1e6)) if converted else 0.0
        out.append(Journey(str(i), tuple(touches), converted, value))
    return out


def every_model(js: list[Journey]) -> list[Attribution]:
    models = [heuristic_attribution(js, name) for name in HEURISTIC_MODELS]
    models.append(shapley_attribution(js))
    paths = aggregate_paths(js)
    models.extend(markov_attribution(paths, order) for order in (1, 2, 3))
    return models


def credit_map(a: Attribution) -> dict[str, tuple[float, float]]:
    return {k: (c.conversions, c.value) for k, c in a.credits.items()}


@settings(max_examples=60, deadline=None)
@given(journeys())
def test_every_model_hands_out_exactly_the_converted_total_and_value(js: list[Journey]) -> None:
    conversions = sum(j.conversions for j in js)
    value = sum(j.value for j in js)
    for model in every_model(js):
        assert model.total_conversions == pytest.approx(conversions, abs=1e-6), model.model
        assert model.total_value == pytest.approx(value, rel=1e-9, abs=1e-6), model.model
        assert all(c.conversions >= -1e-12 and c.value >= -1e-9 for c in model.credits.values())


@settings(max_examples=40, deadline=None)
@given(journeys(), st.randoms(use_true_random=False))
def test_permuting_journeys_changes_nothing(js: list[Journey], rnd: object) -> None:
    shuffled = list(js)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    for a, b in zip(every_model(js), every_model(shuffled), strict=True):
        assert a.model == b.model
        for key, (conv, val) in credit_map(a).items():
            assert b.credits[key].conversions == pytest.approx(conv, abs=1e-9)
            assert b.credits[key].value == pytest.approx(val, rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(journeys(keys=st.just("search")))
def test_markov_with_one_channel_gives_it_everything(js: list[Journey]) -> None:
    conversions = sum(j.conversions for j in js)
    for order in (1, 2, 3):
        result = markov_attribution(aggregate_paths(js), order)
        assert set(result.credits) == {"search"}
        assert result.credits["search"].conversions == pytest.approx(conversions)
        if conversions:
            assert result.detail["removal_effect:search"] == pytest.approx(1.0)


def test_every_model_runs_by_name_on_a_hand_world() -> None:
    # One converted journey search > email for 10, one that did not convert: email.
    # Every model splits the 1 conversion and its 10 between search and email.
    js = [
        Journey("a", (Touch("search", T0), Touch("email", T0 + timedelta(days=1))), 1, 10.0),
        Journey("b", (Touch("email", T0),)),
    ]
    for name in MODELS:
        result = run_model(js, name)
        assert result.model == name
        assert set(result.credits) == {"email", "search"}
        assert result.total_conversions == pytest.approx(1.0)
        assert result.total_value == pytest.approx(10.0)
    # Markov order 1: start -> search 1/2, start -> email 1/2, search -> email, email ->
    # conversion 1/2 | null 1/2. P = 1/2. Without search: 1/4 (effect 1/2); without
    # email: 0 (effect 1). Normalised: search 1/3, email 2/3.
    assert run_model(js, "markov_1").credits["search"].conversions == pytest.approx(1 / 3)
    with pytest.raises(ValidationError, match="allowed: first_touch"):
        run_model(js, "markov_4")
