"""CPU per tracking request of the ingest path in process: JSON, parse, durable write.

    .venv/bin/python bench/ingest_cpu.py [--requests 400] [--group 25] [--rounds 5]

The figure that survives a shared machine: `bench/ingest.py` needs wrk and an idle box,
while this counts the process's CPU time (``time.process_time``) for the work every
`/v1/batch` request costs outside HTTP. Bodies are shaped like `bench/wrk_batch.lua`'s
(100 track messages, ~45 KB, 5,000 devices); the store is a fresh SQLite file with
``synchronous=FULL``, written in groups as the group-commit writer does. Run it with two
checkouts' interpreters, alternating, to compare code; the least disturbed round is printed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from leadloop.bootstrap import bootstrap
from leadloop.config import Settings
from leadloop.services.tracking import Limits, load_json, parse_body
from leadloop.store.ingest import WriteUnit
from leadloop.store.migrate import upgrade

PAD = "x" * 240


def body(first: int, count: int = 100) -> bytes:
    """One request body like the wrk script's: new messageIds, device times near now."""
    items = []
    for i in range(count):
        n = first + i
        items.append(
            {
                "type": "track",
                "event": "Content Engaged",
                "messageId": f"bench-{n}",
                "anonymousId": f"anon-{n % 5000}",
                "timestamp": f"2026-12-01T10:00:{n % 60:02d}.{n % 1000:03d}Z",
                "properties": {
                    "asset_id": f"wp-{i}",
                    "read_depth": n % 100,
                    "active_seconds": n % 300,
                    "sections_reached": [1, 2, 3],
                    "title": PAD,
                },
                "context": {
                    "library": {"name": "wrk", "version": "1"},
                    "page": {"url": f"https://example.com/wp/{i}"},
                },
            }
        )
    return orjson.dumps({"writeKey": "k", "sentAt": "2026-12-01T10:01:00.000Z", "batch": items})


def one_round(store: Any, ws: int, src: int, bodies: list[bytes], group: int) -> dict[str, float]:
    limits = Limits()
    cpu = {"json": 0.0, "parse": 0.0, "write": 0.0}
    for start in range(0, len(bodies), group):
        units = []
        for raw in bodies[start : start + group]:
            t0 = time.process_time()
            data = load_json(raw, limits)
            t1 = time.process_time()
            parsed = parse_body(
                data, received_at=datetime.now(UTC), implied_type=None,
                source="api:/v1/batch", limits=limits, ip="127.0.0.1",
            )  # fmt: skip
            cpu["json"] += t1 - t0
            cpu["parse"] += time.process_time() - t1
            units.append(WriteUnit(ws, src, parsed.messages, parsed.rejected))
        t0 = time.process_time()
        store.write(units)
        cpu["write"] += time.process_time() - t0
    return {k: 1e6 * v / len(bodies) for k, v in cpu.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="Requests per round.")
    parser.add_argument("--group", type=int, default=25, help="Requests per transaction.")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        container = bootstrap(Settings(database_url=f"sqlite:///{tmp}/cpu.db"))
        upgrade(container.engine)
        ws = container.workspaces.ensure_workspace("bench")
        src = container.workspaces.source_id(ws, "bench-cpu")
        store = container.ingest_store
        one_round(store, ws, src, [body(-100 * (k + 1)) for k in range(50)], args.group)  # warm
        rounds = []
        for r in range(args.rounds):
            first = r * args.requests * 100
            bodies = [body(first + 100 * k) for k in range(args.requests)]
            rounds.append(one_round(store, ws, src, bodies, args.group))
        container.close()
    med = {k: min(x[k] for x in rounds) for k in rounds[0]}  # least disturbed round
    total = sum(med.values())
    print(
        f"CPU us per 100-message request (best of {args.rounds} rounds): json {med['json']:.0f}  "
        f"parse {med['parse']:.0f}  write {med['write']:.0f}  total {total:.0f}"
    )


if __name__ == "__main__":
    main()
