"""Hand-off latency: HTTP ingest of a qualifying event -> signed webhook received.

    .venv/bin/python bench/handoff.py [--leads 200] [--rate 20] [--postgres URL] [--seed 7]
        [--server-env LEADLOOP_PROFILE_WORKER=thread]

Runs `leadloop serve` as it starts by default (tracking API and group-commit writer in the
HTTP process; the profile worker with the real-time sales-ready listener and the delivery
worker in its background process, woken after every commit; `--server-env
LEADLOOP_PROFILE_WORKER=thread` runs both in the HTTP process, the old embedded setup) and a
verifying webhook receiver in this process. Phases:

- the receiver's own round trip (reference floor);
- commit -> webhook: hot leads handed off straight through `hand_off` (the delivery half);
- ingest -> webhook: known contacts download the hot coverage map through `POST /v1/batch`;
  the server profiles the event, the listener qualifies the contact under the active rule
  and hands it off in that transaction, the worker delivers. Latency runs from just before
  the POST to the receiver's arrival.

Each is run with the server idle and under a background load of ordinary events (100-event
batches of anonymous and known readers of catalogued, not sales-ready content) posted by a
separate process as fast as the server answers.
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
from leadloop.services.profile_reads import contact_id_for_email  # noqa: E402
from leadloop.store.migrate import upgrade  # noqa: E402
from profiling_helpers import tag_content  # noqa: E402

RULE = """\
name: Coverage checkers
version: 1
qualify_when:
  all:
    - buying_stage: {at_least: consideration}
    - hot_signal: any
"""

LOAD = """
import sys, time, uuid, httpx
from datetime import datetime, timezone
url, key, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
sent, end, n = 0, time.monotonic() + seconds, 0
readers = [{"type": "identify", "userId": f"k-{i}", "messageId": uuid.uuid4().hex,
            "traits": {"email": f"reader{i}@load.example"}} for i in range(200)]
assets = ["vb-1", "art-1"]  # awareness / epiphany reading: ordinary, never sales-ready
with httpx.Client(base_url=url, auth=(key, ""), timeout=30) as c:
    c.post("/v1/batch", json={"batch": readers})
    while time.monotonic() < end:
        now = datetime.now(timezone.utc).isoformat()
        batch = []
        for i in range(100):
            n += 1
            who = {"userId": f"k-{n % 200}"} if i % 5 == 0 else {"anonymousId": f"v-{n % 500}"}
            props = ({"asset_id": assets[n % 2]} if i % 2 else
                     {"url": f"https://x.example/page/{n % 1000}"})
            batch.append({"type": "page", **who, "messageId": uuid.uuid4().hex,
                          "timestamp": now, "properties": props})
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


def prepare_buyers(container, ws, client: httpx.Client, n: int, tag: str) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """``n`` known contacts (identified through the API) that have not qualified yet."""
    users = [f"buyer-{tag}-{i}" for i in range(n)]
    for start in range(0, n, 100):
        batch = [{"type": "identify", "userId": u, "messageId": f"id-{u}",
                  "traits": {"email": f"{u}@buyer.example", "name": u}}
                 for u in users[start:start + 100]]  # fmt: skip
        assert client.post("/v1/batch", json={"batch": batch}).status_code == 200
    return [(u, contact_id_for_email(container.engine, ws, f"{u}@buyer.example")) for u in users]


def ingests(receiver: Receiver, client: httpx.Client, buyers, rate: float) -> list[float]:  # type: ignore[no-untyped-def]
    """Each buyer downloads the coverage map once; latency from POST to webhook arrival."""
    sent: dict[int, float] = {}
    for user, contact in buyers:
        message = {"type": "track", "event": "Asset Downloaded", "userId": user,
                   "messageId": f"dl-{user}", "properties": {"asset_id": "map-1"}}  # fmt: skip
        sent[contact] = time.monotonic()
        assert client.post("/v1/batch", json={"batch": [message]}).status_code == 200
        time.sleep(max(0.0, 1 / rate))

    def arrivals() -> dict[int, float]:
        out: dict[int, float] = {}
        for d in receiver.delivered():
            if d.event == "lead.handed_off":
                for item in d.body["data"]["items"]:
                    out.setdefault(item["contact_id"], d.started)
        return out

    receiver.wait_for(lambda r: set(arrivals()) >= set(sent), 120)
    got = arrivals()
    return [(got[c] - t) * 1000 for c, t in sent.items()]


def with_load(server_url: str, key: str, seconds: float):  # type: ignore[no-untyped-def]
    load = subprocess.Popen([sys.executable, "-c", LOAD, server_url, key, str(seconds)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(2)
    return load


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="Hand-offs per second.")
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL instead of SQLite.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="NAME=VALUE",
        help="Extra environment for `leadloop serve` (repeatable).",
    )  # fmt: skip
    args = parser.parse_args()
    server_env = dict(item.split("=", 1) for item in args.server_env)
    load_start = os.getloadavg()
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
    tag_content(container.engine, ws)
    for email, role in (("mia@bench.example", "marketing"), ("sam@bench.example", "sales")):
        container.users.add(ws, email, role)
    container.rulebook.upload(ws, RULE, "mia@bench.example")
    for email in ("mia@bench.example", "sam@bench.example"):
        container.rulebook.approve(ws, 1, email)
    from e2e_helpers import LiveServer

    env = {"LEADLOOP_LOG_LEVEL": "WARNING", **server_env}
    server = LiveServer(url, tmp / "serve.log", env=env).start()
    # Warm-up: the first hand-off is delivered only once the delivery worker runs (with
    # `serve`'s default, in its background process, which starts after the HTTP process).
    handoffs(container, ws, receiver, 1, args.rate)
    results = [summary("reference: receiver round trip", floor(receiver, args.leads))]
    client = httpx.Client(base_url=server.url, auth=(key, ""), timeout=30)
    try:
        idle_buyers = prepare_buyers(container, ws, client, args.leads, "idle")
        busy_buyers = prepare_buyers(container, ws, client, args.leads, "busy")
        results.append(
            summary("commit -> webhook, idle", handoffs(container, ws, receiver, args.leads,
                                                        args.rate))
        )  # fmt: skip
        results.append(
            summary("ingest -> webhook, idle", ingests(receiver, client, idle_buyers, args.rate))
        )
        seconds = 2 * args.leads / args.rate + 25
        load = with_load(server.url, key, seconds)
        busy = handoffs(container, ws, receiver, args.leads, args.rate)
        busy_ingest = ingests(receiver, client, busy_buyers, args.rate)
        events_per_s = float(load.communicate(timeout=seconds + 60)[0].strip() or 0)
        for name, ms in (("commit -> webhook, under load", busy),
                         ("ingest -> webhook, under load", busy_ingest)):  # fmt: skip
            row = summary(name, ms)
            row["background_events_per_s"] = round(events_per_s)
            results.append(row)
    finally:
        client.close()
        server.stop()
        receiver.stop()
        container.close()
    store = "postgresql" if args.postgres else "sqlite"
    print(f"store={store} leads={args.leads} rate={args.rate}/s cpus={os.cpu_count()} "
          f"poll_s={container.settings.outbox_poll_s} server_env={server_env} "
          f"loadavg start={load_start} end={os.getloadavg()}")  # fmt: skip
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
