"""A daemon thread that loops until stopped and can be woken early: the shape of the
server's background workers (the profile worker, the inbox drain)."""

from __future__ import annotations

import threading


class WakeThread:
    """Subclasses name the thread and implement ``_run``, which loops while ``_stop`` is
    clear and waits on ``_wake`` between passes."""

    thread_name = "leadloop-worker"

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end after its current pass and wait for it (up to 30 s)."""
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
