"""The lifecycle state machine: every legal and illegal move, implied steps, no skipping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lead_builders import T0

from leadloop.domain.lifecycle import (
    TRANSITIONS,
    Actor,
    Transition,
    check_history,
    path,
    plan,
)
from leadloop.domain.stages import LIFECYCLE_STATES
from leadloop.errors import IllegalTransitionError

LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
ILLEGAL = [(a, b) for a in LIFECYCLE_STATES for b in LIFECYCLE_STATES if b not in TRANSITIONS[a]]
USER = Actor("user", "rep@acme.example")
RULE = Actor("rule", "v3")


def test_the_table_covers_every_state_and_the_closed_loop() -> None:
    assert set(TRANSITIONS) == set(LIFECYCLE_STATES)
    assert len(LEGAL) == 13 and len(ILLEGAL) == 100 - 13
    assert TRANSITIONS["sales_ready"] == ("accepted", "rejected")
    assert TRANSITIONS["won"] == ()
    assert "recycled" in TRANSITIONS["lost"] and "recycled" in TRANSITIONS["rejected"]
    assert TRANSITIONS["recycled"] == ("engaged", "sales_ready")


@pytest.mark.parametrize(("from_state", "to_state"), LEGAL)
def test_every_legal_move_is_one_recorded_step(from_state: str, to_state: str) -> None:
    steps = plan(42, from_state, 2, to_state, at=T0, actor=USER, reason="why")
    assert [(s.from_state, s.to_state, s.reason) for s in steps] == [(from_state, to_state, "why")]
    assert steps[0].cycle == (3 if to_state == "recycled" else 2)


@pytest.mark.parametrize(("from_state", "to_state"), ILLEGAL)
def test_every_illegal_move_by_a_person_is_refused_with_what_is_allowed(
    from_state: str, to_state: str
) -> None:
    with pytest.raises(IllegalTransitionError) as info:
        plan(42, from_state, 1, to_state, at=T0, actor=USER)
    allowed = ", ".join(TRANSITIONS[from_state]) or "none (final state)"
    assert info.value.message == (
        f"lead 42 cannot go from {from_state} to {to_state}; allowed: {allowed}"
    )
    assert info.value.detail["allowed"] == list(TRANSITIONS[from_state])


def test_the_brief_message() -> None:
    with pytest.raises(
        IllegalTransitionError,
        match=r"^lead 42 cannot go from sales_ready to won; allowed: accepted, rejected$",
    ):
        path(42, "sales_ready", "won", implied=False)


def test_a_rule_may_skip_ahead_through_recorded_implied_steps() -> None:
    steps = plan(
        7, "known", 1, "sales_ready", at=T0, actor=RULE, reason="hot signal", rule_version=3
    )
    assert [(s.from_state, s.to_state) for s in steps] == [
        ("known", "engaged"),
        ("engaged", "sales_ready"),
    ]
    assert (
        steps[0].reason == "implied on the way to sales_ready" and steps[1].reason == "hot signal"
    )
    assert all(s.at == T0 and s.rule_version == 3 and s.actor == RULE for s in steps)


def test_implied_steps_never_cross_a_cycle_or_go_backwards() -> None:
    crm = Actor("crm", "salesforce")
    assert path(7, "sales_ready", "opportunity", implied=True) == ["accepted", "opportunity"]
    for state, target in [("won", "engaged"), ("opportunity", "sales_ready"), ("lost", "engaged")]:
        with pytest.raises(IllegalTransitionError):
            plan(7, state, 1, target, at=T0, actor=crm)


def test_unknown_state_is_named() -> None:
    with pytest.raises(IllegalTransitionError, match="unknown state 'mql'"):
        path(1, "known", "mql", implied=True)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(LIFECYCLE_STATES), st.sampled_from(["rule", "user", "crm", "system"])
        ),
        max_size=30,
    )
)
def test_any_sequence_of_requests_leaves_a_history_that_never_skips(requests) -> None:
    state, cycle, history = "anonymous", 1, []
    for target, kind in requests:
        try:
            steps = plan(1, state, cycle, target, at=T0, actor=Actor(kind))
        except IllegalTransitionError:
            continue
        history.extend(steps)
        state, cycle = steps[-1].to_state, steps[-1].cycle
    check_history(history)
    for t in history:
        assert t.to_state in TRANSITIONS[t.from_state or "anonymous"]
    assert [t.cycle for t in history] == sorted(t.cycle for t in history)
    assert cycle == 1 + sum(t.to_state == "recycled" for t in history)


def test_check_history_refuses_a_stored_skip() -> None:
    skip = [
        Transition(1, None, "known", T0, 1, USER),
        Transition(1, "known", "sales_ready", T0, 1, USER),
    ]
    with pytest.raises(IllegalTransitionError, match="cannot go from known to sales_ready"):
        check_history(skip)
