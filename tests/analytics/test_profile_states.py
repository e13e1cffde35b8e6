"""The set-based fold (Ibis on DuckDB) equals the domain fold for any event sequence."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from leadloop.analytics.backends import close, connect
from leadloop.analytics.profile_states import compute_states
from leadloop.domain.consumption import fold
from leadloop.services.profile_rebuild import _state_rows, _tables
from leadloop.store.profile_state import state_from_row
from profile_helpers import events, observations


@pytest.fixture(scope="module")
def duckdb() -> Iterator[Any]:
    con = connect("duckdb")
    yield con
    close(con)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events)
def test_ibis_fold_on_duckdb_equals_the_domain_fold(duckdb: Any, sequence: list[Any]) -> None:
    obs = observations(sequence)
    table, sections = _tables(obs)
    with tempfile.TemporaryDirectory() as tmp:
        paths = (Path(tmp) / "o.parquet", Path(tmp) / "s.parquet")
        pq.write_table(table, paths[0])
        pq.write_table(sections, paths[1])
        result = compute_states(duckdb, *paths)

    class Row:
        def __init__(self, d: dict[str, Any]) -> None:
            self.__dict__.update(d)

    batch = {(r["identity_id"], r["asset_id"]): state_from_row(Row(r)) for r in _state_rows(result)}
    assert batch == fold(obs)
