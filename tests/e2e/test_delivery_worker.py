"""`leadloop worker` as a real process: SIGKILL mid-delivery, and two workers sharing a queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from handoff_helpers import Receiver, make_contact, request_for
from leadloop.bootstrap import Container
from leadloop.services.handoff import hand_off
from leadloop.store import outbox

WORKER_ENV = {
    "LEADLOOP_LOG_LEVEL": "WARNING",
    "LEADLOOP_OUTBOX_LEASE_S": "3",
    "LEADLOOP_WEBHOOK_TIMEOUT_S": "1",
    "LEADLOOP_SMTP_TIMEOUT_S": "1",
    "LEADLOOP_OUTBOX_BACKOFF_BASE_S": "0.05",
    "LEADLOOP_OUTBOX_BACKOFF_CAP_S": "0.2",
    "LEADLOOP_OUTBOX_POLL_S": "0.05",
}


def start_worker(url: str, log: Path, **overrides: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEADLOOP_DATABASE_URL": url, **WORKER_ENV, **overrides}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "leadloop.cli.main", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def enqueue_hot_leads(container: Container, receiver: Receiver, n: int) -> tuple[int, set[str]]:
    ws = container.workspaces.create_workspace("sales")
    container.reps.add(ws, "rita@sales.example")
    container.webhooks.add(ws, receiver.url, secret=receiver.secret)
    for i in range(n):
        contact, account = make_contact(container.engine, ws, f"Lead {i}", f"l{i}@acme.example")
        with container.engine.begin() as conn:
            hand_off(conn, request_for(ws, contact, account, hot=True), container.handoff_config)
    return ws, {item.delivery_id for item in outbox.list_items(container.engine, ws)}


def all_delivered(container: Container, ws: int) -> bool:
    return all(i.status == "delivered" for i in outbox.list_items(container.engine, ws))


def test_a_worker_killed_mid_delivery_loses_nothing(
    container: Container, receiver: Receiver, store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ws, expected = enqueue_hot_leads(container, receiver, 5)
    receiver.hold = threading.Event()  # the receiver keeps the first request open
    first = start_worker(store.url, tmp_path / "worker1.log")
    try:
        receiver.wait_for(lambda r: len(r.received) >= 1, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    held = receiver.received[0].delivery_id
    receiver.hold.set()
    receiver.hold = None
    second = start_worker(store.url, tmp_path / "worker2.log")
    try:
        deadline = time.monotonic() + 60
        while not all_delivered(container, ws) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop(second)
    assert all_delivered(container, ws), (tmp_path / "worker2.log").read_text()
    ids = [r.delivery_id for r in receiver.delivered()]
    assert set(ids) == expected  # every notification at least once
    assert ids.count(held) >= 1 and [r.delivery_id for r in receiver.received].count(held) == 2
    assert receiver.bad_signatures == []


def test_two_workers_never_deliver_the_same_message_concurrently(
    container: Container, receiver: Receiver, store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ws, expected = enqueue_hot_leads(container, receiver, 40)
    receiver.delay_s = 0.02
    receiver.hold = threading.Event()  # both workers must be mid-delivery at the same time
    slow = {"LEADLOOP_WEBHOOK_TIMEOUT_S": "30", "LEADLOOP_OUTBOX_LEASE_S": "90"}
    workers = [start_worker(store.url, tmp_path / f"w{i}.log", **slow) for i in range(2)]
    try:
        receiver.wait_for(lambda r: len(r.received) >= 2, timeout=30)
        receiver.hold.set()
        deadline = time.monotonic() + 90
        while not all_delivered(container, ws) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for w in workers:
            stop(w)
    assert all_delivered(container, ws)
    assert receiver.overlaps == []
    ids = [r.delivery_id for r in receiver.delivered()]
    assert sorted(ids) == sorted(expected)  # each exactly once: no double claim
    with container.engine.connect() as conn:
        by_worker = conn.exec_driver_sql(
            "SELECT count(DISTINCT worker) FROM outbox_attempts"
        ).scalar_one()
    assert by_worker == 2  # both workers took part
    first_two = receiver.received[:2]
    assert first_two[0].delivery_id != first_two[1].delivery_id


def test_leadloop_serve_delivers_in_process(
    live_server, container: Container, receiver: Receiver
) -> None:  # type: ignore[no-untyped-def]
    """The embedded setup: no separate worker, `leadloop serve` delivers by itself."""
    _ws, expected = enqueue_hot_leads(container, receiver, 1)
    receiver.wait_for(lambda r: len(r.delivered()) == 1, timeout=30)
    assert {r.delivery_id for r in receiver.delivered()} == expected
