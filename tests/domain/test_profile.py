"""The profile on hand-written journeys: grades, stage, decay, explanations, personas."""

from __future__ import annotations

from dataclasses import replace

import pytest

from leadloop.domain.consumption import AssetState, DepthThresholds, grade
from leadloop.domain.profile import (
    ProfileConfig,
    build_profile,
    buying_stage,
    merge_states,
    person_items,
    to_lead_facts,
)
from profile_helpers import CONTENT, T0, Journey, days

CFG = ProfileConfig()


def profile(j: Journey, as_of_days: float, cfg: ProfileConfig = CFG, **kw: str):  # type: ignore[no-untyped-def]
    return build_profile(person_items(j.states()), CONTENT, T0 + days(as_of_days), cfg, **kw)


def video_book_reader() -> Journey:
    j = Journey()
    j.view(T0, "vb-1").engaged(T0, "vb-1", 30, 200, ["1", "2"])
    return j.view(T0 + days(2), "vb-1").engaged(T0 + days(2), "vb-1", 35, 150, ["3", "4"])


def test_several_sections_over_two_visits_add_up_to_a_deep_read_and_warm() -> None:
    p = profile(video_book_reader(), 7)
    (e,) = p.evidence
    assert (e.grade, e.state.visits, e.state.active_ms, len(e.state.sections)) == (
        "deep_read", 2, 350_000, 4,
    )  # fmt: skip
    assert p.engagement_level == "warm"
    assert e.sentence == (
        "Read 4 of 7 sections of the video book 'The SD-WAN video book' "
        "(deep read, weight 1.8, 5 days ago; 2 visits, 6 min active)"
    )
    # One visit alone, two sections: a read, and cold.
    one = Journey().view(T0, "vb-1").engaged(T0, "vb-1", 20, 20, ["1", "2"])
    assert profile(one, 7).evidence[0].grade == "read"
    assert profile(one, 7).engagement_level == "cold"


def test_the_coverage_map_downloader_is_hot_at_once_and_names_the_signal() -> None:
    j = Journey().view(T0, "map-1").add(T0, "track", "Asset Downloaded", asset_id="map-1")
    p = profile(j, 0.01)
    assert (p.engagement_level, p.buying_stage, p.hot_signals) == ("hot", "purchase", ("map-1",))
    why = p.explanation("engagement_level")
    assert why.evidence == (("map-1", p.evidence[0].weight),)
    assert "Downloaded the coverage map 'Network coverage map'" in why.sentence
    # Past the hot window, with little else read, it cools down.
    assert profile(j, 60).engagement_level == "warm"
    assert profile(j, 120).engagement_level == "cold"


def test_grades_follow_the_configurable_thresholds() -> None:
    s = AssetState(0, 0, 1, 1, depth=50.0)
    assert grade(s, DepthThresholds()) == "read"
    assert grade(s, DepthThresholds(deep_read_depth_pct=50)) == "deep_read"
    assert grade(replace(s, depth=95.0), DepthThresholds()) == "completed"
    assert grade(replace(s, depth=0.0, visits=3), DepthThresholds()) == "read"
    assert grade(replace(s, depth=0.0, visits=2), DepthThresholds()) == "glance"
    assert grade(replace(s, downloads=1), DepthThresholds()) == "downloaded"


def test_decay_lowers_weights_with_time_and_newer_reading_reorders_interests() -> None:
    j = Journey()
    j.view(T0, "wp-1").engaged(T0, "wp-1", 95, 600, 1)  # completed: weight 3, hybrid work
    j.view(T0 + days(10), "art-1").engaged(T0 + days(10), "art-1", 70, 300, 1)  # deep read: 2
    soon, late = profile(j, 11), profile(j, 200)
    assert late.total_weight < soon.total_weight
    assert all(b.weight < a.weight for a, b in zip(soon.evidence, late.evidence, strict=True))
    assert soon.interests[0][0] == "hybrid work"
    # Exponential decay: every weight shrinks by the same factor, so the order of interests
    # never depends on the as-of time alone (docs/profiling.md) ...
    assert [t for t, _ in soon.interests] == [t for t, _ in late.interests]
    # ... but recency counts: the same lighter read 40 days later outweighs the older one.
    later = Journey()
    later.view(T0, "wp-1").engaged(T0, "wp-1", 95, 600, 1)
    later.view(T0 + days(40), "art-1").engaged(T0 + days(40), "art-1", 70, 300, 1)
    assert profile(later, 41).interests[0][0] == "business continuity"
    # ... and a shorter half-life lets it overtake sooner.
    assert profile(j, 11, replace(CFG, half_life_days=5)).interests[0][0] == "business continuity"


def test_the_stage_moves_back_only_when_earlier_reading_outweighs_later_evidence() -> None:
    assert buying_stage({"consideration": 2.0, "epiphany": 5.0}, 0.25) == "consideration"
    assert buying_stage({"consideration": 1.0, "epiphany": 5.0}, 0.25) == "epiphany"
    # Later evidence supports the stages it passed through.
    assert buying_stage({"purchase": 1.0, "consideration": 1.0, "awareness": 5.0}, 0.25) == (
        "consideration"
    )
    assert buying_stage({}, 0.25) is None
    j = Journey().view(T0, "cmp-1").engaged(T0, "cmp-1", 70, 400, 3)
    assert profile(j, 1).buying_stage == "consideration"
    j.view(T0 + days(1), "art-1")  # a glance at an epiphany article changes nothing
    assert profile(j, 2).buying_stage == "consideration"


def test_explanations_carry_sentences_and_weighted_evidence() -> None:
    j = video_book_reader().view(T0 + days(3), "cmp-1").engaged(T0 + days(3), "cmp-1", 65, 90, 2)
    p = profile(j, 7)
    names = [x.name for x in p.explanations]
    assert names == [
        "engagement_level", "buying_stage", "interests", "persona", "segment", "hot_signals",
    ]  # fmt: skip
    stage = p.explanation("buying_stage")
    assert stage.value == "consideration"
    assert stage.evidence == (("cmp-1", pytest.approx(p.evidence[0].weight)),)
    assert "25% is needed" in stage.sentence and "SD-WAN providers compared" in stage.sentence
    interests = p.explanation("interests")
    assert interests.value == "sd-wan"
    assert {a for a, _ in interests.evidence} == {"vb-1", "cmp-1"}
    assert p.explanation("segment").value == "mid-market"
    assert p.explanation("hot_signals").sentence == "No hot signal consumed."


def test_the_crm_persona_wins_and_the_explanation_says_so() -> None:
    p = profile(video_book_reader(), 7, crm_persona="CIO")
    assert (p.persona, p.persona_source) == ("CIO", "crm")
    assert p.explanation("persona").sentence == (
        "Persona 'CIO' is assigned in the CRM and wins (the content read suggests 'Function Head')."
    )
    inferred = profile(video_book_reader(), 7)
    assert (inferred.persona, inferred.persona_source) == ("Function Head", "content")


def test_a_merge_is_combining_the_identities_states() -> None:
    phone = Journey(1).view(T0, "vb-1").engaged(T0, "vb-1", 30, 100, ["1", "2"])
    laptop = Journey(2).view(T0 + days(1), "vb-1").engaged(T0 + days(1), "vb-1", 40, 100, ["3"])
    merged = merge_states([phone.states(), laptop.states()])
    assert merged["vb-1"].sections == frozenset({"1", "2", "3"})
    assert merged["vb-1"].visits == 2
    p = build_profile(person_items(merged), CONTENT, T0 + days(2), CFG)
    assert p.evidence[0].grade == "deep_read"


def test_lead_facts_carry_what_the_rules_read() -> None:
    p = profile(video_book_reader(), 7, crm_persona="CIO")
    facts = to_lead_facts(42, p, account_id=7, account=p, account_active=3)
    assert (facts.contact_id, facts.buying_stage, facts.engagement_level) == (
        42,
        "awareness",
        "warm",
    )
    assert (facts.persona, facts.account_engagement_level, facts.account_active_contacts) == (
        "CIO", "warm", 3,
    )  # fmt: skip
    assert facts.interests == {"sd-wan": pytest.approx(p.total_weight)}
    assert [(e.asset_id, e.grade, e.visits) for e in facts.engagements] == [
        ("vb-1", "deep_read", 2)
    ]
