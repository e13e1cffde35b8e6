"""Owner assignment: fair round-robin, territory rules, account owner, never an inactive rep."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadloop.domain.assignment import (
    ALL_REPS,
    AssignmentPolicy,
    LeadSpot,
    NoRepError,
    SalesRep,
    TerritoryRule,
    assign,
    parse_policy,
)

TEAM = [
    SalesRep(1, "Ana", "ana@s.example", manager_id=4),
    SalesRep(2, "Bo", "bo@s.example", manager_id=4),
    SalesRep(3, "Cy", "cy@s.example", manager_id=4, active=False),
    SalesRep(4, "Dee", "dee@s.example"),
]

reps_strategy = st.lists(
    st.tuples(st.integers(1, 50), st.booleans()), min_size=1, max_size=12, unique_by=lambda t: t[0]
).map(lambda pairs: [SalesRep(i, f"r{i}", f"r{i}@s.example", active=a) for i, a in pairs])


def run_round_robin(
    policy: AssignmentPolicy, reps: list[SalesRep], spots: list[LeadSpot]
) -> list[int]:
    cursors: dict[str, int] = {}
    picked = []
    for spot in spots:
        result = assign(policy, reps, spot, cursors)
        if result.cursor:
            cursors[result.cursor[0]] = result.cursor[1]
        picked.append(result.rep_id)
    return picked


@given(reps=reps_strategy, n=st.integers(0, 200))
def test_round_robin_is_fair_and_never_picks_an_inactive_rep(reps: list[SalesRep], n: int) -> None:
    active = {r.id for r in reps if r.active}
    if not active:
        with pytest.raises(NoRepError):
            assign(AssignmentPolicy(), reps, LeadSpot(), {})
        return
    picked = run_round_robin(AssignmentPolicy(), reps, [LeadSpot()] * n)
    assert set(picked) <= active
    counts = [picked.count(rep) for rep in active]
    assert max(counts) - min(counts) <= 1


@given(
    reps=reps_strategy,
    spots=st.lists(
        st.builds(LeadSpot, region=st.sampled_from(["EMEA", "emea", "APAC", None])), max_size=60
    ),
)
def test_territory_rotation_is_fair_within_the_matching_pool(
    reps: list[SalesRep], spots: list[LeadSpot]
) -> None:
    emea = [r.email for r in reps[: len(reps) // 2 + 1]]
    policy = AssignmentPolicy(
        ("territory", "round_robin"), (TerritoryRule("emea", tuple(emea), {"region": "EMEA"}),)
    )
    active = {r.id for r in reps if r.active}
    if not active:
        return
    picked = run_round_robin(policy, reps, spots)
    assert set(picked) <= active
    pool = {r.id for r in reps if r.email in emea and r.active}
    in_emea = [
        rep for rep, spot in zip(picked, spots, strict=True) if spot.region in ("EMEA", "emea")
    ]
    if pool:
        assert set(in_emea) <= pool
        counts = [in_emea.count(rep) for rep in pool]
        assert max(counts) - min(counts) <= 1


def test_territory_rules_pick_the_first_match_else_the_fallback() -> None:
    policy = parse_policy(
        {
            "strategies": ["territory", "round_robin"],
            "territories": [
                {"name": "emea-cio", "match": {"region": "EMEA", "persona": "Function Head"},
                 "reps": ["bo@s.example"]},
                {"name": "emea", "match": {"region": "emea"}, "reps": ["ana@s.example"]},
                {"name": "asia", "match": {"region": "APAC"}, "reps": ["cy@s.example"]},
            ],
        }
    )  # fmt: skip
    cio = assign(policy, TEAM, LeadSpot(region="EMEA", persona="function head"), {})
    assert (cio.rep_id, cio.reason) == (2, "territory rule 'emea-cio'")
    assert assign(policy, TEAM, LeadSpot(region="EMEA", persona="CFO"), {}).rep_id == 1
    # cy is inactive: the APAC rule has nobody, so the fallback round-robin decides.
    apac = assign(policy, TEAM, LeadSpot(region="APAC"), {ALL_REPS: 1})
    assert (apac.strategy, apac.rep_id) == ("round_robin", 2)
    nowhere = assign(policy, TEAM, LeadSpot(region="LATAM"), {ALL_REPS: 2})
    assert (nowhere.strategy, nowhere.rep_id) == ("round_robin", 4)


def test_the_account_owner_wins_when_active_else_the_next_strategy() -> None:
    policy = parse_policy({"strategies": ["account_owner", "round_robin"]})
    owned = assign(policy, TEAM, LeadSpot(account_owner_id=2), {ALL_REPS: 1})
    assert (owned.rep_id, owned.strategy, owned.cursor) == (2, "account_owner", None)
    inactive_owner = assign(policy, TEAM, LeadSpot(account_owner_id=3), {ALL_REPS: 1})
    assert (inactive_owner.rep_id, inactive_owner.strategy) == (2, "round_robin")


def test_no_active_rep_says_what_to_do() -> None:
    with pytest.raises(NoRepError, match="leadloop rep add"):
        assign(AssignmentPolicy(("account_owner",)), TEAM, LeadSpot(), {})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"strategies": ["random"]}, "unknown strategy 'random'"),
        ({"strategies": ["territory"]}, "needs at least one entry"),
        ({"strategy": ["round_robin"]}, "unknown policy keys"),
        ({"territories": [{"match": {"city": "Rome"}, "reps": ["a@b"]}]}, "may only use"),
        ({"territories": [{"match": {"region": "EMEA"}, "reps": []}]}, "non-empty list"),
        ({"territories": ["emea"]}, r"territories\[0\] must be a mapping"),
    ],
)
def test_bad_policies_are_refused_with_the_place_and_what_is_allowed(
    document: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policy(document)
