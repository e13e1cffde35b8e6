"""Group commit: one writer thread turns many concurrent requests into few transactions.

Each request waits until the transaction holding its messages has committed, so a client
never hears 200 for a message that is not in the store. A bounded queue gives
back-pressure: when it is full the API answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from leadloop.errors import OverloadedError

logger = logging.getLogger(__name__)


class Unit(Protocol):
    """What the writer groups: a workspace's request with a size in messages."""

    @property
    def workspace_id(self) -> int: ...

    @property
    def size(self) -> int: ...


U = TypeVar("U", bound=Unit)
R = TypeVar("R")


@dataclass(slots=True)
class _Job(Generic[U, R]):
    unit: U
    future: Future[R]


class GroupCommitWriter(Generic[U, R]):
    """Owns one write path of a server process: the events table (``SqlIngestStore.write``)
    or the ingest inbox (``Inbox.append``). ``write(units)`` stores units in one transaction
    and returns one result per unit."""

    def __init__(
        self,
        write: Callable[[Sequence[U]], Sequence[R]],
        *,
        max_pending: int = 256,
        max_group_messages: int = 5000,
    ) -> None:
        self._write = write
        self.max_group_messages = max_group_messages
        self._queue: queue.Queue[_Job[U, R] | None] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[Iterable[int]], None]] = []

    def add_commit_listener(self, listener: Callable[[Iterable[int]], None]) -> None:
        """Call ``listener(workspace_ids)`` after each successful commit; it must not block."""
        self._listeners.append(listener)

    def _notify(self, group: list[_Job[U, R]]) -> None:
        workspace_ids = {j.unit.workspace_id for j in group}
        for listener in self._listeners:
            try:
                listener(workspace_ids)
            except Exception:  # a listener must never break the write path
                logger.exception("ingest.listener_failed")

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="leadloop-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def submit(self, unit: U) -> Future[R]:
        """Queue a unit; raise :class:`OverloadedError` when the queue is full."""
        future: Future[R] = Future()
        try:
            self._queue.put_nowait(_Job(unit, future))
        except queue.Full:
            raise OverloadedError(
                "the store is behind; retry this batch shortly", retry_after=1
            ) from None
        return future

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            group = [job]
            size = job.unit.size
            stop = False
            while size < self.max_group_messages:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
                size += more.unit.size
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Job[U, R]]) -> None:
        try:
            results = self._write([j.unit for j in group])
        except Exception as exc:  # every waiter must hear about the failure
            if len(group) > 1:
                # One bad request must not fail its neighbours: retry each on its own.
                for job in group:
                    self._commit([job])
                return
            logger.exception("ingest.write_failed", extra={"fields": {"requests": 1}})
            group[0].future.set_exception(exc)
            return
        for job, result in zip(group, results, strict=True):
            job.future.set_result(result)
        self._notify(group)
