"""The hand-off test desk: a workspace with a sales team, a webhook endpoint and SMTP."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from handoff_helpers import Receiver, SmtpServer, make_contact, request_for
from leadloop.bootstrap import Container
from leadloop.domain.handoff import HandOff, HandOffRequest
from leadloop.services.handoff import hand_off
from leadloop.services.handoff.worker import DeliveryWorker
from leadloop.store import outbox

if TYPE_CHECKING:
    from conftest import StoreHandle

_slugs = itertools.count()

FAST = {
    "outbox_backoff_base_s": 0.05,
    "outbox_backoff_cap_s": 0.2,
    "outbox_max_attempts": 4,
    "outbox_lease_s": 5.0,
    "webhook_timeout_s": 2.0,
    "smtp_timeout_s": 2.0,
}


@dataclass
class Desk:
    """A workspace with a sales team, one webhook endpoint and SMTP, on the real store."""

    container: Container
    workspace_id: int
    receiver: Receiver
    smtp: SmtpServer

    @property
    def engine(self) -> Any:
        return self.container.engine

    def rep(self, email: str, manager: str | None = None) -> int:
        return self.container.reps.add(self.workspace_id, email, email.split("@")[0], manager).id

    def lead(self, name: str = "Ana Silva", **kwargs: Any) -> HandOffRequest:
        slug = name.lower().replace(" ", ".") + str(next(_slugs))
        contact_id, account_id = make_contact(
            self.engine, self.workspace_id, name, f"{slug}@acme-logistics.example", "Acme Logistics"
        )
        return request_for(self.workspace_id, contact_id, account_id, name=name, **kwargs)

    def hand_off(self, request: HandOffRequest, **kwargs: Any) -> HandOff:
        with self.engine.begin() as conn:
            return hand_off(conn, request, self.container.handoff_config, **kwargs)

    def worker(self, name: str = "test-worker") -> DeliveryWorker:
        return self.container.delivery_worker(name)

    def drain(
        self,
        until: Any,
        timeout: float = 15,
        worker: DeliveryWorker | None = None,
        now: datetime | None = None,
    ) -> None:
        """Run the worker until ``until()`` holds (at ``now`` when the test moves the clock)."""
        worker = worker or self.worker()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            worker.run_once(now)
            if until():
                return
            time.sleep(0.02)
        raise AssertionError(f"not done in {timeout}s; outbox: {self.outbox()}")

    def outbox(self, status: str | None = None) -> list[outbox.OutboxItem]:
        return outbox.list_items(self.engine, self.workspace_id, status)

    def webhooks(self, status: str | None = None) -> list[outbox.OutboxItem]:
        return [i for i in self.outbox(status) if i.channel == "webhook"]

    def emails(self, status: str | None = None) -> list[outbox.OutboxItem]:
        return [i for i in self.outbox(status) if i.channel == "email"]


def make_desk(store: StoreHandle, receiver: Receiver, smtp: SmtpServer, **settings: Any) -> Desk:
    container = store.container(
        **{**FAST, "smtp_host": "127.0.0.1", "smtp_port": smtp.port, **settings}
    )
    ws = container.workspaces.create_workspace(f"sales-{next(_slugs)}")
    container.webhooks.add(ws, receiver.url, secret=receiver.secret)
    return Desk(container, ws, receiver, smtp)
