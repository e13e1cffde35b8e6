"""Sentences a sales rep can read: why a profile says what it says.

Kept apart from the arithmetic in :mod:`leadloop.domain.profile`; every sentence quotes the
weights that produced the value, so the words and the data never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from leadloop.domain.consumption import AssetState
from leadloop.domain.content import ContentItem
from leadloop.domain.stages import STAGES, stage_rank

if TYPE_CHECKING:
    from leadloop.domain.profile_config import Evidence, ProfileConfig

_DAY_MS: Final = 86_400_000
_VERBS: Final = {
    "glance": "Glanced at",
    "read": "Read",
    "deep_read": "Read",
    "completed": "Completed",
    "downloaded": "Downloaded",
}


def ago(at_ms: int, as_of_ms: int) -> str:
    days = int((as_of_ms - at_ms) // _DAY_MS)
    if days < 0:
        return "after the as-of time"
    return "today" if days == 0 else ("1 day ago" if days == 1 else f"{days} days ago")


def _verb(item: ContentItem, grade: str) -> str:
    """Read a text (or a video book's sections), watch a video, attend a webinar."""
    if grade in ("glance", "downloaded"):
        return _VERBS[grade]
    kind = item.format.lower()
    if "webinar" in kind:
        return "Attended"
    if ("video" in kind and "book" not in kind) or "podcast" in kind:
        return "Watched" if grade != "completed" else "Watched all of"
    return _VERBS[grade]


def _extent(state: AssetState, grade: str) -> str:
    n = len(state.sections)
    if grade in ("read", "deep_read") and n > 1:
        return (
            f"{n} of {state.sections_total} sections of "
            if state.sections_total
            else (f"{n} sections of ")
        )
    if grade in ("read", "deep_read") and state.depth:
        return f"{state.depth:.0f}% of "
    return ""


def _the(item: ContentItem) -> str:
    kind = f"the {item.format} " if item.format else ""
    return f"{kind}'{item.title or item.asset_id}'"


def engagement(item: ContentItem, state: AssetState, grade: str, weight: float, as_of: int) -> str:
    """One engagement: "Read 4 of 7 sections of the video book 'X' (deep read, weight 3.2,
    5 days ago)"."""
    extras = []
    if state.visits > 1:
        extras.append(f"{state.visits} visits")
    if state.active_ms >= 60_000:
        extras.append(f"{state.active_ms / 60_000:.0f} min active")
    more = f"; {', '.join(extras)}" if extras else ""
    label = grade.replace("_", " ")
    when = ago(state.last_at_ms, as_of)
    what = f"{_verb(item, grade)} {_extent(state, grade)}{_the(item)}"
    return f"{what} ({label}, weight {weight:.1f}, {when}{more})"


@dataclass(frozen=True, slots=True)
class Inference:
    """Why a profile value is what it is: a sentence and the weighted assets behind it."""

    name: str
    value: str | None
    sentence: str
    evidence: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Inputs:
    """What :func:`inferences` explains (computed by the profile)."""

    stage: str | None
    stage_weights: Mapping[str, float]
    stage_share: float
    total: float
    interests: Sequence[tuple[str, float]]
    personas: Sequence[tuple[str, float]]
    segments: Sequence[tuple[str, float]]
    crm_persona: str | None
    level: str
    hot: Sequence[Evidence]
    as_of_ms: int
    cfg: ProfileConfig
    ranked: Sequence[Evidence]


def _stage(x: Inputs) -> Inference:
    if x.stage is None:
        return Inference("buying_stage", None, "No buying stage yet: no tagged content consumed.")
    later = [s for s in STAGES if stage_rank(s) >= stage_rank(x.stage)]
    at_or_after = sum(x.stage_weights.get(s, 0.0) for s in later)
    support = [e for e in x.ranked if e.item.buying_stage in later]
    best = f" Strongest evidence: {support[0].sentence}." if support else ""
    text = (
        f"Buying stage {x.stage}: {at_or_after / x.total:.0%} of the decayed weight "
        f"({at_or_after:.1f} of {x.total:.1f}) is on {x.stage} content or later; "
        f"{x.stage_share:.0%} is needed.{best}"
    )
    return Inference("buying_stage", x.stage, text, tuple((e.asset_id, e.weight) for e in support))


def _interests(x: Inputs) -> Inference:
    if not x.interests:
        return Inference("interests", None, "No interests yet: no tagged content consumed.")
    listed = ", ".join(f"{t} ({w:.1f})" for t, w in x.interests)
    top = x.interests[0][0]
    ev = tuple((e.asset_id, e.weight) for e in x.ranked if top in e.item.topics)
    return Inference(
        "interests", top, f"Top interests by decayed weight of what was read: {listed}.", ev
    )


def _persona(x: Inputs) -> Inference:
    inferred = x.personas[0] if x.personas else None
    total = sum(w for _, w in x.personas)
    ev = tuple(
        (e.asset_id, e.weight) for e in x.ranked if inferred and inferred[0] in e.item.personas
    )
    if x.crm_persona:
        hint = f" (the content read suggests '{inferred[0]}')" if inferred else ""
        text = f"Persona '{x.crm_persona}' is assigned in the CRM and wins{hint}."
        return Inference("persona", x.crm_persona, text, ev)
    if inferred is None:
        return Inference("persona", None, "No persona yet: no content written for one was read.")
    text = (
        f"Likely persona '{inferred[0]}': {inferred[1] / total:.0%} of the persona-tagged "
        f"weight ({inferred[1]:.1f} of {total:.1f}) is content written for it."
    )
    return Inference("persona", inferred[0], text, ev)


def _segment(x: Inputs) -> Inference:
    if not x.segments:
        return Inference("segment", None, "No segment yet: no segment-tagged content read.")
    name, w = x.segments[0]
    ev = tuple((e.asset_id, e.weight) for e in x.ranked if name in e.item.segments)
    return Inference("segment", name, f"Likely segment '{name}' (weight {w:.1f}).", ev)


def _level(x: Inputs) -> Inference:
    cfg = x.cfg
    recent = [e for e in x.hot if x.as_of_ms - e.state.last_at_ms <= cfg.hot_window_days * _DAY_MS]
    if recent:
        e = recent[0]
        text = f"Hot: a hot signal within {cfg.hot_window_days:g} days. {e.sentence}."
        return Inference("engagement_level", "hot", text, ((e.asset_id, e.weight),))
    ev = tuple((e.asset_id, e.weight) for e in x.ranked)
    if x.level == "hot":
        text = f"Hot: decayed weight {x.total:.1f} is at least {cfg.hot_weight:g}."
    elif x.level == "warm":
        text = (
            f"Warm: decayed weight {x.total:.1f} is at least {cfg.warm_weight:g} "
            f"(hot from {cfg.hot_weight:g}, or a hot signal)."
        )
    else:
        text = f"Cold: decayed weight {x.total:.1f} is below {cfg.warm_weight:g}."
    return Inference("engagement_level", x.level, text, ev)


def _hot_signals(x: Inputs) -> Inference:
    if not x.hot:
        return Inference("hot_signals", None, "No hot signal consumed.")
    listed = "; ".join(e.sentence for e in x.hot)
    first = x.hot[0].asset_id
    return Inference(
        "hot_signals",
        first,
        f"Hot signals: {listed}.",
        tuple((e.asset_id, e.weight) for e in x.hot),
    )


def inferences(x: Inputs) -> tuple[Inference, ...]:
    """One explanation per inferred value, in the order a rep reads them."""
    return (_level(x), _stage(x), _interests(x), _persona(x), _segment(x), _hot_signals(x))
