"""Exact Markov-chain attribution: path counting in numpy, absorption by sparse linear algebra.

Implements :class:`leadloop.domain.attribution.markov.MarkovAttributor` for the definition
written there and in docs/metrics.md. Paths arrive as :class:`PathArrays` (every path's
key codes concatenated, with offsets), the shape a warehouse query or Parquet column
returns; :func:`path_arrays` builds them from plain :class:`PathCount` records. Transitions
are counted for all paths at once (no Python loop over journeys), then
``(I - Q) x = r`` is solved once for the full chain and once per removed key, on the
transient states only (a few thousand at order 3 with a dozen channels).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from leadloop.domain.attribution.journeys import Attribution
from leadloop.domain.attribution.markov import PathCount, check_order, credits_from_effects
from leadloop.errors import ValidationError

logger = logging.getLogger(__name__)

_PAIR_TABLE_LIMIT = 1 << 24
"""Sum transition pairs with a dense bincount below this many (from, to) cells."""


@dataclass(frozen=True)
class PathArrays:
    """Paths as arrays: path ``i`` is ``codes[offsets[i]:offsets[i+1]]`` (indices into names).

    ``conversions``, ``value`` and ``nulls`` are per path; one journey per row is fine
    (no need to aggregate distinct paths first: the counts are the same).
    """

    names: tuple[str, ...]
    codes: NDArray[np.int64]
    offsets: NDArray[np.int64]
    conversions: NDArray[np.int64]
    value: NDArray[np.float64]
    nulls: NDArray[np.int64]

    def __post_init__(self) -> None:
        lengths = np.diff(self.offsets)
        if len(self.offsets) == 0 or self.offsets[0] != 0 or self.offsets[-1] != len(self.codes):
            raise ValidationError("path offsets must start at 0 and end at len(codes)")
        if lengths.size and lengths.min() < 1:
            bad = int(np.argmin(lengths))
            raise ValidationError(f"path {bad} has no touches; every path needs one", path=bad)
        if self.codes.size and (self.codes.min() < 0 or self.codes.max() >= len(self.names)):
            raise ValidationError(f"key codes must be in 0..{len(self.names) - 1}")
        for label, arr in (("conversions", self.conversions), ("nulls", self.nulls)):
            if arr.shape != lengths.shape or (arr.size and arr.min() < 0):
                raise ValidationError(f"{label} must be one count >= 0 per path")
        if self.value.shape != lengths.shape or (self.value.size and self.value.min() < 0):
            raise ValidationError("value must be one amount >= 0 per path")


def path_arrays(paths: Sequence[PathCount]) -> PathArrays:
    """Encode plain path records (keys sorted by name) as :class:`PathArrays`."""
    names = tuple(sorted({k for p in paths for k in p.keys}))
    index = {k: i for i, k in enumerate(names)}
    lengths = np.fromiter((len(p.keys) for p in paths), np.int64, len(paths))
    offsets = np.zeros(len(paths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.fromiter((index[k] for p in paths for k in p.keys), np.int64, int(offsets[-1]))
    return PathArrays(
        names,
        codes,
        offsets,
        np.fromiter((p.conversions for p in paths), np.int64, len(paths)),
        np.fromiter((p.value for p in paths), np.float64, len(paths)),
        np.fromiter((p.nulls for p in paths), np.int64, len(paths)),
    )


@dataclass(frozen=True)
class _Chain:
    """Transient states (codes; index 0 is ``(start)``), counts, absorbing weights."""

    state_codes: NDArray[np.int64]
    transitions: sp.csr_matrix
    conversion: NDArray[np.float64]
    value: NDArray[np.float64]
    null: NDArray[np.float64]


def markov_attribution(paths: Sequence[PathCount] | PathArrays, order: int = 1) -> Attribution:
    """Exact Markov removal-effect credits (conversions and value) at ``order`` 1, 2 or 3.

    ``detail`` holds ``conversion_probability``, ``states`` and, per key,
    ``removal_effect:KEY`` and ``value_removal_effect:KEY``.
    """
    check_order(order)
    arrays = paths if isinstance(paths, PathArrays) else path_arrays(paths)
    base = len(arrays.names) + 1
    if base**order >= 2**62:
        raise ValidationError(f"{len(arrays.names)} keys at order {order} overflow state codes")
    chain = _count(arrays, order, base)
    effects, value_effects, p_conv = _removal_effects(chain, arrays.names, order, base)
    credits = credits_from_effects(
        effects, value_effects, float(arrays.conversions.sum()), float(arrays.value.sum())
    )
    detail = {"conversion_probability": p_conv, "states": float(len(chain.state_codes))}
    for key in arrays.names:
        detail[f"removal_effect:{key}"] = effects[key]
        detail[f"value_removal_effect:{key}"] = value_effects[key]
    logger.info(
        "attribution.markov",
        extra={
            "fields": {
                "order": order,
                "paths": len(arrays.offsets) - 1,
                "states": len(chain.state_codes),
            }
        },
    )
    return Attribution(f"markov_{order}", credits, detail)


def _window_codes(arrays: PathArrays, order: int, base: int) -> tuple[NDArray[np.int64], ...]:
    """Each path's state codes (windows of ``order`` keys, base-``base`` digits) in order.

    Returns the codes and how many states each path has.
    """
    lengths = np.diff(arrays.offsets)
    n = len(arrays.codes)
    pos = np.arange(n, dtype=np.int64) - np.repeat(arrays.offsets[:-1], lengths)
    width = np.repeat(np.minimum(lengths, order), lengths)
    code = arrays.codes + 1
    for d in range(1, order):
        shifted = np.zeros(n, np.int64)
        shifted[d:] = arrays.codes[:-d] + 1
        code = code + np.where(d < width, shifted, 0) * base**d
    emit = pos >= width - 1
    return code[emit], lengths - np.minimum(lengths, order) + 1


def _count(arrays: PathArrays, order: int, base: int) -> _Chain:
    """Count every transition of every path, each path weighted by its journeys."""
    states, per_path = _window_codes(arrays, order, base)
    present, idx = _compact(states, base**order)
    ends = np.cumsum(per_path)
    starts = ends - per_path
    prev = np.empty_like(idx)
    prev[1:] = idx[:-1]
    prev[starts] = 0
    weight = np.repeat(arrays.conversions + arrays.nulls, per_path).astype(np.float64)
    m = len(present)
    transitions = _sum_pairs(prev, idx, weight, m)
    last = idx[ends - 1]
    return _Chain(
        present,
        transitions,
        _per_state(last, arrays.conversions, m),
        _per_state(last, arrays.value, m),
        _per_state(last, arrays.nulls, m),
    )


def _compact(states: NDArray[np.int64], space: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The distinct codes (``(start)`` = 0 first) and each state's index among them."""
    if space <= _PAIR_TABLE_LIMIT:  # a lookup table beats sorting
        seen = np.zeros(space, bool)
        seen[0] = True
        seen[states] = True
        present = np.flatnonzero(seen).astype(np.int64)
        table = np.cumsum(seen, dtype=np.int64) - 1
        return present, table[states]
    present = np.unique(np.concatenate(([0], states)))
    return present, np.searchsorted(present, states).astype(np.int64)


def _per_state(
    last: NDArray[np.int64], weight: NDArray[np.int64] | NDArray[np.float64], m: int
) -> NDArray[np.float64]:
    return np.asarray(np.bincount(last, weight.astype(np.float64), minlength=m), np.float64)


def _sum_pairs(
    rows: NDArray[np.int64], cols: NDArray[np.int64], weight: NDArray[np.float64], m: int
) -> sp.csr_matrix:
    if m * m <= _PAIR_TABLE_LIMIT:
        dense = np.bincount(rows * m + cols, weight, minlength=m * m)
        nz = np.flatnonzero(dense)
        return sp.csr_matrix((dense[nz], (nz // m, nz % m)), shape=(m, m))
    return sp.coo_matrix((weight, (rows, cols)), shape=(m, m)).tocsr()


def _removal_effects(
    chain: _Chain, names: tuple[str, ...], order: int, base: int
) -> tuple[dict[str, float], dict[str, float], float]:
    """Absorption probabilities of the full chain and of the chain without each key."""
    out = np.asarray(chain.transitions.sum(axis=1)).ravel() + chain.conversion + chain.null
    scale = sp.diags(1.0 / out)
    system = (sp.identity(len(out), format="csr") - scale @ chain.transitions).tocsc()
    rewards = np.column_stack((chain.conversion / out, chain.value / out))
    full = _solve(system, rewards)
    digits = _digits(chain.state_codes, order, base)
    effects = dict.fromkeys(names, 0.0)
    value_effects = dict.fromkeys(names, 0.0)
    for code in np.unique(digits[digits > 0]) - 1:
        key = names[code]
        keep = np.flatnonzero(~(digits == code + 1).any(axis=1))
        part = _solve(system[keep][:, keep], rewards[keep])
        effects[key] = _effect(part[0], full[0])
        value_effects[key] = _effect(part[1], full[1])
    return effects, value_effects, float(full[0])


def _solve(system: sp.csc_matrix, rewards: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row 0 (the start state) of ``system^-1 @ rewards``: P(conv) and expected value."""
    solution = spla.splu(system.tocsc()).solve(rewards)
    return np.asarray(solution[0], dtype=np.float64)


def _digits(codes: NDArray[np.int64], order: int, base: int) -> NDArray[np.int64]:
    return np.stack([(codes // base**d) % base for d in range(order)], axis=1)


def _effect(without: float, full: float) -> float:
    return float(1.0 - without / full) if full > 0 else 0.0
