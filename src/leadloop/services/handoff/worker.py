"""The delivery worker: drains the outbox and runs the service-level check.

``leadloop worker`` runs one in the foreground; ``leadloop serve`` runs one in a thread.
Any number may run against PostgreSQL: claims use ``FOR UPDATE SKIP LOCKED`` and a lease,
so no two workers hold the same notification, and a killed worker's lease just expires.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine

from leadloop.domain.delivery import DEAD, outcome_after
from leadloop.errors import LeadloopError
from leadloop.services.handoff.channels import Outcome, post_webhook, send_email
from leadloop.services.handoff.config import HandOffConfig
from leadloop.services.handoff.sla import check_service_levels
from leadloop.services.handoff.wakeup import OUTBOX_BELL, Bell
from leadloop.store import outbox
from leadloop.store.engine import utcnow
from leadloop.store.webhooks import SqlWebhooks

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100_000}"


class DeliveryWorker:
    """Claims due notifications, delivers them and records every attempt."""

    def __init__(
        self,
        engine: Engine,
        config: HandOffConfig,
        *,
        name: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.name = name or worker_name()
        self.rng = rng or random.Random()
        self.webhooks = SqlWebhooks(engine)
        self.client = httpx.Client(follow_redirects=False)
        self._last_sla: float = 0.0

    def run_once(self, now: datetime | None = None) -> int:
        """Deliver what is due now; return how many notifications were attempted."""
        items = outbox.claim(
            self.engine,
            self.name,
            lease_s=self.config.lease_s,
            limit=self.config.claim_batch,
            now=now,
        )
        for item in items:
            self._deliver(item)
        return len(items)

    def _deliver(self, item: outbox.OutboxItem) -> None:
        started = utcnow()
        outcome = self._attempt(item)
        finished = utcnow()
        kind = outcome_after(outcome.kind, item.attempts, self.config.retry)
        next_at = None
        if kind == "retry":
            delay = self.config.retry.delay(item.attempts, self.rng, outcome.retry_after)
            next_at = finished + timedelta(seconds=delay)
        attempt = outbox.Attempt(
            kind, started, finished, outcome.status_code, outcome.error, next_at
        )
        outbox.record(self.engine, item, self.name, attempt)
        level = logging.WARNING if kind == DEAD else logging.INFO
        logger.log(
            level,
            f"outbox.{kind}",
            extra={
                "fields": {
                    "delivery_id": item.delivery_id,
                    "channel": item.channel,
                    "event": item.event,
                    "attempt": item.attempts,
                    "status": outcome.status_code,
                    "error": outcome.error,
                }
            },
        )

    def _attempt(self, item: outbox.OutboxItem) -> Outcome:
        if item.channel == "email":
            if not self.config.email_enabled:
                return Outcome(DEAD, error="no SMTP server configured (LEADLOOP_SMTP_HOST)")
            return send_email(item, self.config.smtp)
        try:
            assert item.endpoint_id is not None
            url, secret = self.webhooks.signing_target(item.endpoint_id)
        except LeadloopError as exc:
            return Outcome(DEAD, error=exc.message)
        return post_webhook(self.client, item, url, secret, self.config.webhook_timeout_s)

    def check_service_levels(self, now: datetime | None = None) -> int:
        """Escalate overdue hand-offs; return how many escalated."""
        return check_service_levels(self.engine, self.config, now or utcnow())

    def run(self, stop: threading.Event, bell: Bell = OUTBOX_BELL) -> None:
        """Loop until ``stop`` is set: deliver, check service levels, sleep when idle.

        The sleep ends early when ``bell`` rings (a hand-off committed in this process).
        """
        logger.info("worker.started", extra={"fields": {"worker": self.name}})
        woken = bell.subscribe()
        try:
            while not stop.is_set():
                woken.clear()  # a ring from here on means: claim again before sleeping
                try:
                    busy = self.run_once()
                    if self._sla_due():
                        self.check_service_levels()
                except Exception:  # the loop must survive a store hiccup; the row stays leased
                    logger.exception("worker.error", extra={"fields": {"worker": self.name}})
                    busy = 0
                if not busy:
                    woken.wait(self.config.poll_s)
        finally:
            bell.unsubscribe(woken)
            self.client.close()
        logger.info("worker.stopped", extra={"fields": {"worker": self.name}})

    def _sla_due(self) -> bool:
        now = time.monotonic()
        if now - self._last_sla >= self.config.sla_check_s:
            self._last_sla = now
            return True
        return False


def start_in_thread(worker: DeliveryWorker) -> tuple[threading.Thread, threading.Event]:
    """Run ``worker`` in a daemon thread (the embedded setup of ``leadloop serve``)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(stop,), name="leadloop-delivery", daemon=True
    )
    thread.start()
    return thread, stop
