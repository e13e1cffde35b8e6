"""Hand-off delivery latency: committed hand-off -> signed webhook received (the delivery half).

    .venv/bin/python bench/handoff.py [--leads 200] [--rate 20] [--postgres URL] [--seed 7]

Runs `leadloop serve` (tracking API + the in-process delivery worker, the embedded setup),
a verifying webhook receiver in this process, and hands off hot leads at a fixed rate
straight through `hand_off` in their own transactions (the lifecycle will do this from its
qualification transaction). Latency is from the commit to the receiver's arrival. Three
phases: the receiver's own round trip (reference floor), the server idle, and the server
under a background load of tracking batches (100 events each) from a separate process.
The full ingest-to-webhook figure needs the sales-ready rules and is left to the lead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from handoff_helpers import Receiver, make_contact, request_for  # noqa: E402
from leadloop.bootstrap import bootstrap  # noqa: E402
from leadloop.config import Settings  # noqa: E402
from leadloop.domain.signing import sign  # noqa: E402
from leadloop.services.handoff import hand_off  # noqa: E402
from leadloop.store.migrate import upgrade  # noqa: E402

LOAD = """
import sys, time, uuid, httpx
url, key, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
sent, end = 0, time.monotonic() + seconds
with httpx.Client(base_url=url, auth=(key, ""), timeout=30) as c:
    while time.monotonic() < end:
        batch = [{"type": "track", "event": "Page Viewed", "anonymousId": f"v-{i % 500}",
                  "messageId": uuid.uuid4().hex, "properties": {"url": f"https://x.example/{i}"}}
                 for i in range(100)]
        if c.post("/v1/batch", json={"batch": batch}).status_code == 200:
            sent += 100
print(sent / seconds)
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, ms: list[float]) -> dict[str, object]:
    return {"phase": name, "n": len(ms), "p50_ms": round(statistics.median(ms), 1),
            "p99_ms": round(pct(ms, 0.99), 1), "max_ms": round(max(ms), 1)}  # fmt: skip


def floor(receiver: Receiver, n: int) -> list[float]:
    out = []
    with httpx.Client() as client:
        for i in range(n):
            body = json.dumps({"id": f"ref-{i}"}).encode()
            headers = {"Leadloop-Signature": sign(receiver.secret, body, int(time.time())),
                       "Leadloop-Delivery-Id": f"ref-{i}", "Leadloop-Event": "ref"}  # fmt: skip
            t0 = time.perf_counter()
            client.post(receiver.url, content=body, headers=headers)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def handoffs(container, ws, receiver: Receiver, n: int, rate: float) -> list[float]:  # type: ignore[no-untyped-def]
    committed: dict[str, float] = {}
    for i in range(n):
        contact, account = make_contact(
            container.engine, ws, f"Lead {i}", f"b{i}.{time.time_ns()}@acme.example"
        )
        with (
            container.engine.connect().execution_options(sqlite_immediate=True) as conn,
            conn.begin(),
        ):
            stored = hand_off(
                conn, request_for(ws, contact, account, hot=True), container.handoff_config
            )
        committed[f"dlv_{ws}_{stored.outbox_ids[0]}"] = time.monotonic()
        time.sleep(max(0.0, 1 / rate))
    receiver.wait_for(lambda r: {d.delivery_id for d in r.delivered()} >= set(committed), 120)
    arrived = {d.delivery_id: d.started for d in receiver.delivered() if d.delivery_id in committed}
    return [(arrived[k] - t) * 1000 for k, t in committed.items()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="Hand-offs per second.")
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL instead of SQLite.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="ll-handoff-"))
    url = args.postgres or f"sqlite:///{tmp / 'bench.db'}"
    container = bootstrap(Settings(database_url=url))
    upgrade(container.engine)
    ws = container.workspaces.create_workspace(f"bench-{time.time_ns()}")
    key = container.workspaces.create_key(ws, scope="write", source="bench")
    container.reps.add(ws, "rita@sales.example")
    receiver = Receiver().start()
    container.webhooks.add(ws, receiver.url, secret=receiver.secret)
    from e2e_helpers import LiveServer

    server = LiveServer(url, tmp / "serve.log", env={"LEADLOOP_LOG_LEVEL": "WARNING"}).start()
    results = [summary("reference: receiver round trip", floor(receiver, args.leads))]
    try:
        results.append(
            summary("idle server", handoffs(container, ws, receiver, args.leads, args.rate))
        )
        seconds = args.leads / args.rate + 15
        load = subprocess.Popen([sys.executable, "-c", LOAD, server.url, key, str(seconds)],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(2)
        busy = handoffs(container, ws, receiver, args.leads, args.rate)
        events_per_s = float(load.communicate(timeout=seconds + 60)[0].strip() or 0)
        row = summary("under ingest load", busy)
        row["background_events_per_s"] = round(events_per_s)
        results.append(row)
    finally:
        server.stop()
        receiver.stop()
        container.close()
    store = "postgresql" if args.postgres else "sqlite"
    print(f"store={store} leads={args.leads} rate={args.rate}/s cpus={os.cpu_count()} "
          f"poll_s={container.settings.outbox_poll_s}")  # fmt: skip
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
