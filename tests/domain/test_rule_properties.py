"""Properties of the rule language: round trips, logic, and the behavioural score."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from lead_builders import T0

from leadloop.domain.facts import ENGAGEMENT_LEVELS, GRADES, Engagement, LeadFacts
from leadloop.domain.qualification import check, evaluate
from leadloop.domain.rules import (
    AccountEngaged,
    AllOf,
    AnyOf,
    BuyingStageAtLeast,
    Condition,
    EngagementAtLeast,
    HotSignal,
    Interest,
    Not,
    PersonaIn,
    RuleSet,
    ScoreAtLeast,
    ScoreModel,
    SegmentIn,
)
from leadloop.domain.scoring import behavioural_score
from leadloop.domain.stages import BUYING_STAGES, STAGES
from leadloop.services.rule_files import load_rules, render_rules

words = st.sampled_from(["IT Manager", "Function Head", "smb", "enterprise", "café", "a: b", "- x"])
topics = st.sampled_from(["network security", "cost", "cloud", "compliance"])
assets = st.sampled_from(["coverage-map", "price-list", "wp-1"])
amounts = st.floats(min_value=0, max_value=500, allow_nan=False, allow_infinity=False)

leaves = st.one_of(
    st.builds(BuyingStageAtLeast, st.sampled_from(STAGES)),
    st.builds(EngagementAtLeast, st.sampled_from(ENGAGEMENT_LEVELS)),
    st.builds(HotSignal, st.lists(assets, max_size=2, unique=True).map(tuple)),
    st.builds(
        Interest,
        topics,
        st.none() | st.floats(min_value=0, max_value=1, allow_nan=False),
        st.integers(1, 5),
    ),
    st.builds(Interest, topics, st.floats(min_value=0, max_value=1, allow_nan=False), st.none()),
    st.builds(PersonaIn, st.lists(words, min_size=1, max_size=3).map(tuple)),
    st.builds(SegmentIn, st.lists(words, min_size=1, max_size=3).map(tuple)),
    st.builds(AccountEngaged, st.none() | st.sampled_from(ENGAGEMENT_LEVELS), st.integers(0, 5)),
    st.builds(ScoreAtLeast, amounts),
)
conditions: st.SearchStrategy[Condition] = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda cs: AllOf(tuple(cs))),
        st.lists(inner, min_size=1, max_size=3).map(lambda cs: AnyOf(tuple(cs))),
        inner.map(Not),
    ),
    max_leaves=8,
)
models = st.builds(
    ScoreModel,
    st.floats(min_value=0.5, max_value=365, allow_nan=False),
    st.dictionaries(st.sampled_from(GRADES), amounts),
    st.dictionaries(st.sampled_from(STAGES), amounts, max_size=3),
    amounts,
)
rule_sets = st.builds(
    RuleSet,
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1).filter(
        lambda s: s.strip() == s
    ),
    st.integers(1, 10_000),
    conditions,
    models,
    st.none() | st.just("Agreed on 2026-03-01."),
)
engagements = st.builds(
    Engagement,
    assets,
    st.sampled_from(GRADES),
    st.sampled_from(BUYING_STAGES),
    st.integers(0, 400).map(lambda d: T0 + timedelta(days=d, hours=d % 7)),
    st.lists(topics, max_size=2).map(tuple),
    st.none() | st.floats(min_value=0.1, max_value=1),
)
lead_facts = st.builds(
    LeadFacts,
    contact_id=st.integers(1, 1000),
    as_of=st.integers(0, 500).map(lambda d: T0 + timedelta(days=d)),
    buying_stage=st.none() | st.sampled_from(STAGES),
    engagement_level=st.sampled_from(ENGAGEMENT_LEVELS),
    hot_signals=st.lists(assets, max_size=2, unique=True).map(tuple),
    interests=st.dictionaries(topics, st.floats(min_value=0, max_value=1)),
    persona=st.none() | words,
    segment=st.none() | words,
    account_id=st.none() | st.integers(1, 9),
    account_engagement_level=st.none() | st.sampled_from(ENGAGEMENT_LEVELS),
    account_active_contacts=st.integers(0, 6),
    engagements=st.lists(engagements, max_size=6).map(tuple),
)


@settings(max_examples=300)
@given(rule_sets)
def test_generated_rule_sets_survive_render_then_parse(rules: RuleSet) -> None:
    assert load_rules(render_rules(rules)) == rules


@given(conditions, lead_facts, models)
def test_not_inverts_the_evaluation(
    condition: Condition, facts: LeadFacts, model: ScoreModel
) -> None:
    score = behavioural_score(model, facts.engagements, facts.as_of)
    inner = check(condition, facts, score)
    negated = check(Not(condition), facts, score)
    assert negated.passed is not inner.passed
    assert negated.reasons == inner.reasons


@given(conditions, lead_facts, models)
def test_all_or_any_of_one_condition_is_that_condition(
    condition: Condition, facts: LeadFacts, model: ScoreModel
) -> None:
    score = behavioural_score(model, facts.engagements, facts.as_of)
    alone = check(condition, facts, score)
    assert check(AllOf((condition,)), facts, score) == alone
    assert check(AnyOf((condition,)), facts, score) == alone


@given(models, st.lists(engagements, max_size=12), st.randoms(use_true_random=False), lead_facts)
def test_score_ignores_the_order_of_engagements(model, items, rnd, facts) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a = behavioural_score(model, items, facts.as_of)
    b = behavioural_score(model, shuffled, facts.as_of)
    assert a.total == b.total
    assert a.by_grade == b.by_grade


@given(
    models,
    st.lists(engagements, max_size=8),
    st.integers(0, 500),
    st.integers(0, 500),
)
def test_score_decays_monotonically_as_time_passes(model, items, start, later) -> None:
    first, second = sorted((start, later))
    early = behavioural_score(model, items, T0 + timedelta(days=first)).total
    late = behavioural_score(model, items, T0 + timedelta(days=second)).total
    assert late <= early


@given(rule_sets, lead_facts)
def test_evaluation_always_explains_itself(rules: RuleSet, facts: LeadFacts) -> None:
    q = evaluate(rules, facts)
    assert q.reasons and all(r.endswith(".") and r[0].isupper() for r in q.reasons)
