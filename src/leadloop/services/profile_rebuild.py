"""Full recompute: every profile state rebuilt set-based from the event history.

1. Stream the workspace's events (from the operational store through SQLAlchemy, or from a
   Parquet export of the events table) and write what each says about an asset as Parquet
   observations (the same :func:`leadloop.domain.consumption.observe` the updater uses).
2. Fold them with one Ibis group-by (:mod:`leadloop.analytics.profile_states`) on DuckDB or
   PySpark.
3. Replace the workspace's states, move the cursor to the last event read and recompute
   every profile row, in one transaction under the updater's lock. Events that arrived
   meanwhile are after the cursor, so the updater folds them next, exactly once.

That is the path on PySpark. On DuckDB (the default) every step is set-based instead
(:mod:`leadloop.services.profile_rebuild_duckdb`): the JSON extraction, the fold and the
profile rows run in DuckDB and are written back in bulk; the tests prove both paths and the
incremental updater store the same rows.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from leadloop.analytics import profile_sql
from leadloop.analytics.backends import close, connect
from leadloop.analytics.profile_states import OBSERVATIONS, SECTIONS, compute_states
from leadloop.domain.consumption import Observation
from leadloop.errors import ValidationError
from leadloop.services import profile_rebuild_duckdb as duck
from leadloop.services.profile_writeback import identity_map, write_back
from leadloop.services.profiling import Catalog, ProfileUpdater, load_catalog, observations
from leadloop.store.profile_state import EventRow, chunks, event_row, stored_time

logger = logging.getLogger(__name__)

BATCH = 20_000
DUCKDB_MEMORY = "2500MB"
"""DuckDB's buffer limit in the rebuild (it spills to a temporary folder beyond): with the
Python process around it, the rebuild of 20M events stays under 4 GB (bench/profiles.py)."""
EVENT_COLUMNS = ("id", "identity_id", "type", "event", "timestamp", "payload_json")


@dataclass(frozen=True, slots=True)
class RebuildReport:
    engine: str
    events: int
    observations: int
    states: int
    contacts: int
    cursor: int
    seconds: float
    compute_seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    """Wall seconds per phase (DuckDB: read, extract, fold, profiles, write_back)."""


def _store_events(engine: Engine, workspace_id: int, upto: int) -> Iterator[list[EventRow]]:
    """The workspace's events up to ``upto`` in id order, streamed (server-side cursor)."""
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = (
        "SELECT id, identity_id, type, event, timestamp, payload_json FROM events "
        f"WHERE workspace_id = {mark} AND id <= {mark} ORDER BY id"
    )
    with engine.connect() as conn:
        streaming = conn.execution_options(stream_results=True, yield_per=BATCH)
        with streaming.exec_driver_sql(sql, (workspace_id, upto)) as result:
            for part in result.partitions(BATCH):
                yield [event_row(r) for r in part]


def _parquet_events(path: Path) -> Iterator[list[EventRow]]:
    """Batches of a Parquet export of the events table (the columns profiling reads)."""
    try:
        handle = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise ValidationError(f"{path} is not a readable Parquet file: {exc}") from None
    missing = [c for c in EVENT_COLUMNS if c not in handle.schema_arrow.names]
    if missing:
        raise ValidationError(
            f"{path.name} lacks column(s) {', '.join(missing)}; an events export needs "
            f"{', '.join(EVENT_COLUMNS)}"
        )
    for batch in handle.iter_batches(batch_size=BATCH, columns=list(EVENT_COLUMNS)):
        cols = batch.to_pydict()
        yield [
            EventRow(int(i), int(who), t, ev, stored_time(ts), p)
            for i, who, t, ev, ts, p in zip(*(cols[c] for c in EVENT_COLUMNS), strict=True)
        ]


def _tables(obs: list[Observation]) -> tuple[pa.Table, pa.Table]:
    s = [o.state for o in obs]
    table = pa.Table.from_pydict(
        {
            "identity_id": [o.identity_id for o in obs],
            "asset_id": [o.asset_id for o in obs],
            "event_id": [x.first_event_id for x in s],
            "at_ms": [x.first_at_ms for x in s],
            "depth": [x.depth for x in s],
            "active_ms": [x.active_ms for x in s],
            "sections_total": [x.sections_total for x in s],
            "visits": [x.visits for x in s],
            "downloads": [x.downloads for x in s],
        },
        schema=OBSERVATIONS,
    )
    reached = [(o.identity_id, o.asset_id, sec) for o in obs for sec in o.state.sections]
    sections = pa.Table.from_pylist(
        [{"identity_id": i, "asset_id": a, "section": x} for i, a, x in reached], schema=SECTIONS
    )
    return table, sections


def export_observations(
    batches: Iterator[list[EventRow]], catalog: Catalog, workdir: Path
) -> tuple[Path, Path, int, int, int]:
    """Write observations Parquet files; returns paths, events read, observations, last id."""
    paths = (workdir / "observations.parquet", workdir / "sections.parquet")
    n_events = n_obs = last = 0
    with (
        pq.ParquetWriter(paths[0], OBSERVATIONS) as w_obs,
        pq.ParquetWriter(paths[1], SECTIONS) as w_sec,
    ):
        for rows in batches:
            if not rows:
                continue
            obs = observations(rows, catalog)
            table, sections = _tables(obs)
            w_obs.write_table(table)
            w_sec.write_table(sections)
            n_events += len(rows)
            n_obs += len(obs)
            last = max(last, max(r.id for r in rows))
    return paths[0], paths[1], n_events, n_obs, last


def _state_rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    for r in table.to_pylist():
        sections = sorted({str(x) for x in (r.pop("sections") or ())})
        r["sections_json"] = orjson.dumps(sections).decode()
        r["depth"] = float(r["depth"] or 0.0)
        yield r


def rebuild(
    updater: ProfileUpdater,
    workspace_id: int,
    *,
    engine_name: str = "duckdb",
    parquet: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> RebuildReport:
    """Recompute every profile of a workspace (see the module docstring)."""
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    if engine_name == "duckdb":
        return _rebuild_on_duckdb(updater, workspace_id, parquet, say)
    engine, store = updater.engine, updater.store
    catalog = load_catalog(engine, workspace_id)
    with engine.connect() as conn:
        upto = store.max_event_id(conn, workspace_id)
    batches = _parquet_events(parquet) if parquet else _store_events(engine, workspace_id, upto)
    with tempfile.TemporaryDirectory(prefix="leadloop-rebuild-") as tmp:
        say("reading events")
        obs_path, sec_path, n_events, n_obs, last = export_observations(batches, catalog, Path(tmp))
        say(f"folding on {engine_name}")
        t0 = time.perf_counter()
        con = connect(engine_name)
        try:
            states = compute_states(con, obs_path, sec_path)
        finally:
            close(con)
        compute_s = time.perf_counter() - t0
    cursor = last if parquet else upto
    say("writing states and profiles")
    n_contacts = _write(updater, workspace_id, states, cursor, catalog)
    report = RebuildReport(
        engine_name, n_events, n_obs, states.num_rows, n_contacts, cursor,
        time.perf_counter() - started, compute_s,
    )  # fmt: skip
    logger.info("profiles.rebuilt", extra={"fields": {"workspace_id": workspace_id,
                "engine": engine_name, "events": n_events, "states": states.num_rows}})  # fmt: skip
    return report


def _write(
    updater: ProfileUpdater, workspace_id: int, states: pa.Table, cursor: int, catalog: Catalog
) -> int:
    store = updater.store
    with updater.engine.connect() as conn:
        conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            store.lock(conn, workspace_id)
            store.replace_states(conn, workspace_id, _state_rows(states))
            store.set_cursor(conn, workspace_id, cursor)
            store.clear_profiles(conn, workspace_id)
            contacts = store.all_contacts_with_states(conn, workspace_id)
            for part in chunks(contacts, 2000):
                updater.refresh(conn, workspace_id, part, catalog)
    return len(contacts)


def _rebuild_on_duckdb(
    updater: ProfileUpdater, workspace_id: int, parquet: Path | None, say: Callable[[str], None]
) -> RebuildReport:
    started = time.perf_counter()
    engine = updater.engine
    catalog = load_catalog(engine, workspace_id)
    with engine.connect() as conn:
        upto = updater.store.max_event_id(conn, workspace_id)
    phases = duck.Phases()
    with tempfile.TemporaryDirectory(prefix="leadloop-rebuild-") as tmp:
        con = profile_sql.connect(memory_limit=DUCKDB_MEMORY, temp_directory=tmp)
        try:
            t = time.perf_counter()
            say("reading events")
            if parquet:
                duck.load_parquet_events(con, parquet)
            else:
                duck.load_store_events(con, engine, workspace_id, upto, phases)
            t = phases.timed("read", t)
            duck.compute(
                con, catalog, lambda: identity_map(engine, workspace_id), updater.config,
                phases, say,
            )  # fmt: skip
            counts = con.execute(
                "SELECT (SELECT count(*) FROM states), (SELECT count(DISTINCT m.contact_id) "
                "FROM states s JOIN idmap m USING (identity_id)), (SELECT count(*) FROM events_in)"
            ).fetchall()[0]
            if parquet:
                phases.events = int(counts[2])
                last = con.execute("SELECT coalesce(max(id), 0) FROM events_in").fetchall()[0][0]
            t = time.perf_counter()
            say("writing states and profiles")
            cursor = int(last) if parquet else upto
            write_back(updater, workspace_id, con, cursor)
            phases.timed("write_back", t)
        finally:
            con.close()
    s = phases.seconds
    report = RebuildReport(
        "duckdb", phases.events, phases.observations, int(counts[0]), int(counts[1]), cursor,
        time.perf_counter() - started, s.get("fold", 0.0), dict(s),
    )  # fmt: skip
    logger.info("profiles.rebuilt", extra={"fields": {"workspace_id": workspace_id,
                "engine": "duckdb", "events": phases.events, "states": report.states}})  # fmt: skip
    return report
