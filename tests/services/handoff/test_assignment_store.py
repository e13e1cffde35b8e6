"""Assignment strategies through hand_off on the real store: cursors, owners, territories."""

from __future__ import annotations

import pytest
from desk_helpers import Desk

from leadloop.errors import NotFoundError, ValidationError


def test_round_robin_rotates_over_active_reps_across_transactions(desk: Desk) -> None:
    ana, bo = desk.rep("ana@sales.example"), desk.rep("bo@sales.example")
    desk.rep("cy@sales.example")
    desk.container.reps.set_active(desk.workspace_id, "cy@sales.example", False)
    owners = [desk.hand_off(desk.lead(f"Lead {i}")).rep_id for i in range(5)]
    assert owners == [ana, bo, ana, bo, ana]


def test_the_account_owner_takes_leads_of_their_account(desk: Desk) -> None:
    desk.rep("ana@sales.example")
    bo = desk.rep("bo@sales.example")
    desk.container.reps.set_policy(
        desk.workspace_id, {"strategies": ["account_owner", "round_robin"]}
    )
    first = desk.lead("Lead A")
    assert first.lead.account is not None
    desk.container.reps.set_account_owner(
        desk.workspace_id, first.lead.account.id, "bo@sales.example"
    )
    stored = [desk.hand_off(first), desk.hand_off(desk.lead("Lead B"))]
    assert [s.rep_id for s in stored] == [bo, bo]
    assert stored[0].strategy == "account_owner"


def test_territory_rules_from_the_stored_policy(desk: Desk) -> None:
    ana, bo = desk.rep("ana@sales.example"), desk.rep("bo@sales.example")
    desk.container.reps.set_policy(
        desk.workspace_id,
        {
            "strategies": ["territory", "round_robin"],
            "territories": [
                {"name": "emea", "match": {"region": "EMEA"}, "reps": ["bo@sales.example"]}
            ],
        },
    )
    emea = desk.hand_off(desk.lead("Lead E", region="EMEA"))
    other = desk.hand_off(desk.lead("Lead O", region="APAC"))
    assert (emea.rep_id, emea.strategy) == (bo, "territory")
    assert (other.rep_id, other.strategy) == (ana, "round_robin")


def test_a_policy_naming_an_unknown_rep_or_strategy_is_refused(desk: Desk) -> None:
    with pytest.raises(NotFoundError, match=r"leadloop rep add nobody@sales\.example"):
        desk.container.reps.set_policy(
            desk.workspace_id,
            {"strategies": ["territory"],
             "territories": [{"match": {"region": "EMEA"}, "reps": ["nobody@sales.example"]}]},
        )  # fmt: skip
    with pytest.raises(ValidationError, match="unknown strategy"):
        desk.container.reps.set_policy(desk.workspace_id, {"strategies": ["lottery"]})
