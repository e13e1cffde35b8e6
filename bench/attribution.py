"""Markov attribution benchmark: Leadloop's exact solver beside channelattribution.

    .venv/bin/python bench/attribution.py [--sizes 10000 100000 1000000] [--orders 1 2 3]
        [--seed 7]

Seeded synthetic journeys over ten B2B channels (search, social, e-mail, webinars, events,
...; paths of 1-15 touches, channel persistence, conversion driven by the channels seen).
Both tools run in this process on the same data: Leadloop on one row per journey
(`PathArrays`, no aggregation), channelattribution 2.2 with its defaults (10 folds,
convergence 5%, `max_step` = longest path) on the distinct paths it needs as a DataFrame
(building that frame is not timed). Peak memory is the rise of the process's peak RSS
(VmHWM, reset through /proc/self/clear_refs before each run), so C++ allocations count.
Prints a table, per-channel credit differences, and JSON lines for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from leadloop.analytics.attribution import PathArrays, markov_attribution

with contextlib.redirect_stdout(io.StringIO()):
    from ChannelAttribution import markov_model

CHANNELS = (
    "organic search", "paid search", "social", "email", "display",
    "referral", "direct", "webinar", "events", "content syndication",
)  # fmt: skip
MIX = np.array([0.20, 0.16, 0.14, 0.14, 0.08, 0.05, 0.09, 0.06, 0.03, 0.05])
LIFT = np.array([0.1, 0.2, 0.0, 0.3, -0.1, 0.3, 0.4, 0.8, 1.0, 0.2])
"""Log-odds added to conversion by each channel a journey touched."""


def journeys(n: int, seed: int) -> PathArrays:
    """``n`` seeded journeys as arrays (vectorised: 1M in about a second)."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(0.3, n), 15).astype(np.int64)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    codes = rng.choice(len(CHANNELS), total, p=MIX / MIX.sum()).astype(np.int64)
    first = np.zeros(total, bool)
    first[offsets[:-1]] = True
    repeat = (rng.random(total) < 0.3) & ~first  # stay on the previous channel
    source = np.where(repeat, 0, np.arange(total))
    codes = codes[np.maximum.accumulate(source)]
    seen = np.zeros((n, len(CHANNELS)), bool)
    seen[np.repeat(np.arange(n), lengths), codes] = True
    logit = -3.2 + seen @ LIFT + 0.08 * np.minimum(lengths, 8)
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    value = np.where(converted, np.round(rng.lognormal(9.5, 1.0, n), 2), 0.0)
    conv = converted.astype(np.int64)
    return PathArrays(CHANNELS, codes, offsets, conv, value, 1 - conv)


def distinct_paths(arrays: PathArrays) -> pd.DataFrame:
    """The DataFrame channelattribution reads: one row per distinct path string."""
    names = np.array(CHANNELS, dtype=object)
    chunks = np.split(names[arrays.codes], arrays.offsets[1:-1])
    frame = pd.DataFrame(
        {
            "path": [" > ".join(c) for c in chunks],
            "conv": arrays.conversions,
            "value": arrays.value,
            "null": arrays.nulls,
        }
    )
    return frame.groupby("path", as_index=False, sort=False).sum()


def _vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, wall seconds, and peak RSS rise in MiB (VmHWM reset before the call)."""
    Path("/proc/self/clear_refs").write_text("5")
    base = _vm_kib("VmRSS")
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    return result, seconds, (_vm_kib("VmHWM") - base) / 1024


def channelattribution(frame: pd.DataFrame, order: int) -> dict[str, tuple[float, float]]:
    with contextlib.redirect_stdout(io.StringIO()):
        out = markov_model(
            frame, "path", "conv", var_value="value", var_null="null", order=order,
            verbose=False, flg_pro=False,
        )  # fmt: skip
    out = out.set_index("channel_name")
    return {
        str(c): (float(r["total_conversions"]), float(r["total_conversion_value"]))
        for c, r in out.iterrows()
    }


def bench_one(arrays: PathArrays, frame: pd.DataFrame, order: int) -> dict[str, Any]:
    ours, ours_s, ours_mib = measured(lambda: markov_attribution(arrays, order))
    theirs, ca_s, ca_mib = measured(lambda: channelattribution(frame, order))
    diff = {
        c: 100 * (theirs[c][0] - ours.credits[c].conversions) / ours.credits[c].conversions
        for c in CHANNELS
    }
    return {
        "journeys": len(arrays.offsets) - 1,
        "distinct_paths": len(frame),
        "order": order,
        "states": int(ours.detail["states"]),
        "leadloop_s": round(ours_s, 3),
        "channelattribution_s": round(ca_s, 3),
        "speedup": round(ca_s / ours_s, 1),
        "leadloop_peak_mib": round(ours_mib, 1),
        "channelattribution_peak_mib": round(ca_mib, 1),
        "max_abs_diff_pct": round(max(abs(d) for d in diff.values()), 2),
        "diff_pct": {c: round(d, 2) for c, d in diff.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = []
    heads = ("journeys", "paths", "k", "states", "leadloop s", "chanattr s", "speedup",
             "ll MiB", "ca MiB", "max |diff|")  # fmt: skip
    widths = (9, 7, 1, 6, 10, 10, 7, 7, 7, 10)
    print(" ".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True)))
    for size in args.sizes:
        arrays = journeys(size, args.seed)
        frame = distinct_paths(arrays)
        for order in args.orders:
            row = bench_one(arrays, frame, order)
            rows.append(row)
            print(f"{row['journeys']:>9,} {row['distinct_paths']:>7,} {order:>1} "
                  f"{row['states']:>6,} {row['leadloop_s']:>10.3f} "
                  f"{row['channelattribution_s']:>10.3f} {row['speedup']:>6.1f}x "
                  f"{row['leadloop_peak_mib']:>7.1f} {row['channelattribution_peak_mib']:>7.1f} "
                  f"{row['max_abs_diff_pct']:>9.2f}%")  # fmt: skip
    print("\nchannelattribution - leadloop, % of Leadloop's credit (conversions):")
    for row in rows:
        cells = " ".join(f"{c.split()[0][:6]}:{d:+.1f}" for c, d in row["diff_pct"].items())
        print(f"  {row['journeys']:>9,} k={row['order']}  {cells}")
    print()
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
