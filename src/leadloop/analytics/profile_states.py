"""Per (identity, asset) consumption states, set-based over the whole event history.

The same monoid as :class:`leadloop.domain.consumption.AssetState` written as one Ibis
group-by: min/max times and ids, counts, max depth, summed active time and visits, and the
union of sections (distinct, then collected). It runs unchanged on DuckDB and PySpark.

Inputs are two Parquet files of observations (one row per event about an asset, one row
per section an event reached), written by :mod:`leadloop.services.profile_rebuild`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

OBSERVATIONS = pa.schema(
    [
        ("identity_id", pa.int64()),
        ("asset_id", pa.string()),
        ("event_id", pa.int64()),
        ("at_ms", pa.int64()),
        ("depth", pa.float64()),
        ("active_ms", pa.int64()),
        ("sections_total", pa.int64()),
        ("visits", pa.int64()),
        ("downloads", pa.int64()),
    ]
)
SECTIONS = pa.schema(
    [("identity_id", pa.int64()), ("asset_id", pa.string()), ("section", pa.string())]
)
KEYS = ["identity_id", "asset_id"]


def states_expr(obs: ibis.Table, sections: ibis.Table) -> ibis.Table:
    """The Ibis expression: one row per (identity, asset) with every state field."""
    folded = obs.group_by(KEYS).aggregate(
        first_at_ms=_.at_ms.min(),
        last_at_ms=_.at_ms.max(),
        first_event_id=_.event_id.min(),
        last_event_id=_.event_id.max(),
        events=_.count(),
        depth=_.depth.max(),
        active_ms=_.active_ms.sum(),
        sections_total=_.sections_total.max(),
        visits=_.visits.sum(),
        downloads=_.downloads.sum(),
    )
    reached = (
        sections.select(*KEYS, "section")
        .distinct()
        .group_by(KEYS)
        .aggregate(sections=_.section.collect())
    )
    joined = folded.left_join(reached, KEYS)
    return joined.select(*(folded[c] for c in folded.columns), reached.sections)


def compute_states(con: Any, observations: Path, sections: Path) -> pa.Table:
    """Run the fold on ``con`` (an Ibis DuckDB or PySpark connection) over the Parquet files."""
    with warnings.catch_warnings():
        # ibis 12 calls duckdb 2's deprecated fetch_arrow_table() and passes PySpark results
        # through pandas 3 with deprecated options: deprecations in our dependencies only.
        warnings.simplefilter("ignore", DeprecationWarning)
        obs = con.read_parquet(str(observations))
        sec = con.read_parquet(str(sections))
        result: pa.Table = states_expr(obs, sec).to_pyarrow()
    return result
