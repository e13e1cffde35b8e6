"""Full recompute equals the incremental updater, on both stores and on both engines."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sim_world import assert_same, load_world, simulate, snapshot
from sqlalchemy import select, update

from leadloop.bootstrap import Container
from leadloop.services.profile_rebuild import BATCH, _store_events, rebuild
from leadloop.store.tables import events, profile_cursors, profiles


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("world"), contacts=300, events=8000)


def _updated(container: Container, world: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    ws = load_world(container, world)
    report = container.profile_updater.catch_up(ws)
    assert report.events > 7000 and report.observations > 5000
    return ws, snapshot(container.engine, ws)


def test_rebuild_on_duckdb_equals_the_incremental_state(container: Container, world: Path) -> None:
    ws, incremental = _updated(container, world)
    assert len(incremental["profiles"]) > 100
    # Events stream in large batches (one Parquet row group each), not row by row.
    stream = _store_events(container.engine, ws, 10**12)
    first = next(stream)
    stream.close()
    assert len(first) > 1000 and len(first) <= BATCH
    stamp = select(profiles.c.updated_at).where(profiles.c.workspace_id == ws).limit(1)
    with container.engine.connect() as conn:
        before = conn.execute(stamp).scalar_one()
    report = rebuild(container.profile_updater, ws, engine_name="duckdb")
    assert report.states == len(incremental["profile_states"])
    with container.engine.connect() as conn:  # written as SQLAlchemy writes it: reads alike
        assert (conn.execute(stamp).scalar_one().tzinfo is None) == (before.tzinfo is None)
    assert_same(snapshot(container.engine, ws), incremental)
    # The cursor is where the updater left it: nothing is folded twice afterwards.
    assert container.profile_updater.catch_up(ws).events == 0
    assert_same(snapshot(container.engine, ws), incremental)


def test_rebuilding_one_workspace_leaves_another_untouched(
    container: Container, world: Path
) -> None:
    """The rebuild clears its own rows only (SQLite drops the whole table's pages at once
    only when no other workspace has rows in it)."""
    ws, incremental = _updated(container, world)
    other = load_world(container, world, slug="other")
    container.profile_updater.catch_up(other)
    theirs = snapshot(container.engine, other)
    assert len(theirs["profile_states"]) == len(incremental["profile_states"])
    rebuild(container.profile_updater, ws, engine_name="duckdb")
    assert_same(snapshot(container.engine, ws), incremental)
    assert_same(snapshot(container.engine, other), theirs)
    rebuild(container.profile_updater, other, engine_name="duckdb")
    assert_same(snapshot(container.engine, other), theirs)
    assert_same(snapshot(container.engine, ws), incremental)


def test_rebuild_from_a_parquet_export_of_the_events(
    sqlite_store, world: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    container = sqlite_store.container()
    try:
        ws, incremental = _updated(container, world)
        cols = ["id", "identity_id", "type", "event", "timestamp", "payload_json"]
        with container.engine.connect() as conn:
            rows = conn.execute(select(*(events.c[c] for c in cols)).order_by(events.c.id)).all()
        export = tmp_path / "events.parquet"
        pq.write_table(
            pa.Table.from_pylist([dict(zip(cols, r, strict=True)) for r in rows]), export
        )
        rebuild(container.profile_updater, ws, parquet=export)
        assert_same(snapshot(container.engine, ws), incremental)
    finally:
        container.close()


def test_events_after_the_rebuild_snapshot_are_folded_once(
    container: Container, world: Path
) -> None:
    ws, incremental = _updated(container, world)
    # As if the rebuild had read the history while the updater was still behind.
    with container.engine.begin() as conn:
        top = conn.execute(select(events.c.id).order_by(events.c.id.desc()).limit(1)).scalar_one()
        conn.execute(update(profile_cursors).values(last_event_id=top - 500))
    container.profile_updater.catch_up(ws)
    assert snapshot(container.engine, ws) != incremental  # 500 events folded twice: wrong
    rebuild(container.profile_updater, ws)
    assert_same(snapshot(container.engine, ws), incremental)


@pytest.mark.spark
# py4j leaves its gateway sockets to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_duckdb_and_pyspark_give_the_same_profiles(sqlite_store, world: Path) -> None:  # type: ignore[no-untyped-def]
    container = sqlite_store.container()
    try:
        ws, incremental = _updated(container, world)
        rebuild(container.profile_updater, ws, engine_name="spark")
        on_spark = snapshot(container.engine, ws)
        rebuild(container.profile_updater, ws, engine_name="duckdb")
        assert_same(on_spark, snapshot(container.engine, ws))
        assert_same(on_spark, incremental)
    finally:
        container.close()
