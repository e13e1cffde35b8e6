"""Sales actions and qualification on the real stores: legal and illegal moves, idempotency,
recycling into a new cycle, the hook inside the qualifying transaction, concurrent runs."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Connection, func, select

from leadloop.bootstrap import Container
from leadloop.domain.lifecycle import TRANSITIONS, check_history
from leadloop.domain.lifecycle_measures import nurture_periods
from leadloop.domain.stages import LIFECYCLE_STATES
from leadloop.errors import (
    ForbiddenError,
    IllegalTransitionError,
    InvalidChoiceError,
    NotFoundError,
)
from leadloop.services.leads import ACTIONS, AUTO_RECYCLED
from leadloop.services.qualify import SalesReadyLead, qualify
from leadloop.store.tables import lead_states, lead_transitions, qualifications
from lifecycle_helpers import T0, activate, add_contact, add_team, hot, put_in_state

SAM, MIA = "sam@seller.example", "mia@seller.example"


@pytest.fixture
def ws(container: Container) -> int:
    ws = container.workspaces.create_workspace("seller")
    add_team(container, ws)
    return ws


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_from_every_state_moves_or_is_refused_by_the_table(
    container: Container, ws: int, action: str
) -> None:
    target = ACTIONS[action]
    for state in LIFECYCLE_STATES:
        lead = add_contact(container.engine, ws, "anonymous")
        put_in_state(container, ws, lead, state)
        before = len(container.leads.show(ws, lead).history)
        reason = "no budget" if action == "reject" else None
        if state == target:
            result = container.leads.act(ws, lead, action, user_email=SAM, reason=reason)
            assert not result.changed and len(result.lead.history) == before
        elif target in TRANSITIONS[state]:
            result = container.leads.act(ws, lead, action, user_email=SAM, reason=reason)
            assert result.changed
            moved = result.lead.history[before:]
            expected = [(state, target)] + (
                [(target, "recycled")] if target in AUTO_RECYCLED else []
            )
            assert [(t.from_state, t.to_state) for t in moved] == expected, state
            assert all(t.actor.kind == "user" and t.actor.id == SAM for t in moved)
            assert moved[0].reason == reason
        else:
            with pytest.raises(
                IllegalTransitionError, match=f"lead {lead} cannot go from {state} to {target}"
            ):
                container.leads.act(ws, lead, action, user_email=SAM, reason=reason)
            assert container.leads.show(ws, lead).state == state
            assert len(container.leads.show(ws, lead).history) == before
        check_history(list(container.leads.show(ws, lead).history))


def test_repeating_an_action_is_a_no_op_and_a_conflicting_one_is_refused(
    container: Container, ws: int
) -> None:
    lead = add_contact(container.engine, ws)
    put_in_state(container, ws, lead, "sales_ready")
    leads = container.leads
    assert leads.act(ws, lead, "reject", user_email=SAM, reason="No Budget").changed
    again = leads.act(ws, lead, "reject", user_email=SAM, reason="bad timing")
    assert not again.changed and again.lead.state == "rejected"
    assert again.lead.history[-1].reason == "no budget"  # the configured spelling is stored
    with pytest.raises(
        IllegalTransitionError, match="cannot go from rejected to accepted; allowed: recycled"
    ):
        leads.act(ws, lead, "accept", user_email=SAM)


def test_lost_is_recycled_at_once_and_repeating_lost_changes_nothing(
    container: Container, ws: int
) -> None:
    lead = add_contact(container.engine, ws)
    put_in_state(container, ws, lead, "opportunity")
    result = container.leads.act(ws, lead, "lost", user_email=SAM, reason="went with a rival")
    assert (result.lead.state, result.lead.cycle) == ("recycled", 2)
    assert [(t.to_state, t.cycle) for t in result.lead.history[-2:]] == [
        ("lost", 1),
        ("recycled", 2),
    ]
    again = container.leads.act(ws, lead, "lost", user_email=SAM)
    assert not again.changed and len(again.lead.history) == len(result.lead.history)


def test_a_reject_reason_must_come_from_the_configured_list(container: Container, ws: int) -> None:
    lead = add_contact(container.engine, ws)
    put_in_state(container, ws, lead, "sales_ready")
    with pytest.raises(InvalidChoiceError) as info:
        container.leads.act(ws, lead, "reject", user_email=SAM, reason="smells funny")
    assert "allowed: not a fit, no budget" in info.value.message
    assert info.value.detail["allowed"] == container.settings.lead_reject_reasons
    with pytest.raises(InvalidChoiceError):
        container.leads.act(ws, lead, "reject", user_email=SAM)
    assert container.leads.show(ws, lead).state == "sales_ready"


def test_marketing_cannot_accept_and_unknown_leads_are_named(container: Container, ws: int) -> None:
    lead = add_contact(container.engine, ws)
    put_in_state(container, ws, lead, "sales_ready")
    with pytest.raises(ForbiddenError, match="only sales or admin users may accept"):
        container.leads.act(ws, lead, "accept", user_email=MIA)
    with pytest.raises(NotFoundError, match="lead 999999 does not exist"):
        container.leads.act(ws, 999999, "accept", user_email=SAM)


def test_qualify_moves_a_known_lead_with_implied_steps_and_stores_why(
    container: Container, ws: int
) -> None:
    activate(container, ws)
    lead = add_contact(container.engine, ws)
    rules = container.rulebook.active_rules(ws)
    [result] = qualify(container.lead_store, ws, [hot(lead)], rules, now=T0 + timedelta(days=10))
    assert result.moved and result.qualification.qualified and result.state == "sales_ready"
    view = container.leads.show(ws, lead)
    assert [(t.from_state, t.to_state, t.actor.kind) for t in view.history] == [
        (None, "known", "system"),
        ("known", "engaged", "rule"),
        ("engaged", "sales_ready", "rule"),
    ]
    assert view.history[1].reason == "implied on the way to sales_ready"
    assert all(t.rule_version == 1 for t in view.history[1:])
    [q] = view.qualifications
    assert (q.rule_version, q.cycle) == (1, 1)
    assert q.reasons == result.qualification.reasons
    assert "Consumed hot content: coverage-map." in q.reasons


def test_qualify_leaves_anonymous_and_already_sales_ready_leads_where_they_are(
    container: Container, ws: int
) -> None:
    activate(container, ws)
    rules = container.rulebook.active_rules(ws)
    anon = add_contact(container.engine, ws, "anonymous")
    lead = add_contact(container.engine, ws)
    first = qualify(container.lead_store, ws, [hot(anon), hot(lead)], rules)
    assert [r.moved for r in first] == [False, True]
    assert first[0].state == "anonymous"
    second = qualify(container.lead_store, ws, [hot(lead)], rules)
    assert not second[0].moved and len(container.leads.show(ws, lead).qualifications) == 1


def test_a_known_lead_that_reads_but_does_not_qualify_becomes_engaged(
    container: Container, ws: int
) -> None:
    activate(container, ws)
    lead = add_contact(container.engine, ws)
    cold = hot(lead, persona="Business Strategist")
    [result] = qualify(container.lead_store, ws, [cold], container.rulebook.active_rules(ws))
    assert not result.qualification.qualified and result.state == "engaged"
    assert container.leads.show(ws, lead).history[-1].reason == "consumed content"


def test_the_hook_runs_in_the_qualifying_transaction(container: Container, ws: int) -> None:
    activate(container, ws)
    rules = container.rulebook.active_rules(ws)
    lead, other = add_contact(container.engine, ws), add_contact(container.engine, ws)
    seen: list[tuple[str, int]] = []

    def record(conn: Connection, ready: SalesReadyLead) -> None:
        state = conn.execute(
            select(lead_states.c.state).where(lead_states.c.contact_id == ready.contact_id)
        ).scalar_one()
        seen.append((state, ready.qualification.rule_version))

    def fail(conn: Connection, ready: SalesReadyLead) -> None:
        raise RuntimeError("outbox is full")

    qualify(container.lead_store, ws, [hot(lead)], rules, on_sales_ready=[record])
    assert seen == [("sales_ready", 1)]
    with pytest.raises(RuntimeError):
        qualify(container.lead_store, ws, [hot(other)], rules, on_sales_ready=[fail])
    view = container.leads.show(ws, other)
    assert view.state == "known" and view.qualifications == ()


def test_a_recycled_lead_qualifies_again_in_a_new_cycle_keeping_its_history(
    container: Container, ws: int
) -> None:
    activate(container, ws)
    rules = container.rulebook.active_rules(ws)
    lead = add_contact(container.engine, ws, created_at=T0)
    qualify(container.lead_store, ws, [hot(lead, 10)], rules, now=T0 + timedelta(days=10))
    leads = container.leads
    leads.act(ws, lead, "accept", user_email=SAM, at=T0 + timedelta(days=11))
    leads.act(ws, lead, "convert", user_email=SAM, at=T0 + timedelta(days=20))
    leads.act(ws, lead, "lost", user_email=SAM, at=T0 + timedelta(days=30))
    [again] = qualify(container.lead_store, ws, [hot(lead, 75)], rules, now=T0 + timedelta(days=75))
    assert again.moved and again.cycle == 2
    view = leads.show(ws, lead)
    assert (view.state, view.cycle) == ("sales_ready", 2)
    assert [q.cycle for q in view.qualifications] == [1, 2]
    assert [t.to_state for t in view.history] == [
        "known",
        "engaged",
        "sales_ready",
        "accepted",
        "opportunity",
        "lost",
        "recycled",
        "sales_ready",
    ]
    check_history(list(view.history))
    periods = nurture_periods(view.history)
    assert [(p.cycle, p.duration) for p in periods] == [
        (1, timedelta(days=10)),  # first touch (contact created) → day 10
        (2, timedelta(days=45)),  # recycled on day 30 → day 75
    ]


def test_concurrent_qualification_of_one_contact_qualifies_once(
    container: Container, ws: int
) -> None:
    activate(container, ws)
    rules = container.rulebook.active_rules(ws)
    lead = add_contact(container.engine, ws)
    start = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def slow_hook(conn: Connection, ready: SalesReadyLead) -> None:
        time.sleep(0.3)  # hold the lock while the other run waits for it

    def run() -> None:
        try:
            start.wait()
            [r] = qualify(container.lead_store, ws, [hot(lead)], rules, on_sales_ready=[slow_hook])
            results.append(r.moved)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == [False, True]
    with container.engine.connect() as conn:
        n_q = conn.execute(select(func.count()).select_from(qualifications)).scalar_one()
        n_ready = conn.execute(
            select(func.count()).where(lead_transitions.c.to_state == "sales_ready")
        ).scalar_one()
        n_first = conn.execute(
            select(func.count()).where(lead_transitions.c.from_state.is_(None))
        ).scalar_one()
    assert (n_q, n_ready, n_first) == (1, 1, 1)


def test_a_recycled_lead_that_reads_again_is_engaged_then_qualifies(
    container: Container, ws: int
) -> None:
    activate(container, ws)
    rules = container.rulebook.active_rules(ws)
    lead = add_contact(container.engine, ws)
    put_in_state(container, ws, lead, "recycled")  # recycled on day 1
    recycled_at = container.leads.show(ws, lead).since
    stale = hot(lead, 0.5, persona="Business Strategist")  # read before the recycle
    [r] = qualify(container.lead_store, ws, [stale], rules)
    assert r.state == "recycled"
    fresh = hot(lead, 5, persona="Business Strategist")
    [r] = qualify(container.lead_store, ws, [fresh], rules)
    assert (r.state, r.cycle) == ("engaged", 2)
    assert container.leads.show(ws, lead).history[-1].at > recycled_at
    [r] = qualify(container.lead_store, ws, [hot(lead, 6)], rules)
    assert r.moved and (r.state, r.cycle) == ("sales_ready", 2)


def test_showing_a_lead_writes_nothing(container: Container, ws: int) -> None:
    lead = add_contact(container.engine, ws)
    view = container.leads.show(ws, lead)
    assert view.state == "known" and [t.reason for t in view.history] == ["first touch"]
    assert container.leads.list(ws) == []


def test_without_now_moves_are_stamped_when_observed_never_before_the_state(
    container: Container, ws: int
) -> None:
    activate(container, ws)
    rules = container.rulebook.active_rules(ws)
    early, late = (
        add_contact(container.engine, ws),
        add_contact(container.engine, ws, created_at=T0 + timedelta(days=30)),
    )
    qualify(container.lead_store, ws, [hot(early, 12), hot(late, 12)], rules)
    assert container.leads.show(ws, early).history[-1].at == T0 + timedelta(days=12)
    assert container.leads.show(ws, late).history[-1].at == T0 + timedelta(days=30)
