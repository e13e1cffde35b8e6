"""hand_off inside the caller's transaction: once per cycle, outbox in the same commit."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from desk_helpers import Desk, make_desk
from sqlalchemy import func, select

from leadloop.errors import ConflictError, NotFoundError, ValidationError
from leadloop.services.handoff import hand_off, mark_responded
from leadloop.store.tables import hand_offs, outbox


def _count(desk: Desk, table) -> int:  # type: ignore[no-untyped-def]
    with desk.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_one_hand_off_per_cycle_and_a_new_one_after_recycle(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    request = desk.lead()
    first = desk.hand_off(request)
    again = desk.hand_off(request)
    assert first.created and not again.created
    assert again.id == first.id and again.rep_id == first.rep_id
    assert len(first.outbox_ids) == 2  # webhook + e-mail to the owner
    assert _count(desk, hand_offs) == 1 and _count(desk, outbox) == 2
    second_cycle = desk.hand_off(replace(request, cycle=2))
    assert second_cycle.created and second_cycle.id != first.id
    assert _count(desk, outbox) == 4


def test_a_rolled_back_transaction_leaves_neither_hand_off_nor_notification(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    request = desk.lead()
    with pytest.raises(RuntimeError), desk.engine.begin() as conn:
        hand_off(conn, request, desk.container.handoff_config)
        raise RuntimeError("the qualification failed after the hand-off")
    assert _count(desk, hand_offs) == 0 and _count(desk, outbox) == 0


def test_without_any_rep_the_hand_off_is_recorded_unassigned_and_webhooks_told(
    desk: Desk,
) -> None:
    stored = desk.hand_off(desk.lead())
    assert stored.rep_id is None and stored.strategy == "unassigned"
    assert [i.channel for i in desk.outbox()] == ["webhook"]


def test_ordinary_leads_share_a_batch_and_hot_ones_go_at_once(store, receiver, smtp) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(store, receiver, smtp, handoff_batch_window_s=60)
    try:
        desk.rep("rita@sales.example")
        now = datetime.now(UTC)
        a = desk.hand_off(desk.lead("Ana Silva"), now=now)
        b = desk.hand_off(desk.lead("Bo Chen"), now=now + timedelta(seconds=1))
        hot = desk.hand_off(desk.lead("Cy Hot", hot=True), now=now + timedelta(seconds=2))
        assert a.outbox_ids == b.outbox_ids  # joined the open batch
        assert not set(hot.outbox_ids) & set(a.outbox_ids)
        webhooks = {i.id: i for i in desk.webhooks()}
        batch = webhooks[a.outbox_ids[0]]
        assert [x["lead"]["name"] for x in batch.payload["items"]] == ["Ana Silva", "Bo Chen"]
        assert batch.available_at >= now + timedelta(seconds=59)
        desk.drain(lambda: desk.receiver.delivered(), timeout=5)
        [got] = desk.receiver.delivered()
        assert [x["lead"]["name"] for x in got.body["data"]["items"]] == ["Cy Hot"]
    finally:
        desk.container.close()


def test_mark_responded_stops_the_clock_and_is_idempotent(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    request = desk.lead()
    stored = desk.hand_off(request)
    at = stored.created_at + timedelta(minutes=5)
    with desk.engine.begin() as conn:
        done = mark_responded(conn, request.contact_id, 1, "accepted", at)
    with desk.engine.begin() as conn:
        same = mark_responded(conn, request.contact_id, 1, "accepted", at)
    assert done.status == same.status == "accepted"
    with pytest.raises(ConflictError, match="already accepted"), desk.engine.begin() as conn:
        mark_responded(conn, request.contact_id, 1, "rejected", at)
    with pytest.raises(NotFoundError, match="not handed off in cycle 2"), desk.engine.begin() as c:
        mark_responded(c, request.contact_id, 2, "accepted", at)
    with pytest.raises(ValidationError, match="accepted, rejected"), desk.engine.begin() as c:
        mark_responded(c, request.contact_id, 1, "maybe", at)


def test_two_concurrent_qualifications_of_one_cycle_hand_over_once(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    request = desk.lead()
    barrier, results = threading.Barrier(2), []

    def qualify() -> None:
        barrier.wait()
        immediate = desk.engine.connect().execution_options(sqlite_immediate=True)
        with immediate as conn, conn.begin():
            results.append(hand_off(conn, request, desk.container.handoff_config))
            time.sleep(0.2)  # hold the transaction open while the other one tries

    threads = [threading.Thread(target=qualify) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.id for r in results}) == 1
    assert _count(desk, hand_offs) == 1 and _count(desk, outbox) == 2
