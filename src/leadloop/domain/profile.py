"""The profile: what a person (or a buying group) needs, inferred from what they consumed.

A pure function of the per-asset states (:mod:`leadloop.domain.consumption`), the content
tags, the as-of time and a :class:`ProfileConfig`; so it is a pure function of the multiset
of events too. Definitions (weights, decay, the stage rule, engagement levels) are in
docs/profiling.md; every inferred value carries an :class:`Inference` that says why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from leadloop.domain import explain
from leadloop.domain.consumption import AssetState, epoch_ms, from_ms, grade
from leadloop.domain.content import ContentItem
from leadloop.domain.explain import Inference
from leadloop.domain.facts import GRADES, Engagement, LeadFacts
from leadloop.domain.profile_config import (
    DAY_MS,
    WEIGHT_EPOCH_MS,
    Evidence,
    ProfileConfig,
    quantized,
)
from leadloop.domain.stages import STAGES

__all__ = [
    "DAY_MS", "WEIGHT_EPOCH_MS", "Evidence", "Profile", "ProfileConfig", "build_profile",
    "buying_stage", "engagement_level", "merge_states", "to_lead_facts",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Profile:
    """A person's or a buying group's profile as of ``as_of``."""

    as_of: datetime
    buying_stage: str | None
    stage_weights: tuple[tuple[str, float], ...]
    interests: tuple[tuple[str, float], ...]
    persona: str | None
    persona_source: str | None
    segment: str | None
    engagement_level: str
    total_weight: float
    weight_log2: float | None
    hot_signals: tuple[str, ...]
    last_hot_at: datetime | None
    evidence: tuple[Evidence, ...]
    explanations: tuple[Inference, ...]
    untagged_assets: tuple[str, ...] = ()

    def explanation(self, name: str) -> Inference:
        return next(i for i in self.explanations if i.name == name)


Keyed = tuple[str, AssetState, int | None]
"""(asset id, state, contact id or None): one person's engagement with one asset."""


def _evidence(
    items: Iterable[Keyed],
    content: Mapping[str, ContentItem],
    as_of_ms: int,
    cfg: ProfileConfig,
    explained: bool,
) -> tuple[list[Evidence], list[str], float]:
    """The weighted engagements, the untagged assets, and the factor from latest to as-of.

    Weights are rounded relative to the latest engagement of any asset (what the stored
    rows use as their as-of time), so an old profile read today keeps its shares."""
    keyed = sorted(items, key=lambda k: (k[0], k[2] or 0))
    latest = max((state.last_at_ms for _, state, _ in keyed), default=as_of_ms)
    factor = cfg.decay(latest, as_of_ms)
    out: list[Evidence] = []
    untagged: list[str] = []
    for asset_id, state, contact_id in keyed:
        item = content.get(asset_id)
        if item is None:
            untagged.append(asset_id)
            continue
        g = grade(state, cfg.thresholds)
        base = cfg.base_weight(g, item.signal)
        relative = quantized(base * cfg.decay(state.last_at_ms, latest))
        weight = relative * factor
        log_w = math.log2(base) + (state.last_at_ms - WEIGHT_EPOCH_MS) / (
            cfg.half_life_days * DAY_MS
        )
        sentence = explain.engagement(item, state, g, weight, as_of_ms) if explained else ""
        out.append(
            Evidence(asset_id, item, state, g, base, weight, log_w, sentence, contact_id, relative)
        )
    return out, sorted(set(untagged)), factor


def _sums(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Exact sums of relative weights: any order gives these bits."""
    out: dict[str, float] = {}
    for key, w in pairs:
        out[key] = out.get(key, 0.0) + w
    return out


def _ranked(weights: Mapping[str, float], factor: float) -> list[tuple[str, float]]:
    """Heaviest first, ties by name; ranked on the relative sums, shown as of the as-of."""
    return [(k, w * factor) for k, w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))]


def buying_stage(weights: Mapping[str, float], share: float) -> str | None:
    """The latest stage whose weight, with every later stage's, is at least ``share`` of all.

    Later evidence counts for the earlier stages it passed through, so earlier-stage reading
    pulls the stage back only when it outweighs the later evidence.
    """
    total = sum(weights.get(s, 0.0) for s in STAGES)
    if total <= 0:
        return None
    running = 0.0
    ordered: tuple[str, ...] = STAGES
    for stage in reversed(ordered):
        running += weights.get(stage, 0.0)
        if running >= share * total:
            return stage
    return ordered[0]


def _log_total(evidence: list[Evidence]) -> float | None:
    if not evidence:
        return None
    top = max(e.log_weight for e in evidence)
    return top + math.log2(sum(quantized(2.0 ** (e.log_weight - top)) for e in evidence))


def _hot(evidence: list[Evidence], cfg: ProfileConfig) -> list[Evidence]:
    floor = GRADES.index(cfg.hot_min_grade)
    hot = [e for e in evidence if e.is_hot and GRADES.index(e.grade) >= floor]
    return sorted(hot, key=lambda e: (-e.state.last_at_ms, e.asset_id))


def engagement_level(
    total: float, last_hot_ms: int | None, as_of_ms: int, cfg: ProfileConfig
) -> str:
    """hot: a hot signal within the window or total >= hot_weight; warm: total >= warm."""
    recent_hot = last_hot_ms is not None and as_of_ms - last_hot_ms <= cfg.hot_window_days * DAY_MS
    if recent_hot or total >= cfg.hot_weight:
        return "hot"
    return "warm" if total >= cfg.warm_weight else "cold"


def build_profile(
    items: Iterable[Keyed],
    content: Mapping[str, ContentItem],
    as_of: datetime,
    cfg: ProfileConfig,
    *,
    crm_persona: str | None = None,
    explained: bool = True,
) -> Profile:
    """The profile of a set of engagements as of ``as_of`` (see the module docstring).

    ``explained=False`` leaves out the sentences and explanations (stored list rows).
    """
    as_of_ms = epoch_ms(as_of)
    evidence, untagged, f = _evidence(items, content, as_of_ms, cfg, explained)
    relative_stage_w = _sums((e.item.buying_stage, e.relative) for e in evidence)
    stage_w = {s: w * f for s, w in relative_stage_w.items()}
    topics = _ranked(_sums((t, e.relative) for e in evidence for t in e.item.topics), f)
    personas = _ranked(_sums((p, e.relative) for e in evidence for p in e.item.personas), f)
    segments = _ranked(_sums((s, e.relative) for e in evidence for s in e.item.segments), f)
    total = sum(e.relative for e in evidence) * f
    hot = _hot(evidence, cfg)
    last_hot = hot[0].state.last_at_ms if hot else None
    stage = buying_stage(relative_stage_w, cfg.stage_share)
    level = engagement_level(total, last_hot, as_of_ms, cfg)
    persona = crm_persona or (personas[0][0] if personas else None)
    ranked = sorted(evidence, key=lambda e: (-e.relative, e.asset_id, e.contact_id or 0))
    facts = explain.Inputs(
        stage, stage_w, cfg.stage_share, total, topics[: cfg.top_interests], personas,
        segments, crm_persona, level, hot, as_of_ms, cfg, ranked,
    )  # fmt: skip
    return Profile(
        as_of=as_of,
        buying_stage=stage,
        stage_weights=tuple((s, stage_w[s]) for s in STAGES if s in stage_w),
        interests=tuple(topics[: cfg.top_interests]),
        persona=persona,
        persona_source=("crm" if crm_persona else "content") if persona else None,
        segment=segments[0][0] if segments else None,
        engagement_level=level,
        total_weight=total,
        weight_log2=_log_total(evidence),
        hot_signals=tuple(e.asset_id for e in hot),
        last_hot_at=from_ms(last_hot) if last_hot is not None else None,
        evidence=tuple(ranked),
        explanations=explain.inferences(facts) if explained else (),
        untagged_assets=tuple(untagged),
    )


def person_items(states: Mapping[str, AssetState], contact_id: int | None = None) -> list[Keyed]:
    return [(a, s, contact_id) for a, s in states.items()]


def merge_states(parts: Iterable[Mapping[str, AssetState]]) -> dict[str, AssetState]:
    """One person's per-asset states from their identities' states (a merge is this)."""
    out: dict[str, AssetState] = {}
    for part in parts:
        for asset, state in part.items():
            held = out.get(asset)
            out[asset] = state if held is None else held.combine(state)
    return out


def active_contacts(
    per_contact: Mapping[int, Mapping[str, AssetState]], as_of: datetime, cfg: ProfileConfig
) -> int:
    """Contacts with any engagement in the last ``active_days``."""
    floor = epoch_ms(as_of) - cfg.active_days * DAY_MS
    return sum(
        1 for states in per_contact.values() if any(s.last_at_ms >= floor for s in states.values())
    )


def to_engagements(profile: Profile) -> tuple[Engagement, ...]:
    return tuple(
        Engagement(
            asset_id=e.asset_id,
            grade=e.grade,
            buying_stage=e.item.buying_stage,
            at=e.at,
            topics=e.item.topics,
            signal=e.item.signal,
            visits=max(e.state.visits, 1),
        )
        for e in profile.evidence
    )


def to_lead_facts(
    contact_id: int,
    profile: Profile,
    *,
    account_id: int | None = None,
    account: Profile | None = None,
    account_active: int = 0,
) -> LeadFacts:
    """The facts the sales-ready rules read, from a profile (and its account's)."""
    return LeadFacts(
        contact_id=contact_id,
        as_of=profile.as_of,
        buying_stage=profile.buying_stage,
        engagement_level=profile.engagement_level,
        hot_signals=profile.hot_signals,
        interests=dict(profile.interests),
        persona=profile.persona,
        segment=profile.segment,
        account_id=account_id,
        account_engagement_level=account.engagement_level if account else None,
        account_active_contacts=account_active,
        engagements=to_engagements(profile),
        titles={
            e.asset_id: e.item.title
            for e in profile.evidence
            if e.asset_id in profile.hot_signals and e.item.title
        },
    )
