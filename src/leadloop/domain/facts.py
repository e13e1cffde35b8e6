"""What the sales-ready agreement may read about a lead: the facts passive profiling infers.

Profiling (:mod:`leadloop.domain.profile`, issue 3) produces :class:`LeadFacts`; the
sales-ready rules (issue 4) read them and nothing else, so the agreement marketing and
sales signed can only talk about what was observed. Every value is explained elsewhere
(the profile's explanation); these are the plain values a rule compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

GRADES: Final = ("glance", "read", "deep_read", "completed", "downloaded")
"""Consumption depth, shallowest first; a grade's rank is its index here."""

ENGAGEMENT_LEVELS: Final = ("cold", "warm", "hot")
"""A person's (or an account's) engagement, coldest first."""


@dataclass(frozen=True, slots=True)
class Engagement:
    """One person's graded consumption of one asset (several visits already added up)."""

    asset_id: str
    grade: str
    buying_stage: str
    at: datetime
    """When the consumption last deepened or recurred (recency is measured from here)."""
    topics: tuple[str, ...] = ()
    signal: float | None = None
    visits: int = 1


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """A lead's profile as of ``as_of``, in the terms the sales-ready agreement uses.

    ``interests`` maps topic to decayed weight; ``hot_signals`` names the hot assets
    consumed; ``engagements`` lets a rule compute its own behavioural score.
    """

    contact_id: int
    as_of: datetime
    buying_stage: str | None
    engagement_level: str
    hot_signals: tuple[str, ...] = ()
    interests: Mapping[str, float] = field(default_factory=dict)
    persona: str | None = None
    segment: str | None = None
    account_id: int | None = None
    account_engagement_level: str | None = None
    account_active_contacts: int = 0
    engagements: tuple[Engagement, ...] = ()
    titles: Mapping[str, str] = field(default_factory=dict)
    """Asset id → catalog title for the hot signals, so reasons name what a rep knows."""
