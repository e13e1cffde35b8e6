"""The rule language: parsing, line-precise validation, and evaluation with reasons."""

from __future__ import annotations

from pathlib import Path

import pytest
from lead_builders import engagement, facts

from leadloop.domain.qualification import evaluate
from leadloop.domain.rule_parser import parse
from leadloop.domain.rules import (
    AccountEngaged,
    AllOf,
    AnyOf,
    BuyingStageAtLeast,
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
from leadloop.errors import RuleError
from leadloop.services.rule_files import load_rules, render_rules

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "sales-ready.yaml"

GOOD = """\
name: Northpeak sales-ready lead
version: 3
qualify_when:
  all:
    - buying_stage: {at_least: consideration}
    - any:
        - engagement: hot
        - score: {at_least: 60}
        - hot_signal: any
    - persona: {in: [Function Head, Transformational Leader, IT Manager]}
score:
  half_life_days: 30
  points: {grade: {glance: 1, read: 3, deep_read: 6, completed: 8, downloaded: 10},
           stage: {consideration: 5, purchase: 10}, signal: 20}
"""


def test_the_example_file_parses_to_the_tree_it_states() -> None:
    rules = load_rules(GOOD)
    assert rules.name == "Northpeak sales-ready lead" and rules.version == 3
    assert rules.qualify_when == AllOf(
        (
            BuyingStageAtLeast("consideration"),
            AnyOf((EngagementAtLeast("hot"), ScoreAtLeast(60.0), HotSignal())),
            PersonaIn(("Function Head", "Transformational Leader", "IT Manager")),
        )
    )
    assert rules.score.half_life_days == 30
    assert dict(rules.score.stage) == {"consideration": 5, "purchase": 10}
    assert rules.score.signal == 20
    assert load_rules(EXAMPLE.read_text()).version == 1


def test_every_leaf_kind_parses() -> None:
    text = """\
name: all leaves
version: 1
qualify_when:
  any:
    - interest: {topic: network security, at_least: 0.5, top: 3}
    - segment: enterprise
    - account: {engagement: warm, min_active_contacts: 2}
    - hot_signal: {in: [coverage-map]}
    - not: {engagement: {at_least: warm}}
"""
    rules = load_rules(text)
    assert rules.qualify_when == AnyOf(
        (
            Interest("network security", 0.5, 3),
            SegmentIn(("enterprise",)),
            AccountEngaged("warm", 2),
            HotSignal(("coverage-map",)),
            Not(EngagementAtLeast("warm")),
        )
    )
    assert load_rules(render_rules(rules)) == rules


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "at_least: consideration",
            "at_least: considerate",
            "rules.yaml:5: qualify_when.all[0].buying_stage.at_least: unknown stage "
            "'considerate'; allowed: epiphany, awareness, interest, consideration, purchase,",
        ),
        (
            "engagement: hot",
            "engagement: boiling",
            "rules.yaml:7: qualify_when.all[1].any[0].engagement: unknown engagement level "
            "'boiling'; allowed: cold, warm, hot",
        ),
        (
            "score: {at_least: 60}",
            "score: {at_least: lots}",
            "rules.yaml:8: qualify_when.all[1].any[1].score.at_least: expected a number",
        ),
        (
            "hot_signal: any",
            "hot_sigal: any",
            "rules.yaml:9: qualify_when.all[1].any[2].hot_sigal: unknown key 'hot_sigal'; "
            "allowed: all, any, not,",
        ),
        (
            "half_life_days: 30",
            "half_life_days: 0",
            "rules.yaml:12: score.half_life_days: expected a positive",
        ),
        (
            "downloaded: 10}",
            "downloads: 10}",
            "rules.yaml:13: score.points.grade.downloads: unknown grade 'downloads'; "
            "allowed: glance,",
        ),
        ("version: 3", "version: three", "rules.yaml:2: version: expected a whole number"),
        (
            "name: Northpeak sales-ready lead\n",
            "",
            "rules.yaml:1: (document): missing required key 'name'",
        ),
        (
            "    - persona: {in: [Function Head, Transformational Leader, IT Manager]}",
            "    - persona: {in: []}",
            "rules.yaml:10: qualify_when.all[2].persona.in: expected a text or a non-empty list",
        ),
        ("  all:\n", "  al:\n", "rules.yaml:4: qualify_when.al: unknown key 'al'"),
        ("version: 3", "version: [3", "rules.yaml:3: not valid YAML"),
    ],
)
def test_errors_name_the_line_the_path_and_what_is_allowed(
    old: str, new: str, message: str
) -> None:
    assert old in GOOD
    with pytest.raises(RuleError) as info:
        load_rules(GOOD.replace(old, new, 1))
    assert str(info.value).startswith(message), str(info.value)
    assert info.value.detail["source"] == "rules.yaml"


def test_two_conditions_in_one_item_are_refused() -> None:
    with pytest.raises(RuleError, match=r"rules.yaml:3: qualify_when: expected exactly one"):
        load_rules("name: x\nversion: 1\nqualify_when: {engagement: hot, segment: smb}\n")


def test_an_empty_file_is_refused_with_what_it_needs() -> None:
    with pytest.raises(RuleError, match="empty; it needs name, version, qualify_when"):
        load_rules("")


def test_parse_without_lines_still_names_the_path() -> None:
    with pytest.raises(RuleError, match=r"^api: qualify_when.not: expected a mapping"):
        parse({"name": "x", "version": 1, "qualify_when": {"not": 3}}, source="api")


RULES = load_rules(GOOD)


def test_a_qualifying_lead_gets_one_sentence_per_reason() -> None:
    lead = facts(
        buying_stage="purchase",
        engagement_level="hot",
        persona="IT Manager",
        hot_signals=("coverage-map",),
    )
    q = evaluate(RULES, lead)
    assert q.qualified and q.rule_version == 3
    assert q.reasons == (
        "Buying stage is purchase, at or past consideration.",
        "Engagement is hot, at least hot.",
        "Consumed hot content: coverage-map.",
        "Persona is IT Manager, one of Function Head, Transformational Leader, IT Manager.",
    )


def test_hot_content_is_named_by_its_title_where_the_catalog_has_one() -> None:
    lead = facts(
        buying_stage="purchase",
        engagement_level="hot",
        persona="IT Manager",
        hot_signals=("coverage-map", "price-list"),
        titles={"coverage-map": "Network coverage map"},
    )
    reasons = evaluate(RULES, lead).reasons
    assert "Consumed hot content: Network coverage map (coverage-map), price-list." in reasons


def test_the_score_reason_shows_its_arithmetic() -> None:
    # Two downloads today (10 + 5 stage points each) and one read 30 days ago (3 → 1.5).
    lead = facts(
        as_of=30,
        persona="Function Head",
        engagements=(
            engagement("downloaded", "consideration", at=30, asset_id="wp-1"),
            engagement("downloaded", "consideration", at=30, asset_id="wp-2"),
            engagement("read", "interest", at=0),
        ),
    )
    q = evaluate(RULES, lead)
    assert q.score == pytest.approx(31.5)
    assert not q.qualified
    assert (
        "Behavioural score 31.5 is below 60: 1 read (1.5), 2 downloads (20), stage (10)."
        in q.reasons
    )
    assert "Engagement is warm, below hot." in q.reasons
    assert "Consumed no hot content." in q.reasons
    assert not any(r.startswith("Buying stage") for r in q.reasons)  # it held; all failed elsewhere


def test_signal_points_scale_with_the_asset_signal() -> None:
    model = ScoreModel(grade={"glance": 0}, signal=20)
    rules = RuleSet("s", 1, ScoreAtLeast(15), model)
    lead = facts(engagements=(engagement("glance", at=0, signal=1.0),))
    q = evaluate(rules, lead)
    assert q.qualified and q.reasons == (
        "Behavioural score 20 is at least 15: 1 glance (0), signals (20).",
    )


def test_interest_account_and_unknown_persona_sentences() -> None:
    rules = RuleSet(
        "x",
        1,
        AllOf(
            (
                Interest("network security", at_least=0.5, top=1),
                AccountEngaged("warm", 2),
                Not(SegmentIn(("competitor",))),
            )
        ),
    )
    lead = facts(
        interests={"network security": 0.8, "cost": 0.3},
        account_id=7,
        account_engagement_level="hot",
        account_active_contacts=3,
        segment="enterprise",
    )
    q = evaluate(rules, lead)
    assert q.qualified
    assert q.reasons == (
        "Interest in 'network security' is 0.8 (rank 1 of 2), at least 0.5 and within the top 1.",
        "Account 7 is hot with 3 active contacts; meets warm or hotter with at least 2 active "
        "contacts.",
        "Segment is enterprise, not one of competitor.",
    )
    lonely = evaluate(rules, facts(interests={"cost": 0.9, "network security": 0.6}))
    assert not lonely.qualified
    assert lonely.reasons == (
        "Interest in 'network security' is 0.6 (rank 2 of 2), at least 0.5 and outside the top 1.",
        "Belongs to no known account; needs an account warm or hotter with at least 2 active "
        "contacts.",
    )
    unknown = evaluate(RuleSet("p", 1, PersonaIn(("IT Manager",))), facts(buying_stage=None))
    assert unknown.reasons == ("Persona is not known, so not one of IT Manager.",)
    stage = evaluate(RuleSet("p", 1, BuyingStageAtLeast("interest")), facts(buying_stage=None))
    assert stage.reasons == ("Buying stage is not known yet; needs interest or later.",)
