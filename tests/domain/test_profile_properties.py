"""Invariants: the profile is a pure function of the multiset of events and the as-of time.

Applying events one at a time in any arrival order, all at once, or per identity and then
merging, gives the same states and the same profile, exactly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.domain.consumption import AssetState, Observation, fold
from leadloop.domain.profile import ProfileConfig, build_profile, merge_states, person_items
from leadloop.domain.profile_config import WEIGHT_SCALE, quantized
from profile_helpers import CONTENT, T0, events, observations


def one_at_a_time(obs: list[Observation]) -> dict[tuple[int, str], AssetState]:
    state: dict[tuple[int, str], AssetState] = {}
    for o in obs:
        key = (o.identity_id, o.asset_id)
        state[key] = state[key].combine(o.state) if key in state else o.state
    return state


def person(state: dict[tuple[int, str], AssetState]) -> dict[str, AssetState]:
    parts: dict[int, dict[str, AssetState]] = {}
    for (who, asset), s in state.items():
        parts.setdefault(who, {})[asset] = s
    return merge_states(parts[k] for k in sorted(parts))


@settings(max_examples=200, deadline=None)
@given(events, st.randoms(use_true_random=False), st.floats(0, 200))
def test_any_arrival_order_gives_the_same_states_and_profile(
    sequence: list[Any], rng: Any, as_of_days: float
) -> None:
    obs = observations(sequence)
    shuffled = list(obs)
    rng.shuffle(shuffled)
    at_once = fold(obs)
    assert one_at_a_time(shuffled) == at_once
    cut = rng.randint(0, len(obs))
    halves = [fold(obs[:cut]), fold(obs[cut:])]
    combined = {
        k: halves[0][k].combine(halves[1][k]) if k in halves[0] and k in halves[1]
        else halves[0].get(k) or halves[1][k]
        for k in set(halves[0]) | set(halves[1])
    }  # fmt: skip
    assert combined == at_once
    as_of = T0 + timedelta(days=as_of_days)
    cfg = ProfileConfig()
    a = build_profile(person_items(person(at_once)), CONTENT, as_of, cfg)
    b = build_profile(person_items(person(one_at_a_time(shuffled))), CONTENT, as_of, cfg)
    assert a == b


@settings(max_examples=150, deadline=None)
@given(events, st.floats(0, 100), st.floats(1, 3_650))
def test_weights_only_fall_as_time_passes_and_the_shares_never_change(
    sequence: list[Any], as_of_days: float, later: float
) -> None:
    """Up to ten years later: totals fall, levels never warm up, and the stage, interest
    order, persona and segment are exactly the same (weights are rounded relative to the
    latest engagement, not to the as-of time, so an old lead keeps its profile)."""
    items = person_items(person(fold(observations(sequence))))
    cfg = ProfileConfig()
    now = build_profile(items, CONTENT, T0 + timedelta(days=90 + as_of_days), cfg)
    then = build_profile(items, CONTENT, T0 + timedelta(days=90 + as_of_days + later), cfg)
    assert then.total_weight <= now.total_weight
    levels = ("cold", "warm", "hot")
    assert levels.index(then.engagement_level) <= levels.index(now.engagement_level)
    assert then.buying_stage == now.buying_stage
    assert [t for t, _ in then.interests] == [t for t, _ in now.interests]
    assert (then.persona, then.segment) == (now.persona, now.segment)
    assert [e.asset_id for e in then.evidence] == [e.asset_id for e in now.evidence]
    if now.evidence:
        assert then.buying_stage is not None or now.buying_stage is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0, 1_000, allow_nan=False), min_size=1, max_size=60),
    st.randoms(use_true_random=False),
)
def test_quantized_weights_sum_to_the_same_bits_in_any_order(
    weights: list[float], rng: Any
) -> None:
    """Why the SQL may use a plain parallel ``sum``: no order of addition changes a bit."""
    terms = [quantized(w) for w in weights]
    assert all(abs(t - w) <= 0.5 / WEIGHT_SCALE for t, w in zip(terms, weights, strict=True))
    shuffled = terms[:]
    rng.shuffle(shuffled)
    halves = sum(shuffled[: len(shuffled) // 2]) + sum(shuffled[len(shuffled) // 2 :])
    assert sum(terms) == sum(shuffled) == halves == sum(sorted(terms, reverse=True))
