"""The behavioural score a sales-ready rule may set a threshold on.

Each engagement earns points for its grade, for the buying stage of the asset and for the
asset's signal weight; the points halve every ``half_life_days`` since the engagement, so a
lead that stops reading cools down. The sum uses :func:`math.fsum`, which is correctly
rounded, so the score does not depend on the order of the engagements.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadloop.domain.facts import GRADES, Engagement
from leadloop.domain.rules import ScoreModel

_DAY_S = 86_400.0
_NOUNS = {
    "glance": ("glance", "glances"),
    "read": ("read", "reads"),
    "deep_read": ("deep read", "deep reads"),
    "completed": ("completion", "completions"),
    "downloaded": ("download", "downloads"),
}


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    """The score and where it came from, for the one-sentence reason."""

    total: float
    by_grade: tuple[tuple[str, int, float], ...]
    """(grade, engagements, decayed points) in grade order, grades with none left out."""
    stage_points: float
    signal_points: float


def decay(model: ScoreModel, at: datetime, as_of: datetime) -> float:
    """The fraction of its points an engagement at ``at`` keeps at ``as_of`` (1 if later)."""
    age_days = max((as_of - at).total_seconds() / _DAY_S, 0.0)
    return float(0.5 ** (age_days / model.half_life_days))


def behavioural_score(
    model: ScoreModel, engagements: Iterable[Engagement], as_of: datetime
) -> ScoreBreakdown:
    """Score ``engagements`` as of ``as_of``.

    >>> from datetime import UTC, datetime
    >>> e = Engagement("wp-1", "downloaded", "consideration", datetime(2026, 1, 1, tzinfo=UTC))
    >>> behavioural_score(ScoreModel(), [e], datetime(2026, 1, 31, tzinfo=UTC)).total
    5.0
    """
    grade_terms: dict[str, list[float]] = {g: [] for g in GRADES}
    stage_terms: list[float] = []
    signal_terms: list[float] = []
    for e in engagements:
        kept = decay(model, e.at, as_of)
        grade_terms.setdefault(e.grade, []).append(model.grade.get(e.grade, 0.0) * kept)
        stage_terms.append(model.stage.get(e.buying_stage, 0.0) * kept)
        signal_terms.append(model.signal * (e.signal or 0.0) * kept)
    by_grade = tuple(
        (grade, len(terms), math.fsum(terms)) for grade, terms in grade_terms.items() if terms
    )
    every = [t for terms in grade_terms.values() for t in terms] + stage_terms + signal_terms
    return ScoreBreakdown(
        total=math.fsum(every),
        by_grade=by_grade,
        stage_points=math.fsum(stage_terms),
        signal_points=math.fsum(signal_terms),
    )


def show_points(value: float) -> str:
    """Points as a reader sees them: one decimal, truncated (never shown above the truth).

    >>> show_points(59.96), show_points(72.0)
    ('59.9', '72')
    """
    text = f"{math.floor(value * 10 + 1e-9) / 10:.1f}"
    return text[:-2] if text.endswith(".0") else text


def explain_score(score: ScoreBreakdown) -> str:
    """``2 downloads (18.4), 1 read (2.9), stage (5), signals (20)``."""
    parts = [f"{n} {_noun(grade, n)} ({show_points(pts)})" for grade, n, pts in score.by_grade]
    if score.stage_points:
        parts.append(f"stage ({show_points(score.stage_points)})")
    if score.signal_points:
        parts.append(f"signals ({show_points(score.signal_points)})")
    return ", ".join(parts) or "no engagements"


def _noun(grade: str, n: int) -> str:
    one, many = _NOUNS.get(grade, (grade, grade))
    return one if n == 1 else many
