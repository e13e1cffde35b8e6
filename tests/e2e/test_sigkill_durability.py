"""Killing the server with SIGKILL during a load of batches loses no batch answered 200.

A 200 promises that the batch is committed. Several client threads send batches of
distinct messages; the server is SIGKILLed mid-load; then the store is read directly.
Every message of every acknowledged batch must be there exactly once. Batches without an
answer may or may not be there; after a restart the client resends them and dedup makes
the final store exact.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest
from e2e_helpers import LiveServer, rows

from leadloop.bootstrap import Container

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace

WORKERS = 4
BATCH = 40


def make_batch(worker: int, seq: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for i in range(BATCH):
        mid = f"w{worker}-b{seq}-m{i}"
        base = {"messageId": mid, "timestamp": f"2026-03-01T10:00:{i:02d}.{seq % 1000:03d}Z"}
        if i == 0:
            items.append(
                {
                    **base,
                    "type": "identify",
                    "anonymousId": f"dev-{worker}-{seq}",
                    "userId": f"user-{worker}-{seq % 5}",
                    "traits": {"email": f"p{worker}.{seq % 5}@acme.example"},
                }
            )
        else:
            items.append(
                {**base, "type": "track", "event": "Read", "anonymousId": f"dev-{worker}-{seq}"}
            )
    return {"batch": items, "sentAt": "2026-03-01T10:01:00Z"}


@dataclass
class Load:
    """What the clients sent and what the server answered."""

    acked: dict[str, list[str]] = field(default_factory=dict)
    unanswered: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_flight: int = 0  # requests sent but never answered: the kill cut them off
    refused: int = 0  # requests the dead server no longer accepted
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent_ids(self) -> set[str]:
        done = {m for ids in self.acked.values() for m in ids}
        return done | {m["messageId"] for b in self.unanswered.values() for m in b["batch"]}


def hammer(url: str, key: str, worker: int, load: Load, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, auth=(key, ""), timeout=10) as client:
        seq = 0
        while not stop.is_set():
            name, body = f"w{worker}-b{seq}", make_batch(worker, seq)
            seq += 1
            try:
                response = client.post("/v1/batch", content=orjson.dumps(body))
            except httpx.ConnectError:
                with load.lock:
                    load.unanswered[name] = body
                    load.refused += 1
                return  # the server is gone
            except httpx.TransportError:
                with load.lock:
                    load.unanswered[name] = body
                    load.in_flight += 1
                return
            with load.lock:
                if response.status_code == 200:
                    load.acked[name] = [m["messageId"] for m in body["batch"]]
                else:  # 429/503: not stored, the client would retry
                    load.unanswered[name] = body


def stored_counts(container: Container, workspace_id: int) -> Counter[str]:
    if container.uses_inbox:  # what the dead server's inbox still holds becomes events
        container.drainer.drain()
    return Counter(e.message_id for e in rows(container.engine, workspace_id=workspace_id))


@pytest.mark.slow
@pytest.mark.parametrize("path", ["direct", "inbox"])
def test_sigkill_during_load_loses_no_acknowledged_batch(
    store: StoreHandle, workspace: Workspace, tmp_path: Path, path: str
) -> None:
    """Direct: 200 after the events commit. Inbox: 200 after the request is in the inbox;
    the kill may also cut a drain transaction off, and what the drain had not settled is
    drained again afterwards, once."""
    inbox = path == "inbox"
    env = {"LEADLOOP_INGEST_INBOX": "true"} if inbox else {}
    server = LiveServer(store.url, tmp_path / "server.log", env=env).start()
    container = store.container(ingest_inbox=inbox)
    load, stop = Load(), threading.Event()
    threads = [
        threading.Thread(target=hammer, args=(server.url, workspace.write_key, w, load, stop))
        for w in range(WORKERS)
    ]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 15
        while len(load.acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill(children=True)  # mid-load: the workers are still sending
        stop.set()
        for t in threads:
            t.join(15)
        assert not any(t.is_alive() for t in threads)
        assert len(load.acked) >= 40, "the load did not get going"
        assert load.in_flight >= 1, "the kill did not cut off any request"

        counts = stored_counts(container, workspace.id)
        for name, ids in load.acked.items():
            missing = [m for m in ids if counts[m] != 1]
            assert not missing, (
                f"batch {name} was answered 200 but {missing[:3]} are not stored once"
            )
        assert set(counts) <= load.sent_ids()
        assert all(n == 1 for n in counts.values())

        # The clients retry what got no answer; a restarted server deduplicates.
        server.start()
        with httpx.Client(base_url=server.url, auth=(workspace.write_key, "")) as client:
            for body in load.unanswered.values():
                response = client.post("/v1/batch", content=orjson.dumps(body))
                assert response.status_code == 200, response.text
        counts = stored_counts(container, workspace.id)
        assert set(counts) == load.sent_ids()
        assert all(n == 1 for n in counts.values())
    finally:
        stop.set()
        server.stop()
        container.close()
