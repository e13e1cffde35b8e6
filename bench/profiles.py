"""Profiling benchmarks, each beside a same-run reference.

    .venv/bin/python bench/profiles.py [--contacts 5000] [--events 100000] [--latency 50]
        [--database-url sqlite:///...]

1. A seeded world is simulated and loaded through the import paths into a fresh store
   (SQLite by default), its catalog tagged from content.csv.
2. Incremental: the updater folds every event from cursor 0 in the CLI's 10,000-event
   batches (events/s).
3. Full recompute: `profiles rebuild` on DuckDB (seconds; peak RSS of this process).
   Reference: a plain DuckDB group-by (identity_id, asset) over the same events in Arrow.
4. Latency from group commit to profile update: single-event writes through the server's
   GroupCommitWriter with the background worker; the time from the write being
   acknowledged to the cursor passing it (p50/p99).
Prints JSON lines you can paste into bench/RESULTS.md.

    .venv/bin/python bench/profiles.py --size bench [--world DIR] [--replicas 20]

The issue's full-recompute target instead: 1M contacts / 20M events (bench/rebuild_world.py
builds the world once into DIR, in a child process, and later runs reuse it), then
`profiles rebuild --from-parquet` on DuckDB into the SQLite store, with wall seconds per
phase, peak RSS (ru_maxrss and VmHWM, this process only) and the same-run reference, a
plain DuckDB group-by (identity, asset id from the JSON) over the same Parquet events,
measured before and after the rebuild.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
from sqlalchemy import select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from leadloop.bootstrap import bootstrap  # noqa: E402
from leadloop.config import Settings  # noqa: E402
from leadloop.domain.messages import BatchEnvelope, parse_message  # noqa: E402
from leadloop.services.imports import import_accounts, import_contacts, import_events  # noqa: E402
from leadloop.services.profile_rebuild import rebuild  # noqa: E402
from leadloop.simulate import SimConfig, generate  # noqa: E402
from leadloop.store.content import load_catalog_csv, upsert_content  # noqa: E402
from leadloop.store.ingest import WriteUnit  # noqa: E402
from leadloop.store.migrate import upgrade  # noqa: E402
from leadloop.store.tables import content, events, profile_cursors  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tag(engine, ws: int, path: Path) -> None:  # type: ignore[no-untyped-def]
    def split(v: str) -> str:
        return orjson.dumps([x for x in v.split(";") if x]).decode()

    with engine.begin() as conn, path.open() as handle:
        for r in csv.DictReader(handle):
            conn.execute(
                update(content)
                .where(content.c.workspace_id == ws, content.c.url == r["url"])
                .values(format=r["format"], buying_stage=r["buying_stage"],
                        topics_json=split(r["topics"]), personas_json=split(r["personas"]),
                        segments_json="[]", signal=1.0 if r["signal"] == "hot" else None)
            )  # fmt: skip


def load(c, world: Path) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    ws = c.workspaces.create_workspace("bench")
    upsert_content(c.engine, ws, load_catalog_csv(world / "content.csv"))
    tag(c.engine, ws, world / "content.csv")
    import_accounts(c.directory, workspace_id=ws, path=world / "accounts.csv")
    import_contacts(c.directory, workspace_id=ws, path=world / "contacts.csv")
    source = c.workspaces.source_id(ws, "bench")
    import_events(c.ingest_store, c.directory, workspace_id=ws, source_id=source,
                  path=world / "events.ndjson")  # fmt: skip
    return ws, source


def reference_groupby(c, ws: int) -> float:  # type: ignore[no-untyped-def]
    """Plain DuckDB group-by over the same events (asset id pulled from the JSON)."""
    e = events.c
    with c.engine.connect() as conn:
        rows = conn.execute(
            select(e.id, e.identity_id, e.payload_json).where(e.workspace_id == ws)
        ).all()
    table = pa.table({"id": [r[0] for r in rows], "identity_id": [r[1] for r in rows],
                      "payload": [r[2] for r in rows]})  # fmt: skip
    started = time.perf_counter()
    con = duckdb.connect()
    con.register("ev", table)
    con.execute(
        "SELECT identity_id, json_extract_string(payload, '$.properties.asset_id') AS asset, "
        "count(*), min(id), max(id) FROM ev GROUP BY ALL"
    ).fetchall()
    return time.perf_counter() - started


def latency(c, ws: int, source: int, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    writer = c.writer  # starts the background worker too
    out = []
    for i in range(n):
        raw = {"type": "track", "event": "Content Engaged", "anonymousId": f"lat-{i % 7}",
               "messageId": f"lat-{i}-{time.time_ns()}",
               "properties": {"asset_id": "ast-0001", "read_depth": 50}}  # fmt: skip
        unit = WriteUnit(ws, source, [parse_message(raw, BatchEnvelope(datetime.now(UTC)))])
        writer.submit(unit).result()
        acked = time.perf_counter()
        with c.engine.connect() as conn:
            top = conn.execute(select(events.c.id).order_by(events.c.id.desc()).limit(1)).scalar()
        while True:
            with c.engine.connect() as conn:
                cur = conn.execute(
                    select(profile_cursors.c.last_event_id).where(
                        profile_cursors.c.workspace_id == ws
                    )
                ).scalar()
            if cur is not None and cur >= top:
                break
            time.sleep(0.0005)
        out.append(time.perf_counter() - acked)
        time.sleep(0.02)
    return out


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reference_parquet(path: Path) -> float:
    """Plain DuckDB group-by over the events Parquet (asset id pulled from the JSON)."""
    started = time.perf_counter()
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute(
        "SELECT identity_id, json_extract_string(payload_json, '$.properties.asset_id') AS asset, "
        f"count(*), min(id), max(id) FROM read_parquet('{path}') GROUP BY ALL"
    ).fetchall()
    con.close()
    return time.perf_counter() - started


def bench_size(args: argparse.Namespace) -> None:
    world = Path(args.world)
    if not (world / "world.json").exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "rebuild_world.py"), str(world),
             "--replicas", str(args.replicas), "--contacts", str(args.base_contacts),
             "--events", str(args.base_events)],
            check=True,
        )  # fmt: skip
    info = json.loads((world / "world.json").read_text())
    c = bootstrap(Settings(database_url=f"sqlite:///{world / 'store.db'}"))
    try:
        ws = c.workspaces.workspace_id("bench")
        events_path = world / "events.parquet"
        ref_before = reference_parquet(events_path)
        load_before = os.getloadavg()
        print(f"reference before: {ref_before:.1f} s", file=sys.stderr, flush=True)
        t0 = time.perf_counter()

        def say(message: str) -> None:
            print(f"{time.perf_counter() - t0:7.1f} s  {message}", file=sys.stderr, flush=True)

        report = rebuild(
            c.profile_updater, ws, engine_name="duckdb", parquet=events_path, progress=say
        )
        load_after = os.getloadavg()
        rss, hwm = peak_rss_mb(), vm_hwm_mb()
        ref_after = reference_parquet(events_path)
    finally:
        c.close()
    ph = report.phases
    inside = sum(v for k, v in ph.items() if k != "write_back")
    results = {
        "world": info, "events": report.events, "observations": report.observations,
        "states": report.states, "contacts_with_states": report.contacts,
        "phases_s": {k: round(v, 2) for k, v in ph.items()},
        "compute_s_read_to_profiles": round(inside, 2),
        "write_back_s": round(ph.get("write_back", 0.0), 2),
        "rebuild_total_s": round(report.seconds, 2),
        "peak_rss_mb": round(rss), "vm_hwm_mb": round(hwm),
        "reference_duckdb_groupby_s_before": round(ref_before, 2),
        "reference_duckdb_groupby_s_after": round(ref_after, 2),
        "loadavg_before": load_before, "loadavg_after": load_after,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    print(json.dumps(results))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=("demo", "bench"), default="demo")
    ap.add_argument("--world", default="/tmp/leadloop-bench-world")
    ap.add_argument("--replicas", type=int, default=20)
    ap.add_argument("--base-contacts", type=int, default=50_000)
    ap.add_argument("--base-events", type=int, default=1_000_000)
    ap.add_argument("--contacts", type=int, default=5000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--latency", type=int, default=50)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    if args.size == "bench":
        bench_size(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate(world, SimConfig.preset("demo", contacts=args.contacts, events=args.events))
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        c = bootstrap(Settings(database_url=url))
        upgrade(c.engine)
        ws, source = load(c, world)
        updater = c.profile_updater
        started = time.perf_counter()
        inc = updater.catch_up(ws, batch_events=10_000)  # what `profiles update` uses
        inc_s = time.perf_counter() - started
        report = rebuild(updater, ws, engine_name="duckdb")
        ref_s = reference_groupby(c, ws)
        lat = sorted(latency(c, ws, source, args.latency))
        c.close()
    results = {
        "store": url.split(":")[0], "events": inc.events, "contacts_updated": inc.contacts,
        "incremental_events_per_s": round(inc.events / inc_s),
        "rebuild_duckdb_s": round(report.seconds, 2),
        "rebuild_fold_s": round(report.compute_seconds, 2),
        "reference_duckdb_groupby_s": round(ref_s, 2), "states": report.states,
        "peak_rss_mb": round(peak_rss_mb()),
        "latency_commit_to_profile_ms_p50": round(statistics.median(lat) * 1000, 1),
        "latency_commit_to_profile_ms_p99": round(lat[int(len(lat) * 0.99) - 1] * 1000, 1),
        "latency_commit_to_profile_ms_max": round(lat[-1] * 1000, 1),
    }  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
