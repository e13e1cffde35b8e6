"""The full recompute on DuckDB, set-based end to end (see :mod:`leadloop.analytics.profile_sql`).

1. Events go into DuckDB as they are stored: a Parquet export is read in place; the
   operational store is streamed in Arrow batches (no Python per event).
2. One JSON pass pre-folds every event by (identity, asset id, or page url when the event
   names no asset). The distinct urls are matched in Python by ``url_key``; the pre-folded
   states are then folded again by asset (the state is a monoid, so this is the same fold).
   Events only Python can read exactly are observed by ``observe`` and joined in.
3. The profile rows and top interests are computed in SQL from the states.
4. Write-back (:mod:`leadloop.services.profile_writeback`): states, cursor and profile rows
   replace the workspace's in one transaction under the updater's lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
from sqlalchemy import Engine

from leadloop.analytics import profile_sql as sql
from leadloop.domain.consumption import observe
from leadloop.errors import ValidationError
from leadloop.services.profiling import Catalog
from leadloop.store.profile_state import stored_time

BATCH: Final = 100_000
EVENT_COLUMNS: Final = ("id", "identity_id", "type", "event", "timestamp", "payload_json")


@dataclass
class Phases:
    """Wall seconds per phase and the counts the report prints."""

    seconds: dict[str, float] = field(default_factory=dict)
    events: int = 0
    observations: int = 0
    last_event_id: int = 0

    def timed(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - started
        return now


def load_parquet_events(con: Any, path: Path) -> None:
    """``events_in`` over a Parquet export of the events table (a file or a folder)."""
    target = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    try:
        quoted = target.replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW raw_events AS SELECT * FROM read_parquet('{quoted}')"
        )
        described = con.execute("DESCRIBE raw_events").fetchall()
    except Exception as exc:  # duckdb raises IOException / InvalidInputException
        raise ValidationError(f"{path} is not a readable Parquet file: {exc}") from None
    types = {str(r[0]): str(r[1]) for r in described}
    missing = [c for c in EVENT_COLUMNS if c not in types]
    if missing:
        raise ValidationError(
            f"{path.name} lacks column(s) {', '.join(missing)}; an events export needs "
            f"{', '.join(EVENT_COLUMNS)}"
        )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW events_in AS SELECT id, identity_id, type, event, "
        f"{_at_ms('timestamp', types['timestamp'])} AS at_ms, payload_json FROM raw_events"
    )


def _at_ms(column: str, duck_type: str) -> str:
    """``epoch_ms(stored_time(ts))``: floor to the millisecond; naive text and times are UTC."""
    ts = column if duck_type.startswith("TIMESTAMP") else f"CAST({column} AS TIMESTAMPTZ)"
    us = f"epoch_us({ts})"
    return f"({us} // 1000 - CASE WHEN {us} % 1000 < 0 THEN 1 ELSE 0 END)"


def load_store_events(
    con: Any, engine: Engine, workspace_id: int, upto: int, phases: Phases
) -> None:
    """Stream the workspace's events up to ``upto`` into ``events_in`` (Arrow batches)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE events_in (id BIGINT, identity_id BIGINT, type VARCHAR, "
        "event VARCHAR, at_ms BIGINT, payload_json VARCHAR)"
    )
    for batch in _store_batches(engine, workspace_id, upto):
        con.register("batch_in", batch)
        kind = (
            "VARCHAR" if pa.types.is_string(batch.schema.field("timestamp").type) else "TIMESTAMP"
        )
        con.execute(
            "INSERT INTO events_in SELECT id, identity_id, type, event, "
            f"{_at_ms('timestamp', kind)}, payload_json FROM batch_in"
        )
        con.unregister("batch_in")
        phases.events += batch.num_rows


def _store_batches(engine: Engine, workspace_id: int, upto: int) -> Iterator[pa.Table]:
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    query = (
        f"SELECT {', '.join(EVENT_COLUMNS)} FROM events "
        f"WHERE workspace_id = {mark} AND id <= {mark} ORDER BY id"
    )
    with engine.connect() as conn:
        streaming = conn.execution_options(stream_results=True, yield_per=BATCH)
        with streaming.exec_driver_sql(query, (workspace_id, upto)) as result:
            for part in result.partitions(BATCH):
                cols = list(zip(*part, strict=True))
                times = list(cols[4])
                if times and not isinstance(times[0], str):
                    times = [stored_time(t) for t in times]
                yield pa.table(
                    {
                        "id": pa.array(cols[0], pa.int64()),
                        "identity_id": pa.array(cols[1], pa.int64()),
                        "type": pa.array(cols[2], pa.string()),
                        "event": pa.array(cols[3], pa.string()),
                        "timestamp": pa.array(times),
                        "payload_json": pa.array(cols[5], pa.string()),
                    }
                )


def _fallback_observations(con: Any, catalog: Catalog) -> pa.Table:
    """Events whose sections only Python renders exactly: ``observe`` them one by one."""
    ids = [r[0] for r in con.execute(
        "SELECT fallback_id FROM pre WHERE fallback_id IS NOT NULL").fetchall()]  # fmt: skip
    rows: list[dict[str, Any]] = []
    if ids:
        con.register("fallback_ids", pa.table({"id": pa.array(ids, pa.int64())}))
        found = con.execute(
            "SELECT e.id, e.identity_id, e.type, e.event, e.at_ms, e.payload_json "
            "FROM events_in e SEMI JOIN fallback_ids f ON f.id = e.id"
        ).fetchall()
        import orjson

        from leadloop.domain.consumption import from_ms

        for event_id, identity_id, kind, name, at_ms, payload_json in found:
            payload = orjson.loads(payload_json)
            props = payload.get("properties") if isinstance(payload, dict) else None
            obs = observe(event_id, identity_id, kind, name, from_ms(at_ms), props,
                          catalog.asset_for_url)  # fmt: skip
            if obs is None:
                continue
            s = obs.state
            rows.append({
                "identity_id": obs.identity_id, "asset_id": obs.asset_id,
                "event_id": s.first_event_id, "at_ms": at_ms, "depth": s.depth,
                "active_ms": s.active_ms, "sections": sorted(s.sections),
                "sections_total": s.sections_total, "visits": s.visits,
                "downloads": s.downloads,
            })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=sql.PY_OBSERVATIONS_SCHEMA)


def compute(
    con: Any,
    catalog: Catalog,
    idmap: Callable[[], pa.Table],
    config: Any,
    phases: Phases,
    say: Callable[[str], None],
) -> None:
    """From ``events_in`` on ``con`` to the ``states``, ``profile_rows`` and
    ``profile_topics`` tables."""
    t = time.perf_counter()
    say("extracting and pre-folding the events")
    con.execute(sql.extraction_sql("events_in"))
    con.execute(sql.PRE_FOLD)
    t = phases.timed("extract", t)
    urls = [r[0] for r in con.execute(sql.PAGE_URLS_SQL).fetchall()]
    con.register("page_urls", sql.url_table(urls, catalog.by_url))
    con.register("py_observations", _fallback_observations(con, catalog))
    t = phases.timed("urls_and_fallback", t)
    say("folding states")
    con.execute(sql.FOLD)
    summary = con.execute(
        "SELECT count(*), coalesce(sum(events), 0), coalesce(max(last_event_id), 0) FROM states"
    ).fetchall()[0]
    phases.observations = int(summary[1])
    phases.last_event_id = int(summary[2])
    t = phases.timed("fold", t)
    say("computing profiles")
    con.register("idmap", idmap())
    con.register("catalog", sql.catalog_table(catalog.items))
    sql.run_profiles(con, config)
    phases.timed("profiles", t)
