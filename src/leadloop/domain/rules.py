"""The sales-ready agreement as data: the conditions a rule file may state about a lead.

Marketing and sales sign one definition of *sales-ready*. It is a tree of conditions over
:class:`~leadloop.domain.facts.LeadFacts` (``all`` / ``any`` / ``not`` and the leaves below)
plus the points of the behavioural score. Everything here is immutable and comparable, so a
parsed file can be rendered back and parsed again to the same value
(:mod:`leadloop.domain.rule_parser`); evaluation lives in :mod:`leadloop.domain.qualification`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, TypeAlias

from leadloop.domain.facts import GRADES

DEFAULT_GRADE_POINTS: Final[Mapping[str, float]] = MappingProxyType(
    {"glance": 1, "read": 3, "deep_read": 6, "completed": 8, "downloaded": 10}
)


@dataclass(frozen=True, slots=True)
class BuyingStageAtLeast:
    """The lead's buying stage is ``stage`` or later."""

    stage: str


@dataclass(frozen=True, slots=True)
class EngagementAtLeast:
    """The lead's engagement level is ``level`` or hotter (cold < warm < hot)."""

    level: str


@dataclass(frozen=True, slots=True)
class HotSignal:
    """The lead consumed a hot asset: any (``assets`` empty) or one of ``assets``."""

    assets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Interest:
    """Interest in ``topic``: weight at least ``at_least``, and/or among the ``top`` N topics."""

    topic: str
    at_least: float | None = None
    top: int | None = None


@dataclass(frozen=True, slots=True)
class PersonaIn:
    """The lead's persona is one of ``values``."""

    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SegmentIn:
    """The lead's segment is one of ``values``."""

    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountEngaged:
    """The lead's account is at least ``level`` engaged with at least ``min_active_contacts``."""

    level: str | None = None
    min_active_contacts: int = 0


@dataclass(frozen=True, slots=True)
class ScoreAtLeast:
    """The behavioural score (see :class:`ScoreModel`) reaches ``threshold``."""

    threshold: float


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every condition holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one condition holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The condition does not hold."""

    condition: Condition


Leaf: TypeAlias = (
    BuyingStageAtLeast
    | EngagementAtLeast
    | HotSignal
    | Interest
    | PersonaIn
    | SegmentIn
    | AccountEngaged
    | ScoreAtLeast
)
Condition: TypeAlias = "Leaf | AllOf | AnyOf | Not"


def _default_grade_points() -> Mapping[str, float]:
    return dict(DEFAULT_GRADE_POINTS)


@dataclass(frozen=True)
class ScoreModel:
    """Points per engagement grade, per buying stage and per content signal, decaying.

    An engagement is worth ``grade[its grade] + stage[its stage] + signal * its signal``
    points, halved every ``half_life_days`` since it happened.
    """

    half_life_days: float = 30.0
    grade: Mapping[str, float] = field(default_factory=_default_grade_points)
    stage: Mapping[str, float] = field(default_factory=dict)
    signal: float = 0.0

    def __post_init__(self) -> None:
        missing = [g for g in self.grade if g not in GRADES]
        if missing:  # the parser reports these with a line; this guards programmatic use
            raise ValueError(f"unknown grade {missing[0]!r}; allowed: {', '.join(GRADES)}")

    def __hash__(self) -> int:
        return hash(
            (
                self.half_life_days,
                tuple(sorted(self.grade.items())),
                tuple(sorted(self.stage.items())),
                self.signal,
            )
        )


@dataclass(frozen=True)
class RuleSet:
    """One version of the sales-ready agreement."""

    name: str
    version: int
    qualify_when: Condition
    score: ScoreModel = field(default_factory=ScoreModel)
    description: str | None = None


def walk(condition: Condition) -> list[Condition]:
    """Every condition in the tree, the root first (depth first)."""
    if isinstance(condition, AllOf | AnyOf):
        return [condition] + [c for child in condition.conditions for c in walk(child)]
    if isinstance(condition, Not):
        return [condition, *walk(condition.condition)]
    return [condition]
