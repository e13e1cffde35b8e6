"""The delivery worker wakes when this process commits a hand-off, and still polls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from desk_helpers import Desk, make_desk

from handoff_helpers import Receiver, SmtpServer
from leadloop.services.handoff.wakeup import Bell
from leadloop.services.handoff.worker import DeliveryWorker

if TYPE_CHECKING:
    from conftest import StoreHandle


@contextmanager
def worker_thread(worker: DeliveryWorker, bell: Bell) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop, bell), daemon=True)
    thread.start()
    time.sleep(0.3)  # it found nothing due and sleeps
    try:
        yield
    finally:
        stop.set()
        bell.ring()
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_a_ring_after_the_commit_is_delivered_long_before_the_next_poll(
    store: StoreHandle, receiver: Receiver, smtp: SmtpServer
) -> None:
    desk = make_desk(store, receiver, smtp, outbox_poll_s=30.0)
    bell = Bell()
    try:
        desk.rep("rita@sales.example")
        with worker_thread(desk.worker(), bell):
            desk.hand_off(desk.lead(hot=True))
            started = time.monotonic()
            bell.ring()
            receiver.wait_for(lambda r: len(r.delivered()) == 1, timeout=10)
            assert time.monotonic() - started < 5  # the poll would have taken 30 s
        assert len(receiver.delivered()) == 1
    finally:
        desk.container.close()


def test_without_a_ring_the_poll_still_delivers(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    with worker_thread(desk.worker(), Bell()):  # nobody rings: another process wrote it
        desk.hand_off(desk.lead(hot=True))
        desk.receiver.wait_for(lambda r: len(r.delivered()) == 1, timeout=10)


def test_a_ring_reaches_every_subscriber_and_is_kept_until_cleared() -> None:
    bell = Bell()
    first, second = bell.subscribe(), bell.subscribe()
    bell.ring()
    assert first.wait(0) and second.wait(0)
    first.clear()
    bell.unsubscribe(second)
    second.clear()
    bell.ring()
    assert first.is_set() and not second.is_set()
