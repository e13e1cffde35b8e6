"""Service levels: an unanswered hand-off escalates to the manager once, and is reported."""

from __future__ import annotations

from datetime import timedelta

from desk_helpers import Desk, make_desk

from leadloop.services.handoff import mark_responded
from leadloop.store.handoffs import breaches, report


def test_a_breach_escalates_to_the_manager_once(desk: Desk) -> None:
    desk.rep("maria@sales.example")
    desk.rep("rita@sales.example", manager="maria@sales.example")
    desk.container.reps.set_active(desk.workspace_id, "maria@sales.example", False)
    stored = desk.hand_off(desk.lead("Ana Silva"))
    worker = desk.worker()
    assert worker.check_service_levels(stored.created_at + timedelta(hours=3)) == 0
    late = stored.due_at + timedelta(minutes=1)
    assert worker.check_service_levels(late) == 1
    assert worker.check_service_levels(late + timedelta(hours=1)) == 0  # once only
    later = late + timedelta(hours=1, seconds=1)
    desk.drain(lambda: desk.smtp.messages_to("maria@sales.example"), now=later)
    desk.drain(lambda: len(desk.receiver.delivered()) == 2, now=later)
    [mail] = desk.smtp.messages_to("maria@sales.example")
    assert mail["Subject"] == "Service level missed: Ana Silva (Acme Logistics)"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Missed by:     rita <rita@sales.example>" in text
    escalated = [r for r in desk.receiver.delivered() if r.event == "lead.escalated"]
    [item] = escalated[0].body["data"]["items"]
    assert item["breached_by"]["email"] == "rita@sales.example"
    assert item["manager"]["email"] == "maria@sales.example"
    [breach] = breaches(desk.engine, desk.workspace_id)
    assert breach.escalated and breach.email == "rita@sales.example"
    lines = {line.email: line for line in report(desk.engine, desk.workspace_id)}
    assert lines["rita@sales.example"].breaches == 1
    assert lines["rita@sales.example"].escalated == 1
    assert lines["maria@sales.example"].breaches == 0


def test_an_answer_in_time_never_escalates_and_a_late_one_counts_as_a_breach(
    desk: Desk,
) -> None:
    desk.rep("rita@sales.example")
    on_time, late = desk.lead("Ana Silva"), desk.lead("Bo Chen")
    a, b = desk.hand_off(on_time), desk.hand_off(late)
    with desk.engine.begin() as conn:
        mark_responded(conn, on_time.contact_id, 1, "accepted", a.created_at + timedelta(hours=1))
        mark_responded(conn, late.contact_id, 1, "rejected", b.due_at + timedelta(minutes=5))
    assert desk.worker().check_service_levels(b.due_at + timedelta(days=1)) == 0
    [breach] = breaches(desk.engine, desk.workspace_id)
    assert breach.contact_id == late.contact_id and not breach.escalated


def test_reassignment_moves_the_lead_to_the_next_rep_and_restarts_the_clock(
    store, receiver, smtp
) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(store, receiver, smtp, sla_reassign=True, sla_max_escalations=2)
    try:
        desk.rep("maria@sales.example")
        desk.rep("rita@sales.example", manager="maria@sales.example")
        bob = desk.rep("bob@sales.example", manager="maria@sales.example")
        desk.container.reps.set_active(desk.workspace_id, "maria@sales.example", False)
        stored = desk.hand_off(desk.lead())
        assert stored.rep_id != bob  # rita first (round-robin by id)
        worker = desk.worker()
        late = stored.due_at + timedelta(seconds=1)
        assert worker.check_service_levels(late) == 1
        [breach] = breaches(desk.engine, desk.workspace_id)
        assert breach.reassigned_to_id == bob
        desk.drain(lambda: desk.smtp.messages_to("bob@sales.example"), now=late)
        [mail] = desk.smtp.messages_to("bob@sales.example")
        assert mail["Subject"].startswith("Sales-ready lead") or "sales-ready" in mail["Subject"]
        assert worker.check_service_levels(late + timedelta(seconds=1)) == 0  # new clock
    finally:
        desk.container.close()


def test_an_unassigned_overdue_lead_is_still_escalated_to_the_webhooks(desk: Desk) -> None:
    stored = desk.hand_off(desk.lead("Nobody's Lead"))
    late = stored.due_at + timedelta(seconds=1)
    assert desk.worker().check_service_levels(late) == 1
    desk.drain(lambda: len(desk.receiver.delivered()) == 2, now=late)
    assert sorted(r.event for r in desk.receiver.delivered()) == [
        "lead.escalated",
        "lead.handed_off",
    ]
    [breach] = breaches(desk.engine, desk.workspace_id)
    assert breach.rep_id is None and breach.email is None and breach.escalated
