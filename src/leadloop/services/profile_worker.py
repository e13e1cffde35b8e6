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

logger = logging.getLogger(__name__)


class ProfileWorker:
    """One thread that keeps every workspace's profiles caught up."""

    def __init__(self, updater: ProfileUpdater, *, poll_seconds: float = 2.0) -> None:
        self.updater = updater
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._dirty: set[int] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="leadloop-profiles", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=30)
            self._thread = None

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
