"""The inbox drain: turns tracking requests that were made durable in the inbox into events.

It judges each body exactly as the tracking API judged it when it answered (the same
:func:`~leadloop.services.tracking.parse_body`, the same receipt time, path and client
address), then stores messages and rejects through the ingest store, claiming and settling
the batches in that same transaction: each batch becomes events once, crash or not.
Deduplication on ``messageId`` and identity resolution happen here, as in the direct path.

A batch that keeps failing while the store otherwise works (a poison batch) would stop
the whole inbox; after :data:`POISON_ATTEMPTS` failures on its own it goes to quarantine,
whole, with the error, and the drain moves on. A store that is down fails the quarantine
too, so an outage never turns good batches into quarantine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

from leadloop.errors import LeadloopError, StoreError
from leadloop.services.tracking import Limits, parse_body, quarantine_text
from leadloop.services.wake_thread import WakeThread
from leadloop.store.inbox import Inbox, InboxBatch
from leadloop.store.ingest import Rejected, SqlIngestStore, WriteUnit

logger = logging.getLogger(__name__)

POISON_ATTEMPTS = 3
"""Failures of one batch, drained alone, before it is quarantined whole."""


@dataclass(frozen=True, slots=True)
class DrainResult:
    batches: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0

    def __add__(self, other: DrainResult) -> DrainResult:
        return DrainResult(
            self.batches + other.batches,
            self.stored + other.stored,
            self.duplicates + other.duplicates,
            self.rejected + other.rejected,
        )


def unit_of(batch: InboxBatch, limits: Limits) -> WriteUnit:
    """The write unit the tracking API would have written for this request."""
    e = batch.entry
    try:
        parsed = parse_body(
            orjson.loads(e.body),
            received_at=e.received_at,
            implied_type=e.implied_type,
            source=e.source,
            limits=limits,
            ip=e.ip,
        )
    except (LeadloopError, orjson.JSONDecodeError) as exc:  # only if the limits changed since
        reason = exc.message if isinstance(exc, LeadloopError) else str(exc)
        text = quarantine_text(e.body)
        return WriteUnit(e.workspace_id, e.source_id, [], [Rejected(e.source, reason, text)])
    return WriteUnit(e.workspace_id, e.source_id, parsed.messages, parsed.rejected)


class InboxDrainer(WakeThread):
    """Drains the inbox in transactions of about ``max_messages``; ``start()`` runs it as a
    thread (``stop()`` ends it after the current transaction; the rest stays in the inbox)."""

    thread_name = "leadloop-inbox"

    def __init__(
        self,
        inbox: Inbox,
        store: SqlIngestStore,
        limits: Limits,
        *,
        max_messages: int = 5000,
        poll_seconds: float = 0.5,
    ) -> None:
        super().__init__()
        self.inbox = inbox
        self.store = store
        self.limits = limits
        self.max_messages = max_messages
        self.poll_seconds = poll_seconds
        self._listeners: list[Callable[[Iterable[int]], None]] = []
        self._failures = 0
        self.drained = DrainResult()

    def add_commit_listener(self, listener: Callable[[Iterable[int]], None]) -> None:
        """Call ``listener(workspace_ids)`` after each drain commit; it must not block."""
        self._listeners.append(listener)

    def drain_once(self, max_messages: int | None = None) -> DrainResult:
        """Claim, store and settle one transaction's worth; an empty result: nothing waits."""
        limit = self.max_messages if max_messages is None else max_messages
        with self.store.transaction() as conn:
            batches = self.inbox.claim(conn, limit)
            if not batches:
                return DrainResult()
            units = [unit_of(b, self.limits) for b in batches]
            results = self.store.write_in(conn, units)
            self.inbox.settle(conn, batches)
        self.inbox.trim()
        self._notify({b.entry.workspace_id for b in batches})
        result = DrainResult(
            len(batches),
            sum(r.stored for r in results),
            sum(r.duplicates for r in results),
            sum(r.rejected for r in results),
        )
        self.drained = self.drained + result
        self._failures = 0
        return result

    def drain(self, stop: threading.Event | None = None) -> DrainResult:
        """Drain until the inbox is empty (or ``stop`` is set); raise on a store failure."""
        total = DrainResult()
        while stop is None or not stop.is_set():
            try:
                result = self.drain_once()
            except StoreError:
                result = self._drain_alone()
            if not result.batches:
                return total
            total = total + result
        return total

    def _drain_alone(self) -> DrainResult:
        """After a failed transaction: the oldest batch on its own; quarantined whole once
        it has failed :data:`POISON_ATTEMPTS` times in a row."""
        try:
            return self.drain_once(max_messages=1)
        except StoreError:
            self._failures += 1
            if self._failures < POISON_ATTEMPTS:
                raise
        result = self._quarantine_oldest()
        self._failures = 0
        return result

    def _quarantine_oldest(self) -> DrainResult:
        with self.store.transaction() as conn:
            batches = self.inbox.claim(conn, 1)
            if not batches:
                return DrainResult()
            e = batches[0].entry
            text = quarantine_text(e.body)
            reason = f"inbox batch {batches[0].id} failed {POISON_ATTEMPTS} times in the store"
            unit = WriteUnit(e.workspace_id, e.source_id, [], [Rejected(e.source, reason, text)])
            self.store.write_in(conn, [unit])
            self.inbox.settle(conn, batches)
        logger.error("inbox.poison_batch", extra={"fields": {"batch": batches[0].id}})
        self.inbox.trim()
        return DrainResult(1, 0, 0, 1)

    def _notify(self, workspace_ids: set[int]) -> None:
        for listener in self._listeners:
            try:
                listener(workspace_ids)
            except Exception:  # a listener must never stop the drain
                logger.exception("inbox.listener_failed")

    def notify(self, _workspace_ids: Iterable[int] = ()) -> None:
        """Appends were committed (the inbox writer's commit listener): drain now."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            try:
                self.drain(self._stop)
            except Exception as exc:  # keep running; the next pass retries
                logger.error("inbox.drain_failed", extra={"fields": {"error": str(exc)[:200]}})
                self._stop.wait(self.poll_seconds)
