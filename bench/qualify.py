"""Qualification benchmarks: rule evaluation (pure) and the qualify transaction per lead.

    .venv/bin/python bench/qualify.py [--leads 500] [--evaluations 20000] [--postgres]

Evaluation: the docs/examples rule over leads with 20 engagements each, in process.
Transaction: `services.qualify.qualify` for one lead at a time (lock, implied steps,
qualification row, commit) on a migrated SQLite file (synchronous FULL) and, with
--postgres, on 127.0.0.1:5432/test; beside it, the same-run reference of a bare one-row
insert + commit on the same store, so the ratio holds on a shared machine. Prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from leadloop.bootstrap import Container, bootstrap
from leadloop.config import Settings
from leadloop.domain.facts import GRADES, Engagement, LeadFacts
from leadloop.domain.qualification import evaluate
from leadloop.services.qualify import qualify
from leadloop.services.rule_files import load_rules
from leadloop.store.migrate import upgrade
from leadloop.store.tables import contacts

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules((ROOT / "docs" / "examples" / "sales-ready.yaml").read_text())
T0 = datetime(2026, 3, 1, tzinfo=UTC)
PG = "postgresql+psycopg://127.0.0.1:5432/test"


def lead(contact_id: int, n: int = 20) -> LeadFacts:
    engagements = tuple(
        Engagement(f"a{i}", GRADES[i % 5], "consideration", T0 + timedelta(days=i))
        for i in range(n)
    )
    return LeadFacts(
        contact_id=contact_id, as_of=T0 + timedelta(days=n), buying_stage="purchase",
        engagement_level="hot", persona="IT Manager", hot_signals=("coverage-map",),
        engagements=engagements,
    )  # fmt: skip


def bench_evaluate(n: int) -> dict[str, object]:
    facts = [lead(i) for i in range(200)]
    started = time.perf_counter()
    for i in range(n):
        evaluate(RULES, facts[i % 200])
    seconds = time.perf_counter() - started
    return {"bench": "evaluate", "evaluations": n, "per_second": round(n / seconds)}


def percentile(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * p))]


def bench_store(c: Container, kind: str, n: int) -> dict[str, object]:
    ws = c.workspaces.create_workspace(f"bench-{uuid.uuid4().hex[:6]}")
    with c.engine.begin() as conn:
        ids = [
            int(conn.execute(contacts.insert().values(
                workspace_id=ws, status="known", created_at=T0, updated_at=T0,
            )).inserted_primary_key[0])  # type: ignore[index]
            for _ in range(n)
        ]  # fmt: skip
    times = []
    for contact_id in ids:
        started = time.perf_counter()
        [result] = qualify(c.lead_store, ws, [lead(contact_id)], RULES)
        times.append(time.perf_counter() - started)
        assert result.moved
    refs = []
    with c.engine.connect() as conn:
        conn.execute(text("CREATE TABLE bench_ref (id INTEGER PRIMARY KEY, v TEXT)"))
        conn.commit()
        for i in range(n):
            started = time.perf_counter()
            conn.execute(text("INSERT INTO bench_ref (id, v) VALUES (:i, 'x')"), {"i": i})
            conn.commit()
            refs.append(time.perf_counter() - started)
    ms = [t * 1000 for t in times]
    ref_ms = [t * 1000 for t in refs]
    return {
        "bench": "qualify_transaction", "store": kind, "leads": n,
        "p50_ms": round(statistics.median(ms), 2), "p99_ms": round(percentile(ms, 0.99), 2),
        "ref_insert_commit_p50_ms": round(statistics.median(ref_ms), 2),
        "ratio_p50": round(statistics.median(ms) / statistics.median(ref_ms), 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--evaluations", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    print(json.dumps(bench_evaluate(args.evaluations)))
    with tempfile.TemporaryDirectory() as tmp:
        c = bootstrap(Settings(database_url=f"sqlite:///{tmp}/bench.db"))
        upgrade(c.engine)
        print(json.dumps(bench_store(c, "sqlite", args.leads)))
        c.close()
    if args.postgres:
        schema = f"b_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            c = bootstrap(Settings(database_url=f"{PG}?options=-csearch_path%3D{schema}"))
            upgrade(c.engine)
            print(json.dumps(bench_store(c, "postgresql", args.leads)))
            c.close()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
