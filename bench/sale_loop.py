"""Closing the loop: what the opportunity hook costs an import, and tagging throughput.

Builds the demo world (``leadloop demo --no-serve``: 5,000 contacts, ~104k events), hands
500 of its contacts to sales (``accepted``), then imports N synthetic opportunities on its
accounts from a CSV twice, into two copies of the store: without hooks (the same-run
reference) and with ``Container.opportunity_hooks`` (lifecycle moves + tagging queue), and
finally times ``tag_pending`` over the queued opportunities.

    .venv/bin/python bench/sale_loop.py --opportunities 20000
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from leadloop.bootstrap import bootstrap
from leadloop.config import Settings
from leadloop.domain.lifecycle import Actor, plan
from leadloop.services.imports import import_opportunities
from leadloop.store.tables import contacts, lead_transitions, sale_content

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("proposal", "negotiation", "closed won", "closed lost")


def _world(work: Path) -> Path:
    db = work / "world.db"
    subprocess.run(
        [str(Path(sys.executable).parent / "leadloop"), "demo", "--no-serve", "--out",
         str(work / "demo"), "--database-url", f"sqlite:///{db}"],
        check=True, capture_output=True,
    )  # fmt: skip
    c = bootstrap(Settings(database_url=f"sqlite:///{db}"))
    with c.engine.connect() as conn:
        ids = [i for (i,) in conn.execute(
            select(contacts.c.id).where(contacts.c.status == "known").limit(500))]  # fmt: skip
    store, when = c.lead_store, datetime(2025, 1, 2, tzinfo=UTC)
    with store.write_connection() as conn, conn.begin():
        for i in ids:
            cur = store.lock(conn, 1, i)
            store.apply(conn, 1, plan(i, cur.state, cur.cycle, "accepted", at=max(when, cur.since),
                                      actor=Actor("system"), reason="bench"))  # fmt: skip
    c.close()
    return db


def _csv(path: Path, world: Path, count: int) -> None:
    domains = [r["domain"] for r in csv.DictReader((world / "demo/accounts.csv").open())]
    rng = random.Random(7)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["crm_id", "name", "amount", "stage", "created_at", "close_date",
                      "account_domain"])  # fmt: skip
        for n in range(count):
            created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
            close = (created + timedelta(days=rng.randrange(20, 120))).date()
            out.writerow([f"S{n}", f"Deal {n}", rng.randrange(1, 200) * 500, rng.choice(STAGES),
                          created.isoformat(), close.isoformat(), rng.choice(domains)])  # fmt: skip


def _import(db: Path, path: Path, hooks: bool) -> tuple[float, object]:
    c = bootstrap(Settings(database_url=f"sqlite:///{db}"))
    started = time.perf_counter()
    report = import_opportunities(
        c.crm, workspace_id=1, path=path, source="bench",
        hooks=c.opportunity_hooks if hooks else (),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    c.close()
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=20_000)
    args = parser.parse_args()
    n = args.opportunities
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        world = _world(work)
        deals = work / "deals.csv"
        _csv(deals, work, n)
        plain, hooked = work / "plain.db", work / "hooked.db"
        shutil.copy(world, plain)
        shutil.copy(world, hooked)
        ref, _ = _import(plain, deals, hooks=False)
        with_hooks, _ = _import(hooked, deals, hooks=True)
        c = bootstrap(Settings(database_url=f"sqlite:///{hooked}"))
        started = time.perf_counter()
        tagged = c.sale_content.tag_pending(1)
        tag_s = time.perf_counter() - started
        with c.engine.connect() as conn:
            moves = conn.execute(select(func.count()).select_from(lead_transitions).where(
                lead_transitions.c.actor_kind == "crm")).scalar()  # fmt: skip
            rows = conn.execute(select(func.count()).select_from(sale_content)).scalar()
        c.close()
    print(f"import {n:,} opportunities, no hooks (reference): {ref:.2f} s, {n / ref:,.0f}/s")
    print(f"import {n:,} opportunities, with hooks:           {with_hooks:.2f} s, "
          f"{n / with_hooks:,.0f}/s ({with_hooks / ref:.1f}x the reference); "
          f"{moves:,} lead transitions by the CRM")  # fmt: skip
    print(
        f"tag_pending: {tagged.opportunities:,} opportunities in {tagged.batches} batches, "
        f"{rows:,} sale_content rows, {tag_s:.2f} s, {tagged.opportunities / tag_s:,.0f}/s"
    )


if __name__ == "__main__":
    main()
