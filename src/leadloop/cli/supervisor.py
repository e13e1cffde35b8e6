"""Keeping one child process alive: `leadloop serve`'s background process.

The child is restarted when it dies (logged, with a doubling back-off that resets once it has
run a while) and stopped with SIGTERM, then SIGKILL, when the supervisor stops. It runs in its
own session so a terminal's Ctrl-C reaches only ``serve``, which then stops it; it also exits
by itself when ``serve`` is gone (``leadloop background --parent-pid``), so even a SIGKILLed
``serve`` leaves no orphan behind.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Sequence

logger = logging.getLogger(__name__)


class Supervisor:
    """Runs ``argv`` in a thread-watched child until :meth:`stop`."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        *,
        backoff_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        healthy_after_s: float = 30.0,
        stop_timeout_s: float = 30.0,
    ) -> None:
        self.argv = list(argv)
        self.env = env
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.healthy_after_s = healthy_after_s
        self.stop_timeout_s = stop_timeout_s
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Supervisor:
        self._thread = threading.Thread(target=self._run, name="leadloop-supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the child (SIGTERM, SIGKILL after ``stop_timeout_s``) and stop restarting it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.stop_timeout_s + 10)
            self._thread = None

    def _run(self) -> None:
        delay = self.backoff_s
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                process = subprocess.Popen(self.argv, env=self.env, start_new_session=True)
            except OSError as exc:
                logger.error("background.start_failed", extra={"fields": {"error": str(exc)}})
                self._stop.wait(delay)
                delay = min(self.backoff_cap_s, delay * 2)
                continue
            self.process = process
            self.starts += 1
            logger.info("background.spawned", extra={"fields": {"pid": process.pid}})
            while process.poll() is None and not self._stop.wait(0.2):
                pass
            if self._stop.is_set():
                self._terminate(process)
                return
            ran = time.monotonic() - started
            if ran >= self.healthy_after_s:
                delay = self.backoff_s
            logger.error(
                "background.died",
                extra={"fields": {"pid": process.pid, "returncode": process.returncode,
                                  "ran_s": round(ran, 1), "restart_in_s": delay}},
            )  # fmt: skip
            if self._stop.wait(delay):
                return
            delay = min(self.backoff_cap_s, delay * 2)

    def _terminate(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                logger.error("background.kill", extra={"fields": {"pid": process.pid}})
                process.kill()
                process.wait(10)
