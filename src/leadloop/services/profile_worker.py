"""The server's background profile updater: woken after every group commit, polling too.

The tracking path only sets an event (no I/O, no lock); the worker thread does the folding
in its own transactions, so profiling never slows an acknowledged write. Polling catches
events written by other processes (imports, other ``serve`` workers).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from leadloop.services.profiling import ProfileUpdater
from leadloop.services.wake_thread import WakeThread

logger = logging.getLogger(__name__)


class ProfileWorker(WakeThread):
    """One thread that keeps every workspace's profiles caught up."""

    thread_name = "leadloop-profiles"

    def __init__(self, updater: ProfileUpdater, *, poll_seconds: float = 2.0) -> None:
        super().__init__()
        self.updater = updater
        self.poll_seconds = poll_seconds
        self._dirty: set[int] = set()
        self._lock = threading.Lock()
        self.passes = 0

    def notify(self, workspace_ids: Iterable[int]) -> None:
        """Called by the writer right after a commit: fold these workspaces now."""
        with self._lock:
            self._dirty.update(workspace_ids)
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._lock:
                dirty, self._dirty = self._dirty, set()
            try:
                for ws in sorted(dirty) if woken and dirty else self.updater.workspaces():
                    self.updater.catch_up(ws, stop=self._stop)
            except Exception as exc:  # keep serving; the next pass retries
                logger.error("profiles.update_failed", extra={"fields": {"error": str(exc)[:200]}})
                with self._lock:
                    self._dirty.update(dirty)
                self._stop.wait(self.poll_seconds)
            self.passes += 1
