"""What sales sees about a sales-ready lead, built from its facts and the content catalog.

The hand-off alert carries the lead's reading history (titles and links from the catalog,
latest first), its top interests, and whether a hot signal is fresh enough that the lead
must skip any batching (docs/handoff.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from leadloop.domain.content import ContentItem
from leadloop.domain.facts import LeadFacts
from leadloop.domain.handoff import AccountRef, LeadContext, ReadingItem

READING_LIMIT: Final = 20
"""Most assets listed in one alert (the latest ones); the lead page has everything."""
TOP_INTERESTS: Final = 5


@dataclass(frozen=True, slots=True)
class Party:
    """Who the lead is, as the directory knows it (the e-mail already masked)."""

    name: str | None
    email_masked: str
    account: AccountRef | None = None
    region: str | None = None
    segment: str | None = None
    """The account's recorded segment; it wins over the one inferred from content."""


def reading_history(
    facts: LeadFacts, content: Mapping[str, ContentItem], limit: int = READING_LIMIT
) -> tuple[ReadingItem, ...]:
    """The assets the lead consumed, latest first, with catalog titles and links."""
    ordered = sorted(facts.engagements, key=lambda e: (e.at, e.asset_id), reverse=True)
    out = []
    for e in ordered[:limit]:
        item = content.get(e.asset_id)
        title = item.title if item is not None and item.title else e.asset_id
        out.append(ReadingItem(title, item.url if item is not None else "", e.grade, e.at))
    return tuple(out)


def top_interests(facts: LeadFacts, limit: int = TOP_INTERESTS) -> tuple[str, ...]:
    ranked = sorted(facts.interests.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(topic for topic, weight in ranked[:limit] if weight > 0)


def is_hot(facts: LeadFacts, hot_window_days: float) -> bool:
    """A hot asset was consumed within the hot window before the facts' time."""
    window = timedelta(days=hot_window_days)
    hot = set(facts.hot_signals)
    return any(e.asset_id in hot and facts.as_of - e.at <= window for e in facts.engagements)


def lead_context(facts: LeadFacts, party: Party, content: Mapping[str, ContentItem]) -> LeadContext:
    """The alert's picture of the lead."""
    return LeadContext(
        name=party.name,
        email_masked=party.email_masked,
        buying_stage=facts.buying_stage,
        interests=top_interests(facts),
        account=party.account,
        persona=facts.persona,
        segment=party.segment or facts.segment,
        region=party.region,
        reading=reading_history(facts, content),
    )
