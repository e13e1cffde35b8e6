"""Webhooks against a real receiver that verifies every signature."""

from __future__ import annotations

from desk_helpers import Desk

from leadloop.store.outbox import attempts_of, replay


def test_a_hand_off_is_delivered_once_signed_with_the_lead_and_reasons(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    stored = desk.hand_off(desk.lead("Ana Silva"))
    desk.drain(lambda: desk.receiver.delivered())
    for _ in range(5):
        desk.worker().run_once()
    [got] = desk.receiver.received
    assert desk.receiver.bad_signatures == []
    assert got.event == "lead.handed_off"
    assert got.delivery_id == got.body["id"]
    [item] = got.body["data"]["items"]
    assert item["hand_off_id"] == stored.id
    assert item["owner"]["email"] == "rita@sales.example"
    assert item["reasons"][1] == "Downloaded the hot asset 'Network coverage map EMEA'."
    assert item["lead"]["reading"][1]["title"] == "Network coverage map EMEA"
    assert item["lead"]["email_masked"] == "a***@acme-logistics.example"
    [webhook] = desk.webhooks()
    assert webhook.status == "delivered" and webhook.attempts == 1


def test_a_receiver_that_is_down_gets_it_when_it_comes_back(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    desk.receiver.stop()
    desk.hand_off(desk.lead())
    worker = desk.worker()
    worker.run_once()
    [webhook] = desk.webhooks()
    assert webhook.status == "pending" and webhook.attempts == 1
    assert "ConnectError" in (webhook.last_error or "")
    desk.receiver.start()  # same port
    desk.drain(lambda: desk.receiver.delivered(), worker=worker)
    rows = attempts_of(desk.engine, webhook.id)
    assert [r.outcome for r in rows][-1] == "delivered"
    assert [r.outcome for r in rows][:-1] == ["retry"] * (len(rows) - 1)
    assert len(desk.receiver.delivered()) == 1


def test_5xx_is_retried_with_the_same_delivery_id(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    desk.receiver.statuses.extend([503, 500])
    desk.hand_off(desk.lead())
    desk.drain(lambda: desk.receiver.delivered())
    ids = {r.delivery_id for r in desk.receiver.received}
    assert len(ids) == 1
    assert [r.status for r in desk.receiver.received] == [503, 500, 200]
    assert [r.attempt for r in desk.receiver.received] == [1, 2, 3]


def test_always_failing_is_dead_lettered_then_replayed_and_delivered(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    desk.receiver.statuses.extend([500] * 4)  # outbox_max_attempts = 4
    desk.hand_off(desk.lead())
    desk.drain(lambda: desk.webhooks("dead"))
    [dead] = desk.webhooks("dead")
    assert dead.attempts == 4 and dead.last_error and dead.last_error.startswith("HTTP 500")
    assert desk.receiver.delivered() == []
    assert replay(desk.engine, desk.workspace_id) == [dead.id]
    desk.drain(lambda: desk.receiver.delivered())
    assert {r.delivery_id for r in desk.receiver.received} == {dead.delivery_id}
    assert len(desk.receiver.delivered()) == 1


def test_a_4xx_answer_is_permanent_and_goes_straight_to_dead_letters(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    desk.receiver.statuses.append(404)
    desk.hand_off(desk.lead())
    desk.drain(lambda: desk.webhooks("dead"))
    assert len(desk.receiver.received) == 1


def test_429_is_retried(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    desk.receiver.statuses.append(429)
    desk.hand_off(desk.lead())
    desk.drain(lambda: desk.receiver.delivered())
    assert [r.status for r in desk.receiver.received] == [429, 200]


def test_a_wrong_secret_is_refused_by_the_receiver(desk: Desk) -> None:
    desk.receiver.secret = "whsec_somebody_else_entirely"
    desk.receiver.statuses.clear()
    desk.rep("rita@sales.example")
    desk.hand_off(desk.lead())
    desk.drain(lambda: desk.webhooks("dead"))
    assert desk.receiver.received == []
    assert "signature does not match" in desk.receiver.bad_signatures[0]
