"""Whatever rules, users and the CRM ask, the *stored* history never skips a stage."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.bootstrap import Container
from leadloop.domain.lifecycle import TRANSITIONS, Actor, check_history
from leadloop.errors import IllegalTransitionError, InvalidChoiceError, NotFoundError
from leadloop.services.leads import ACTIONS
from leadloop.services.qualify import qualify
from lifecycle_helpers import RULES_V1, activate, add_contact, add_team, hot

requests = st.lists(
    st.one_of(
        st.tuples(st.just("qualify"), st.sampled_from(["hot", "cold"])),
        st.tuples(st.sampled_from(list(ACTIONS)), st.sampled_from(["user", "crm"])),
    ),
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(requests)
def test_stored_history_never_skips_and_cycles_follow_recycles(container: Container, steps) -> None:  # type: ignore[no-untyped-def]
    ws = _workspace(container)
    rules = container.rulebook.active_rules(ws)
    lead = add_contact(container.engine, ws, status="anonymous" if len(steps) % 3 == 0 else "known")
    for kind, how in steps:
        try:
            if kind == "qualify":
                facts = (
                    hot(lead)
                    if how == "hot"
                    else hot(lead, engagement_level="cold", hot_signals=())
                )
                qualify(container.lead_store, ws, [facts], rules)
            else:
                actor = Actor("crm", "salesforce") if how == "crm" else None
                container.leads.act(
                    ws, lead, kind, user_email="sam@seller.example", actor=actor,
                    reason="no budget" if kind == "reject" else None,
                )  # fmt: skip
        except (IllegalTransitionError, InvalidChoiceError):
            pass
    history = list(container.leads.show(ws, lead).history)
    check_history(history)
    assert history[0].from_state is None
    assert all(t.to_state in TRANSITIONS[t.from_state] for t in history[1:] if t.from_state)
    for i, t in enumerate(history):
        recycles = sum(1 for u in history[: i + 1] if u.to_state == "recycled")
        assert t.cycle == 1 + recycles
    view = container.leads.show(ws, lead)
    assert view.state == history[-1].to_state and view.cycle == history[-1].cycle
    assert len({q.cycle for q in view.qualifications}) == len(view.qualifications)


def _workspace(container: Container) -> int:
    try:
        return container.workspaces.workspace_id("seller")
    except NotFoundError:
        ws = container.workspaces.create_workspace("seller")
        add_team(container, ws)
        activate(container, ws, RULES_V1)
        return ws
