"""Shapley-value attribution over the channels (or programs, content) of converted journeys.

The game: players are the keys; ``v(S)`` is the conversions (or value) of the converted
journeys whose *set* of keys is a subset of ``S``. A key's credit is its Shapley value
``sum over S not containing i of |S|! (n-|S|-1)! / n! * (v(S + i) - v(S))``.
Exact by enumerating every coalition for up to :data:`EXACT_LIMIT` keys; beyond that,
estimated by seeded permutation sampling with a standard error per key. docs/metrics.md
("Shapley value") explains the choice and its closed form.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from typing import Final

from leadloop.domain.attribution.journeys import Attribution, Credit, Journey
from leadloop.errors import ValidationError

EXACT_LIMIT: Final = 15
"""Above this many keys the 2**n coalitions are sampled instead of enumerated."""
DEFAULT_SAMPLES: Final = 2_000


def shapley_attribution(
    journeys: Iterable[Journey],
    *,
    method: str = "auto",
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Attribution:
    """Shapley credits per key; ``method`` is ``auto``, ``exact`` or ``sampled``.

    With ``sampled`` (and ``auto`` past 15 keys) ``detail`` holds ``se_conversions:KEY`` and
    ``se_value:KEY``, the standard errors of the estimates.
    """
    journeys = list(journeys)
    keys, masks = _coalitions(journeys)
    idle = {t.key for j in journeys for t in j.touches} - set(keys)
    detail: dict[str, float] = {}
    exact = _use_exact(method, len(keys))
    if exact:
        conv = _exact(len(keys), {m: c for m, (c, _) in masks.items()})
        val = _exact(len(keys), {m: v for m, (_, v) in masks.items()})
        credits = {k: Credit(conv[i], val[i]) for i, k in enumerate(keys)}
    else:
        credits, detail = _sampled(keys, masks, samples, seed)
    credits.update((k, Credit()) for k in idle)
    return Attribution("shapley", dict(sorted(credits.items())), detail)


def _use_exact(method: str, n: int) -> bool:
    if method not in ("auto", "exact", "sampled"):
        raise ValidationError(
            f"unknown Shapley method {method!r}; allowed: auto, exact, sampled", method=method
        )
    exact = method == "exact" or (method == "auto" and n <= EXACT_LIMIT)
    if exact and n > EXACT_LIMIT + 5:
        raise ValidationError(
            f"exact Shapley over {n} keys needs 2**{n} coalitions; "
            f"use method='sampled' above {EXACT_LIMIT + 5}",
            keys=n,
        )
    return exact


def _coalitions(journeys: Iterable[Journey]) -> tuple[list[str], dict[int, tuple[float, float]]]:
    """Keys sorted, and conversions/value per distinct key set (as a bit mask)."""
    converted = [j for j in journeys if j.converted and j.touches]
    keys = sorted({t.key for j in converted for t in j.touches})
    bit = {k: 1 << i for i, k in enumerate(keys)}
    masks: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for j in converted:
        mask = 0
        for t in j.touches:
            mask |= bit[t.key]
        masks[mask][0] += j.conversions
        masks[mask][1] += j.value
    return keys, {m: (cv[0], cv[1]) for m, cv in masks.items()}


def _exact(n: int, weight: dict[int, float]) -> list[float]:
    """Enumerate coalitions: ``v`` by a subset-sum (zeta) transform, then Shapley sums."""
    size = 1 << n
    v = [0.0] * size
    for mask, w in weight.items():
        v[mask] += w
    for i in range(n):
        b = 1 << i
        for s in range(size):
            if s & b:
                v[s] += v[s ^ b]
    coef = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    popcount = [bin(s).count("1") for s in range(size)]
    phi = [0.0] * n
    for i in range(n):
        b = 1 << i
        phi[i] = sum(coef[popcount[s]] * (v[s | b] - v[s]) for s in range(size) if not s & b)
    return phi


def _sampled(
    keys: list[str], masks: dict[int, tuple[float, float]], samples: int, seed: int
) -> tuple[dict[str, Credit], dict[str, float]]:
    """Permutation sampling: a key set's worth goes to its member that comes last in the order.

    That is the marginal contribution ``v(P + i) - v(P)`` summed over the keys of one
    permutation, computed in one pass over the distinct key sets.
    """
    if samples < 2:
        raise ValidationError(f"sampled Shapley needs at least 2 samples; got {samples}")
    n = len(keys)
    members = {m: [i for i in range(n) if m >> i & 1] for m in masks}
    rng = random.Random(seed)
    sums = [[0.0] * n for _ in range(4)]  # conv, value, conv**2, value**2
    order = list(range(n))
    for _ in range(samples):
        rng.shuffle(order)
        position = {p: rank for rank, p in enumerate(order)}
        marg_c, marg_v = [0.0] * n, [0.0] * n
        for m, (c, v) in masks.items():
            last = max(members[m], key=position.__getitem__)
            marg_c[last] += c
            marg_v[last] += v
        for i in range(n):
            sums[0][i] += marg_c[i]
            sums[1][i] += marg_v[i]
            sums[2][i] += marg_c[i] ** 2
            sums[3][i] += marg_v[i] ** 2
    return _estimate(keys, sums, samples)


def _estimate(
    keys: list[str], sums: list[list[float]], samples: int
) -> tuple[dict[str, Credit], dict[str, float]]:
    def se(total: float, squares: float) -> float:
        mean = total / samples
        var = max(squares / samples - mean * mean, 0.0) * samples / (samples - 1)
        return math.sqrt(var / samples)

    credits, detail = {}, {}
    for i, k in enumerate(keys):
        credits[k] = Credit(sums[0][i] / samples, sums[1][i] / samples)
        detail[f"se_conversions:{k}"] = se(sums[0][i], sums[2][i])
        detail[f"se_value:{k}"] = se(sums[1][i], sums[3][i])
    return credits, detail
