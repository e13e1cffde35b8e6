"""Two writers at once (`serve --workers 2`, or an import beside the server) keep the merge
invariants: each has its own engine, ingest store and identity cache, as two processes do."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from store_helpers import Tracker, check_invariants

from leadloop.bootstrap import Container
from leadloop.domain.messages import BatchEnvelope, parse_message
from leadloop.errors import StoreError
from leadloop.store.ingest import SqlIngestStore, WriteUnit

if TYPE_CHECKING:
    from conftest import StoreHandle

ANON, USERS, EMAILS = ["a0", "a1", "a2"], ["u0", "u1", "u2"], ["x@acme.example", "y@acme.example"]


def traffic(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        kind = rng.choice(["identify", "identify", "alias", "page"])
        if kind == "alias":
            raw: dict[str, Any] = {
                "previousId": rng.choice(ANON + USERS),
                "userId": rng.choice(USERS),
            }
        else:
            raw = {"anonymousId": rng.choice(ANON)}
            if rng.random() < 0.7:
                raw["userId"] = rng.choice(USERS)
            if kind == "identify" and rng.random() < 0.6:
                raw["traits"] = {"email": rng.choice(EMAILS)}
        out.append({"type": kind, "messageId": f"m{i}", "timestamp": "2026-03-01T10:00:00Z", **raw})
    return out


def send(store: SqlIngestStore, ws: int, source: int, raws: list[dict[str, Any]]) -> None:
    for start in range(0, len(raws), 3):
        envelope = BatchEnvelope(datetime.now(UTC))
        unit = WriteUnit(ws, source, [parse_message(r, envelope) for r in raws[start : start + 3]])
        for _attempt in range(10):  # a client retries a 503
            try:
                store.write([unit])
                break
            except StoreError:
                continue
        else:
            pytest.fail("a batch could not be stored in 10 attempts")


@pytest.mark.parametrize("seed", range(6))
def test_two_writers_keep_every_event_on_one_live_contact(
    store: StoreHandle, container: Container, seed: int
) -> None:
    other = store.container()  # a second process, as far as the store can tell
    try:
        ws = container.workspaces.create_workspace(f"race-{seed}")
        source = container.workspaces.source_id(ws, "website")
        raws = traffic(random.Random(seed), 60)
        threads = [
            threading.Thread(target=send, args=(s.ingest_store, ws, source, raws[k::2]))
            for k, s in enumerate((container, other))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        tracker = Tracker(container.engine, container.ingest_store, ws, source)
        check_invariants(tracker, {r["messageId"] for r in raws})
    finally:
        other.close()
