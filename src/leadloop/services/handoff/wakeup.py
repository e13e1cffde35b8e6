"""Waking this process's delivery workers the moment a hand-off commits.

A hand-off qualified in the profile worker's thread used to wait for the delivery worker's
next poll (``LEADLOOP_OUTBOX_POLL_S``, about half of it on average). The code that commits
an outbox row rings :data:`OUTBOX_BELL` after the commit; every delivery worker of the
process waits on its own subscription and claims at once. Workers in other processes, and
rows written by other processes, are still found by polling, unless a forwarder carries the
ring on: an ingesting process whose delivery worker runs in the background process
(``LEADLOOP_PROFILE_WORKER=process``) forwards its rings there (services/background.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Bell:
    """Wakes every subscribed waiter; a ring before the wait is not lost."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[threading.Event] = set()
        self._forwarders: list[Callable[[], None]] = []

    def subscribe(self) -> threading.Event:
        """A new waiter's event: set by every later ring, cleared by its owner."""
        event = threading.Event()
        with self._lock:
            self._waiters.add(event)
        return event

    def unsubscribe(self, event: threading.Event) -> None:
        with self._lock:
            self._waiters.discard(event)

    def add_forwarder(self, forward: Callable[[], None]) -> None:
        """Also call ``forward()`` on every ring (it must not block; errors are logged)."""
        with self._lock:
            self._forwarders.append(forward)

    def remove_forwarder(self, forward: Callable[[], None]) -> None:
        with self._lock:
            if forward in self._forwarders:
                self._forwarders.remove(forward)

    def ring(self) -> None:
        """Call after the transaction that wrote outbox rows has committed."""
        with self._lock:
            waiters = list(self._waiters)
            forwarders = list(self._forwarders)
        for event in waiters:
            event.set()
        for forward in forwarders:
            try:
                forward()
            except Exception:  # a wake is a hint: the write it follows is already committed
                logger.exception("outbox.bell_forward_failed")


OUTBOX_BELL = Bell()
"""The process's one bell: rung after a hand-off commits, heard by its delivery workers."""
