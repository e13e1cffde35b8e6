"""The closed loop in process: the real app (group-commit writer, profile worker), the
delivery worker in a thread and a signature-verifying webhook receiver."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from api_helpers import Api, in_process_api
from sqlalchemy import Row, select

from handoff_helpers import Receiver
from leadloop.bootstrap import Container
from leadloop.services.handoff.worker import start_in_thread
from leadloop.services.profile_reads import contact_id_for_email
from leadloop.store.tables import hand_offs, outbox, sla_breaches
from profiling_helpers import tag_content

if TYPE_CHECKING:
    from conftest import StoreHandle

MIA, SAM, RITA = "mia@acme.example", "sam@acme.example", "rita@acme.example"
RULE = """\
name: Coverage checkers
version: 1
qualify_when:
  all:
    - buying_stage: {at_least: consideration}
    - hot_signal: any
"""
FAST = {
    "outbox_poll_s": 0.05,
    "outbox_backoff_base_s": 0.05,
    "outbox_backoff_cap_s": 0.2,
    "profile_poll_seconds": 0.2,
    "sla_check_s": 0.2,
    "handoff_lead_url": "http://leads.example/v1/leads/{contact_id}",
}
_ids = itertools.count()


@dataclass
class Loop:
    container: Container
    api: Api
    receiver: Receiver
    workspace_id: int

    def approve_rule(self) -> None:
        self.container.rulebook.upload(self.workspace_id, RULE, MIA)
        for who in (MIA, SAM):
            self.container.rulebook.approve(self.workspace_id, 1, who)

    def send(self, *messages: dict[str, Any]) -> None:
        response = self.api.send("/v1/batch", {"batch": list(messages)})
        assert response.status_code == 200, response.text

    def person(self, name: str) -> dict[str, Any]:
        """Identify a known contact (through the tracking API); returns its ``userId``."""
        slug = name.lower().replace(" ", ".")
        who = {"userId": f"u-{slug}"}
        self.send(message("identify", who, traits={"email": f"{slug}@acme-logistics.example",
                                                    "name": name}))  # fmt: skip
        return who

    def contact_id(self, name: str) -> int:
        email = f"{name.lower().replace(' ', '.')}@acme-logistics.example"
        return contact_id_for_email(self.container.engine, self.workspace_id, email)

    def settle(self, timeout: float = 15) -> None:
        """Wait until every event is profiled and the pass that folded it (its listener
        included) has finished."""
        worker, updater = self.container.profile_worker, self.container.profile_updater
        deadline = time.monotonic() + timeout
        while updater.pending(self.workspace_id):
            assert time.monotonic() < deadline, "profiles did not catch up"
            time.sleep(0.02)
        passes = worker.passes
        while worker.passes <= passes:
            assert time.monotonic() < deadline, "the profile pass did not finish"
            time.sleep(0.02)

    def rows(self, table: Any) -> list[Row[Any]]:
        with self.container.engine.connect() as conn:
            query = select(table).where(table.c.workspace_id == self.workspace_id)
            return list(conn.execute(query.order_by(table.c.id)))

    def hand_offs(self) -> list[Row[Any]]:
        return self.rows(hand_offs)

    def outbox(self) -> list[Row[Any]]:
        return self.rows(outbox)

    def breaches(self) -> list[Row[Any]]:
        return self.rows(sla_breaches)

    def webhooks(self, event: str = "lead.handed_off") -> list[dict[str, Any]]:
        return [r.body for r in self.receiver.delivered() if r.event == event]


def message(kind: str, who: dict[str, Any], **fields: Any) -> dict[str, Any]:
    at = datetime.now(UTC).isoformat()
    return {"type": kind, "messageId": f"m-{next(_ids)}-{time.time_ns()}", "timestamp": at,
            **who, **fields}  # fmt: skip


def download(who: dict[str, Any], asset: str = "map-1") -> dict[str, Any]:
    return message("track", who, event="Asset Downloaded", properties={"asset_id": asset})


def glance(who: dict[str, Any], asset: str = "vb-1") -> dict[str, Any]:
    return message("page", who, properties={"asset_id": asset})


@contextmanager
def running_loop(store: StoreHandle, *, rule: bool = True, **settings: Any) -> Iterator[Loop]:
    """A workspace with a tagged catalog, two signers, one rep and one webhook endpoint."""
    container = store.container(**{**FAST, **settings})
    receiver = Receiver().start()
    stop = None
    try:
        ws = container.workspaces.create_workspace(f"loop-{next(_ids)}")
        key = container.workspaces.create_key(ws, scope="write", source="website")
        tag_content(container.engine, ws)
        container.users.add(ws, MIA, "marketing")
        container.users.add(ws, SAM, "sales")
        container.reps.add(ws, RITA, "Rita")
        container.webhooks.add(ws, receiver.url, secret=receiver.secret)
        thread, stop = start_in_thread(container.delivery_worker("loop-worker"))
        with in_process_api(container, key, ws) as api:
            loop = Loop(container, api, receiver, ws)
            if rule:
                loop.approve_rule()
            yield loop
    finally:
        if stop is not None:
            stop.set()
            thread.join(timeout=10)
        receiver.stop()
        container.close()
