"""The 20M-event world for the full-recompute benchmark, built in minutes, reproducibly.

    .venv/bin/python bench/rebuild_world.py OUT_DIR [--replicas 20] [--contacts 50000]
        [--events 1000000] [--seed 7]

`leadloop simulate --size bench` takes ~8 min and importing its 20M events ~18 min, too
slow to iterate on. This builds the same shape from a smaller *real* world:

1. The simulator (``bench`` preset, seeded) writes ``--contacts`` contacts and
   ``--events`` events; they go through the real import paths into a SQLite store
   (``OUT_DIR/store.db``), the catalog tagged from content.csv, so identities, merges,
   payloads and quarantined lines are exactly what the product stores.
2. The stored world is replicated ``--replicas`` times, each copy a disjoint set of people:
   contacts and identities are copied in SQLite with their ids shifted by a fixed offset
   per copy (e-mail and identity values suffixed ``#k``), and the events are written
   to ``OUT_DIR/events.parquet`` (the events table's columns) with event and identity
   ids shifted the same way, payloads byte for byte the stored ones. Copy 0 is the
   stored world itself.

So the benchmark input has the simulator's distributions (journeys, depth, sections,
video, webinars, downloads, e-mail touches, broken payloads) and the real catalog; what
it lacks is variety between copies (copy k's people do what copy 0's did, at the same
times). ``OUT_DIR/world.json`` records the parameters and the counts.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from leadloop.bootstrap import bootstrap  # noqa: E402
from leadloop.config import Settings  # noqa: E402
from leadloop.simulate import SimConfig, generate  # noqa: E402
from leadloop.store.migrate import upgrade  # noqa: E402

WORKSPACE = "bench"


def _load(out: Path, contacts: int, events: int, seed: int) -> int:
    from profiles import load  # the bench's loader: import paths + catalog tags

    world = out / "sim"
    generate(world, SimConfig.preset("bench", seed=seed, contacts=contacts, events=events))
    c = bootstrap(Settings(database_url=f"sqlite:///{out / 'store.db'}"))
    try:
        upgrade(c.engine)
        ws, _ = load(c, world)
    finally:
        c.close()
    return ws


def _replicate_store(db: Path, ws: int, replicas: int) -> tuple[int, int]:
    """Copies 1..replicas-1 of the workspace's contacts and identities; returns offsets."""
    con = sqlite3.connect(db)
    try:
        c_off = int(con.execute("SELECT max(id) FROM contacts").fetchone()[0]) + 1
        i_off = int(con.execute("SELECT max(id) FROM identities").fetchone()[0]) + 1
        with con:
            for k in range(1, replicas):
                con.execute(
                    "INSERT INTO contacts (id, workspace_id, status, email, name, topics_json, "
                    "account_id, merged_into_id, created_at, updated_at, persona, crm_id) "
                    "SELECT id + ?1, workspace_id, status, email || '#' || ?2, name, "
                    "topics_json, account_id, merged_into_id + ?1, created_at, updated_at, "
                    "persona, crm_id FROM contacts WHERE workspace_id = ?3 AND id < ?4",
                    (k * c_off, k, ws, c_off),
                )
                con.execute(
                    "INSERT INTO identities (id, workspace_id, kind, value, contact_id, "
                    "created_at) SELECT id + ?1, workspace_id, kind, value || '#' || ?2, "
                    "contact_id + ?3, created_at FROM identities "
                    "WHERE workspace_id = ?4 AND id < ?5",
                    (k * i_off, k, k * c_off, ws, i_off),
                )
    finally:
        con.close()
    return c_off, i_off


def _replicate_events(db: Path, ws: int, replicas: int, i_off: int, out: Path) -> int:
    con = sqlite3.connect(db)
    try:
        e_off = int(con.execute("SELECT max(id) FROM events").fetchone()[0]) + 1
        rows = con.execute(
            "SELECT id, identity_id, type, event, timestamp, payload_json FROM events "
            "WHERE workspace_id = ? ORDER BY id",
            (ws,),
        ).fetchall()
    finally:
        con.close()
    duck = duckdb.connect()
    cols = list(zip(*rows, strict=True))
    duck.register(
        "b",
        pa.table({n: list(v) for n, v in zip(
            ("id", "identity_id", "type", "event", "ts", "payload_json"), cols, strict=True)}),
    )  # fmt: skip
    duck.execute(
        "COPY (SELECT b.id + k.range * $e AS id, b.identity_id + k.range * $i AS identity_id, "
        "b.type, b.event, CAST(b.ts AS TIMESTAMPTZ) AS timestamp, "
        "b.payload_json FROM range($n) k, b) "
        "TO '" + str(out).replace("'", "''") + "' (FORMAT parquet, COMPRESSION zstd)",
        {"e": e_off, "i": i_off, "n": replicas},
    )
    duck.close()
    return len(rows)


def build(out: Path, replicas: int, contacts: int, events: int, seed: int) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ws = _load(out, contacts, events, seed)
    loaded = time.perf_counter()
    _, i_off = _replicate_store(out / "store.db", ws, replicas)
    base = _replicate_events(out / "store.db", ws, replicas, i_off, out / "events.parquet")
    info: dict[str, object] = {
        "workspace": WORKSPACE, "seed": seed, "replicas": replicas,
        "simulated_contacts": contacts, "simulated_events": events,
        "stored_events_per_copy": base, "events": base * replicas,
        "simulate_and_import_s": round(loaded - started, 1),
        "replicate_s": round(time.perf_counter() - loaded, 1),
    }  # fmt: skip
    con = sqlite3.connect(out / "store.db")
    info["contacts"] = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    info["identities"] = con.execute("SELECT count(*) FROM identities").fetchone()[0]
    con.close()
    (out / "world.json").write_text(json.dumps(info, indent=1))
    return info


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--replicas", type=int, default=20)
    ap.add_argument("--contacts", type=int, default=50_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(json.dumps(build(a.out, a.replicas, a.contacts, a.events, a.seed)))


if __name__ == "__main__":
    main()
