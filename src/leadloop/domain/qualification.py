"""Evaluate the sales-ready agreement against a lead's facts, with the reasons in words.

Every leaf of the rule tree yields one true sentence about the lead ("Buying stage is
purchase, at or past consideration."), whether or not it holds; ``not`` keeps its child's
sentences (they stay true), ``all`` and ``any`` keep the sentences that decided them. So
both sides of the agreement can read why a lead did, or did not, qualify.

:class:`FactsSource` is the port profiling implements: the facts of some leads now, and
their history for replaying a draft rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from leadloop.domain.facts import ENGAGEMENT_LEVELS, LeadFacts
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
    SegmentIn,
)
from leadloop.domain.scoring import ScoreBreakdown, behavioural_score, explain_score, show_points
from leadloop.domain.stages import STAGES


class FactsSource(Protocol):
    """Where the sales-ready rules get :class:`LeadFacts` (profiling implements it)."""

    def facts_for(
        self, workspace_id: int, contact_ids: Sequence[int], as_of: datetime
    ) -> list[LeadFacts]:
        """The facts of each known contact in ``contact_ids`` as of ``as_of``."""
        ...

    def history(self, workspace_id: int, *, until: datetime | None = None) -> Iterable[LeadFacts]:
        """Every contact's facts at each point they changed, up to ``until`` (replay)."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """Whether a condition holds, and the sentences that say why."""

    passed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Qualification:
    """One evaluation of one lead against one rule version."""

    contact_id: int
    rule_version: int
    qualified: bool
    reasons: tuple[str, ...]
    as_of: datetime
    score: float


def evaluate(rules: RuleSet, facts: LeadFacts) -> Qualification:
    """Does ``facts`` meet ``rules``, and why (one sentence per reason)."""
    score = behavioural_score(rules.score, facts.engagements, facts.as_of)
    outcome = check(rules.qualify_when, facts, score)
    return Qualification(
        contact_id=facts.contact_id,
        rule_version=rules.version,
        qualified=outcome.passed,
        reasons=outcome.reasons,
        as_of=facts.as_of,
        score=score.total,
    )


def check(condition: Condition, facts: LeadFacts, score: ScoreBreakdown) -> Outcome:
    """Evaluate one condition (and its children) against ``facts``."""
    if isinstance(condition, AllOf | AnyOf):
        outcomes = [check(c, facts, score) for c in condition.conditions]
        passed = (all if isinstance(condition, AllOf) else any)(o.passed for o in outcomes)
        if isinstance(condition, AllOf):
            deciding = outcomes if passed else [o for o in outcomes if not o.passed]
        else:
            deciding = [o for o in outcomes if o.passed] if passed else outcomes
        return Outcome(passed, tuple(r for o in deciding for r in o.reasons))
    if isinstance(condition, Not):
        inner = check(condition.condition, facts, score)
        return Outcome(not inner.passed, inner.reasons)
    passed, sentence = _leaf(condition, facts, score)
    return Outcome(passed, (sentence,))


def _leaf(condition: Condition, facts: LeadFacts, score: ScoreBreakdown) -> tuple[bool, str]:
    match condition:
        case BuyingStageAtLeast(stage):
            return _stage(stage, facts)
        case EngagementAtLeast(level):
            return _engagement(level, facts.engagement_level)
        case HotSignal(assets):
            return _hot(assets, facts.hot_signals, facts.titles)
        case Interest():
            return _interest(condition, facts)
        case PersonaIn(values):
            return _one_of("Persona", facts.persona, values)
        case SegmentIn(values):
            return _one_of("Segment", facts.segment, values)
        case AccountEngaged():
            return _account(condition, facts)
        case ScoreAtLeast(threshold):
            ok = score.total >= threshold
            verb = "is at least" if ok else "is below"
            head = f"Behavioural score {show_points(score.total)} {verb} {show_points(threshold)}"
            return ok, f"{head}: {explain_score(score)}."
    raise TypeError(f"not a condition: {condition!r}")


def _stage(stage: str, facts: LeadFacts) -> tuple[bool, str]:
    if facts.buying_stage is None:
        return False, f"Buying stage is not known yet; needs {stage} or later."
    ok = STAGES.index(facts.buying_stage) >= STAGES.index(stage)
    where = "at or past" if ok else "before"
    return ok, f"Buying stage is {facts.buying_stage}, {where} {stage}."


def _engagement(level: str, actual: str) -> tuple[bool, str]:
    ok = ENGAGEMENT_LEVELS.index(actual) >= ENGAGEMENT_LEVELS.index(level)
    return ok, f"Engagement is {actual}, {'at least' if ok else 'below'} {level}."


def _hot(
    assets: tuple[str, ...], consumed: tuple[str, ...], titles: Mapping[str, str]
) -> tuple[bool, str]:
    hits = [a for a in consumed if not assets or a in assets]
    if hits:
        named = [f"{titles[a]} ({a})" if titles.get(a) else a for a in hits]
        return True, f"Consumed hot content: {', '.join(named)}."
    if assets:
        return False, f"Consumed none of the hot assets {', '.join(assets)}."
    return False, "Consumed no hot content."


def _interest(condition: Interest, facts: LeadFacts) -> tuple[bool, str]:
    weight = facts.interests.get(condition.topic, 0.0)
    ranked = sorted(
        (t for t, w in facts.interests.items() if w > 0), key=lambda t: (-facts.interests[t], t)
    )
    rank = ranked.index(condition.topic) + 1 if condition.topic in ranked else None
    checks: list[tuple[bool, str]] = []
    if condition.at_least is not None:
        ok = weight >= condition.at_least
        checks.append((ok, f"{'at least' if ok else 'below'} {condition.at_least:g}"))
    if condition.top is not None:
        ok = rank is not None and rank <= condition.top
        checks.append((ok, f"{'within' if ok else 'outside'} the top {condition.top}"))
    where = f"rank {rank} of {len(ranked)}" if rank is not None else "not among the interests"
    detail = " and ".join(text for _, text in checks)
    passed = all(ok for ok, _ in checks)
    return passed, f"Interest in {condition.topic!r} is {weight:.2g} ({where}), {detail}."


def _one_of(what: str, actual: str | None, values: tuple[str, ...]) -> tuple[bool, str]:
    listed = ", ".join(values)
    if actual is None:
        return False, f"{what} is not known, so not one of {listed}."
    ok = actual.casefold() in {v.casefold() for v in values}
    return ok, f"{what} is {actual}, {'one' if ok else 'not one'} of {listed}."


def _account(condition: AccountEngaged, facts: LeadFacts) -> tuple[bool, str]:
    want = f"at least {condition.min_active_contacts} active contacts"
    if condition.level is not None:
        want = f"{condition.level} or hotter with {want}"
    if facts.account_id is None:
        return False, f"Belongs to no known account; needs an account {want}."
    level = facts.account_engagement_level
    ok_level = condition.level is None or (
        level is not None
        and ENGAGEMENT_LEVELS.index(level) >= ENGAGEMENT_LEVELS.index(condition.level)
    )
    ok = ok_level and facts.account_active_contacts >= condition.min_active_contacts
    have = f"{level or 'unknown'} with {facts.account_active_contacts} active contacts"
    return ok, f"Account {facts.account_id} is {have}; {'meets' if ok else 'needs'} {want}."
