"""The closed loop through the server's background workers, on SQLite and PostgreSQL:
a tracked event → profile → the active sales-ready rule → hand-off → signed webhook."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from loop_helpers import RITA, SAM, download, glance, running_loop

from leadloop.store.engine import as_utc

if TYPE_CHECKING:
    from conftest import StoreHandle


def test_a_qualifying_event_reaches_sales_once_as_a_signed_webhook(store: StoreHandle) -> None:
    with running_loop(store) as loop:
        ana = loop.person("Ana Silva")
        loop.send(glance(ana))
        loop.settle()
        assert loop.hand_offs() == []  # an awareness read is not sales-ready
        started = time.monotonic()
        loop.send(download(ana))
        loop.receiver.wait_for(lambda r: len(r.delivered()) >= 1, timeout=10)
        assert time.monotonic() - started < 5
        contact = loop.contact_id("Ana Silva")
        [item] = loop.webhooks()[0]["data"]["items"]
        assert (item["contact_id"], item["cycle"], item["rule_version"]) == (contact, 1, "v1")
        assert item["reasons"] == [
            "Buying stage is purchase, at or past consideration.",
            "Consumed hot content: Network coverage map (map-1).",
        ]
        assert item["hot"] is True and item["owner"]["email"] == RITA
        assert item["lead_url"] == f"http://leads.example/v1/leads/{contact}"
        lead = item["lead"]
        assert lead["name"] == "Ana Silva" and lead["email_masked"] == "a***@acme-logistics.example"
        assert lead["buying_stage"] == "purchase" and lead["interests"][0] == "coverage"
        assert [(r["title"], r["url"], r["grade"]) for r in lead["reading"]] == [
            ("Network coverage map", "https://x.example/map", "downloaded"),
            ("The SD-WAN video book", "https://x.example/vb", "glance"),
        ]
        assert loop.receiver.bad_signatures == []

        loop.send(download(ana))  # qualifies again, in the same cycle
        loop.settle()
        assert len(loop.hand_offs()) == 1 and len(loop.outbox()) == 1
        assert loop.container.leads.show(loop.workspace_id, contact).state == "sales_ready"
        assert len(loop.receiver.delivered()) == 1


def test_rejected_recycled_and_qualifying_again_is_handed_off_in_cycle_2(
    store: StoreHandle,
) -> None:
    with running_loop(store) as loop:
        bo = loop.person("Bo Berg")
        loop.send(download(bo))
        loop.receiver.wait_for(lambda r: len(r.delivered()) == 1, timeout=10)
        contact = loop.contact_id("Bo Berg")
        leads = loop.container.leads
        leads.act(loop.workspace_id, contact, "reject", user_email=SAM, reason="no budget")
        assert [(h.cycle, h.status) for h in loop.hand_offs()] == [(1, "rejected")]
        leads.act(loop.workspace_id, contact, "recycle", user_email=SAM)
        assert leads.show(loop.workspace_id, contact).cycle == 2

        loop.send(download(bo))
        loop.receiver.wait_for(lambda r: len(r.delivered()) == 2, timeout=10)
        cycles = [w["data"]["items"][0]["cycle"] for w in loop.webhooks()]
        assert cycles == [1, 2]
        assert [(h.cycle, h.status) for h in loop.hand_offs()] == [(1, "rejected"), (2, "pending")]
        view = leads.show(loop.workspace_id, contact)
        assert (view.state, view.cycle) == ("sales_ready", 2)
        assert [q.cycle for q in view.qualifications] == [1, 2]


def test_accepting_stops_the_sla_clock_while_the_unanswered_lead_escalates(
    store: StoreHandle,
) -> None:
    with running_loop(store, sla_response_s=2.0) as loop:
        ana, bo = loop.person("Ana Silva"), loop.person("Bo Berg")
        loop.send(download(ana), download(bo))
        loop.receiver.wait_for(lambda r: len(r.delivered()) == 2, timeout=10)
        ana_id, bo_id = loop.contact_id("Ana Silva"), loop.contact_id("Bo Berg")
        leads, ws = loop.container.leads, loop.workspace_id
        assert leads.act(ws, ana_id, "accept", user_email=SAM).changed
        assert not leads.act(ws, ana_id, "accept", user_email=SAM).changed  # idempotent
        loop.receiver.wait_for(lambda r: len(loop.webhooks("lead.escalated")) >= 1, timeout=15)
        latest_due = max(as_utc(h.due_at) for h in loop.hand_offs())
        while datetime.now(UTC) < latest_due:  # every deadline has passed ...
            time.sleep(0.05)
        time.sleep(1.0)  # ... and the 0.2 s service-level check has run several times since
        escalated = [w["data"]["items"][0]["contact_id"] for w in loop.webhooks("lead.escalated")]
        assert escalated == [bo_id]
        assert [b.hand_off_id for b in loop.breaches()] == [
            h.id for h in loop.hand_offs() if h.contact_id == bo_id
        ]
        status = {h.contact_id: (h.status, h.responded_at is not None) for h in loop.hand_offs()}
        assert status == {ana_id: ("accepted", True), bo_id: ("pending", False)}


def test_without_an_active_rule_nothing_is_handed_off_and_that_is_logged_once(
    store: StoreHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="leadloop.services.sales_ready")
    with running_loop(store, rule=False) as loop:
        cy = loop.person("Cy Lee")
        loop.send(download(cy))
        loop.settle()
        loop.send(download(cy))
        loop.settle()
        assert loop.hand_offs() == [] and loop.outbox() == []
        contact = loop.contact_id("Cy Lee")
        assert loop.container.leads.show(loop.workspace_id, contact).state == "known"
        idle = [r for r in caplog.records if r.getMessage() == "sales_ready.no_active_rule"]
        assert len(idle) == 1

        loop.approve_rule()  # the next change is qualified under the rule now in force
        loop.send(glance(cy))
        loop.receiver.wait_for(lambda r: len(r.delivered()) == 1, timeout=10)
        assert [h.contact_id for h in loop.hand_offs()] == [contact]


def test_the_qualifying_commit_wakes_the_delivery_worker(store: StoreHandle) -> None:
    with running_loop(store, outbox_poll_s=30.0) as loop:  # polling alone: up to 30 s
        ana = loop.person("Ana Silva")
        time.sleep(0.3)  # the delivery worker has found nothing and sleeps
        started = time.monotonic()
        loop.send(download(ana))
        loop.receiver.wait_for(lambda r: len(r.delivered()) >= 1, timeout=15)
        assert time.monotonic() - started < 5
