"""Exact Markov attribution: a hand-worked chain, and an independent dense solve to 1e-9."""

from __future__ import annotations

import random
from itertools import pairwise

import numpy as np
import pytest

from leadloop.analytics.attribution import PathArrays, markov_attribution, path_arrays
from leadloop.domain.attribution import PathCount
from leadloop.domain.attribution.markov import path_states
from leadloop.errors import ValidationError


def test_hand_worked_first_order_chain() -> None:
    # Paths: a>b converts once (value 90), a does not convert, b converts once (value 30).
    # start->a 2/3, start->b 1/3; a->b 1/2, a->null 1/2; b->conversion 1.
    # P(conv) = 2/3 * 1/2 + 1/3 = 2/3 (two of three journeys converted).
    # Without a: start->a goes to null: P = 1/3 -> removal effect 1 - (1/3)/(2/3) = 1/2.
    # Without b: P = 0 -> removal effect 1.  Normalised: a 1/3, b 2/3 of 2 conversions.
    # Value: every conversion leaves from b, worth (90 + 30) / 2 = 60 on average, so the
    # value effects equal the conversion effects: a 1/3, b 2/3 of 120.
    paths = [
        PathCount(("a", "b"), 1, 90.0, 0),
        PathCount(("a",), 0, 0.0, 1),
        PathCount(("b",), 1, 30.0, 0),
    ]
    result = markov_attribution(paths, order=1)
    assert result.detail["conversion_probability"] == pytest.approx(2 / 3)
    assert result.detail["removal_effect:a"] == pytest.approx(0.5)
    assert result.detail["removal_effect:b"] == pytest.approx(1.0)
    assert result.credits["a"].conversions == pytest.approx(2 / 3)
    assert result.credits["b"].conversions == pytest.approx(4 / 3)
    assert result.credits["a"].value == pytest.approx(40.0)
    assert result.credits["b"].value == pytest.approx(80.0)


def test_second_order_states_are_windows() -> None:
    # order 2: a>b>c visits (a,b) then (b,c); c alone is the state (c,).
    assert path_states(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]
    # Paths a>b>c (converts), c (null). States: (a,b), (b,c), (c,): 3 + start = 4.
    # Removing a kills (a,b): the only converting route -> a, b and c all have effect 1.
    result = markov_attribution(
        [PathCount(("a", "b", "c"), 1, 5.0, 0), PathCount(("c",), 0, 0.0, 1)], order=2
    )
    assert result.detail["states"] == 4
    assert {k: c.conversions for k, c in result.credits.items()} == pytest.approx(
        {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    )


def independent_markov(paths: list[PathCount], order: int) -> dict[str, tuple[float, float]]:
    """Removal effects by a dense absorbing-chain solve, written apart from the adapter.

    States are Python tuples; removal *redirects* every transition into a state containing
    the key to the null column (the adapter deletes those states instead).
    """
    index: dict[tuple[str, ...], int] = {("<start>",): 0}
    seqs = []
    for p in paths:
        keys = list(p.keys)
        if len(keys) <= order:
            states = [tuple(keys)]
        else:
            states = [tuple(keys[i : i + order]) for i in range(len(keys) - order + 1)]
        for s in states:
            index.setdefault(s, len(index))
        seqs.append([0] + [index[s] for s in states])
    t = len(index)
    conv, null = t, t + 1
    counts = np.zeros((t + 2, t + 2))
    value_at = np.zeros(t)
    for p, seq in zip(paths, seqs, strict=True):
        for a, b in pairwise(seq):
            counts[a, b] += p.conversions + p.nulls
        counts[seq[-1], conv] += p.conversions
        counts[seq[-1], null] += p.nulls
        value_at[seq[-1]] += p.value
    probs = counts[:t] / counts[:t].sum(axis=1, keepdims=True)
    mean_value = np.divide(value_at, counts[:t, conv], out=np.zeros(t), where=counts[:t, conv] > 0)

    def absorb(p: np.ndarray) -> tuple[float, float]:
        rewards = np.column_stack((p[:, conv], p[:, conv] * mean_value))
        solved = np.linalg.solve(np.eye(t) - p[:, :t], rewards)
        return solved[0, 0], solved[0, 1]

    full_c, full_v = absorb(probs)
    out = {}
    for key in sorted({k for p in paths for k in p.keys}):
        p2 = probs.copy()
        for state, j in index.items():
            if key in state:
                p2[:, null] += p2[:, j]
                p2[:, j] = 0.0
        c, v = absorb(p2)
        out[key] = (1 - c / full_c, 1 - v / full_v)
    return out


def random_paths(n: int, n_keys: int, seed: int) -> list[PathCount]:
    rng = random.Random(seed)
    keys = [chr(ord("a") + i) for i in range(n_keys)]
    rows: dict[tuple[str, ...], list[float]] = {}
    for _ in range(n):
        path = tuple(rng.choice(keys) for _ in range(rng.randint(1, 6)))
        row = rows.setdefault(path, [0, 0.0, 0])
        if rng.random() < 0.2 + 0.1 * ("c" in path):
            row[0] += 1
            row[1] += rng.randint(1, 500)
        else:
            row[2] += 1
    return [PathCount(k, int(r[0]), r[1], int(r[2])) for k, r in rows.items()]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_removal_effects_equal_an_independent_dense_solve(order: int) -> None:
    paths = random_paths(3_000, 6, seed=order)
    result = markov_attribution(paths, order=order)
    expected = independent_markov(paths, order)
    for key, (effect, value_effect) in expected.items():
        assert result.detail[f"removal_effect:{key}"] == pytest.approx(effect, abs=1e-9)
        assert result.detail[f"value_removal_effect:{key}"] == pytest.approx(value_effect, abs=1e-9)
    total = sum(e for e, _ in expected.values())
    conversions = sum(p.conversions for p in paths)
    for key, (effect, _) in expected.items():
        assert result.credits[key].conversions == pytest.approx(
            effect / total * conversions, abs=1e-9
        )


def test_conversion_probability_is_the_observed_conversion_rate() -> None:
    # The fitted chain reproduces the observed flow: P(conv from start) = conversions/journeys.
    paths = random_paths(2_000, 5, seed=9)
    journeys = sum(p.conversions + p.nulls for p in paths)
    for order in (1, 2, 3):
        p = markov_attribution(paths, order).detail["conversion_probability"]
        assert p == pytest.approx(sum(x.conversions for x in paths) / journeys, abs=1e-12)


def test_one_row_per_journey_equals_aggregated_paths() -> None:
    paths = random_paths(500, 4, seed=2)
    expanded = [
        PathCount(p.keys, 1, p.value if i == 0 else 0.0, 0)
        for p in paths
        for i in range(p.conversions)
    ] + [PathCount(p.keys, 0, 0.0, 1) for p in paths for _ in range(p.nulls)]
    for order in (1, 3):
        a = markov_attribution(paths, order)
        b = markov_attribution(expanded, order)
        for key in a.credits:
            assert b.credits[key].conversions == pytest.approx(a.credits[key].conversions)
            assert b.credits[key].value == pytest.approx(a.credits[key].value)


def test_bad_input_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValidationError, match="allowed: 1, 2, 3"):
        markov_attribution([PathCount(("a",), 1, 1.0, 0)], order=4)
    arrays = path_arrays([PathCount(("a",), 1, 1.0, 0)])
    with pytest.raises(ValidationError, match="path 0 has no touches"):
        PathArrays(
            arrays.names,
            arrays.codes[:0],
            np.array([0, 0]),
            arrays.conversions,
            arrays.value,
            arrays.nulls,
        )
    with pytest.raises(ValidationError, match="nulls must be one count >= 0"):
        PathArrays(
            arrays.names,
            arrays.codes,
            arrays.offsets,
            arrays.conversions,
            arrays.value,
            np.array([-1]),
        )


def test_no_conversions_gives_no_credit() -> None:
    result = markov_attribution([PathCount(("a", "b"), 0, 0.0, 3)], order=1)
    assert result.total_conversions == 0.0
    assert result.detail["conversion_probability"] == 0.0


def test_wide_key_spaces_take_the_sorting_path_and_agree() -> None:
    # 5,000 possible keys at order 2: 5,001**2 codes, past the lookup-table limit
    rng = random.Random(4)
    paths = [
        PathCount(
            tuple(f"k{rng.randrange(5_000)}" for _ in range(rng.randint(1, 4))),
            rng.randint(0, 1),
            float(rng.randint(0, 9)),
            rng.randint(0, 2),
        )
        for _ in range(60)
    ]
    paths = [p for p in paths if p.conversions + p.nulls] + [PathCount(("k1",), 1, 1.0, 0)]
    names = {k for p in paths for k in p.keys}
    arrays = path_arrays(paths)
    wide = PathArrays(
        (*arrays.names, *(f"unused{i}" for i in range(5_001 - len(names)))),
        arrays.codes,
        arrays.offsets,
        arrays.conversions,
        arrays.value,
        arrays.nulls,
    )
    result = markov_attribution(wide, order=2)
    for key, (effect, _) in independent_markov(paths, 2).items():
        assert result.detail[f"removal_effect:{key}"] == pytest.approx(effect, abs=1e-9)
