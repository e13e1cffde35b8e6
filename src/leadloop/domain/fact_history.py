"""Lead facts over time, derived from the folded profile states: what ``rules test`` replays.

The profile store keeps one folded :class:`~leadloop.domain.consumption.AssetState` per
person and asset, not every event, so a contact's history is rebuilt from those states.
A **snapshot** is taken at each time one of the contact's tagged assets last changed (its
``last_at``); it counts the assets whose last event is at or before that time, each with
its final state, and decays every weight to that time. The account's engagement and
active contacts are taken the same way over all its members.

This is coarser than an event-by-event replay in one way only: an asset a person was still
consuming at a snapshot (first event before it, last event after) joins at its last event.
So a snapshot never uses anything observed after its time, and a lead may appear to qualify
a little later than it did. A contact's last snapshot equals its facts as of that time
whenever nothing in its account happened later.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from leadloop.domain.consumption import AssetState, from_ms, grade
from leadloop.domain.content import HOT_SIGNAL, ContentItem
from leadloop.domain.facts import GRADES, LeadFacts
from leadloop.domain.profile import (
    DAY_MS,
    ProfileConfig,
    build_profile,
    engagement_level,
    person_items,
    to_lead_facts,
)


@dataclass(frozen=True, slots=True)
class Person:
    """One contact's merged per-asset states and what the CRM says about it."""

    contact_id: int
    states: Mapping[str, AssetState]
    persona: str | None = None
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class AccountAt:
    """An account's engagement level and active contacts at one time."""

    engagement_level: str
    active_contacts: int


class AccountTimeline:
    """An account's engagement at any time, from its members' states (prefix sums).

    The decayed total as of ``t`` is ``sum(base_i * 2^((last_i - t) / half_life))`` over the
    engagements with ``last_i ≤ t``; with the engagements sorted by time that is one prefix
    sum times one power of two, so each look-up is a bisection, not a pass over everything.
    """

    def __init__(
        self,
        members: Mapping[int, Mapping[str, AssetState]],
        content: Mapping[str, ContentItem],
        cfg: ProfileConfig,
    ) -> None:
        self.cfg = cfg
        self._half_ms = cfg.half_life_days * DAY_MS
        weighted, hot = _weighted(members, content, cfg)
        self._times = [t for t, _ in weighted]
        self._ref = self._times[0] if self._times else 0
        self._prefix: list[float] = []
        running = 0.0
        for t, base in weighted:
            running += base * 2.0 ** ((t - self._ref) / self._half_ms)
            self._prefix.append(running)
        self._hot = hot
        touches = sorted(
            (s.last_at_ms, c) for c, states in members.items() for s in states.values()
        )
        self._touch_times = [t for t, _ in touches]
        self._touch_contacts = [c for _, c in touches]

    def total(self, at_ms: int) -> float:
        k = bisect_right(self._times, at_ms)
        if k == 0:
            return 0.0
        return float(self._prefix[k - 1] * 2.0 ** ((self._ref - at_ms) / self._half_ms))

    def at(self, at_ms: int) -> AccountAt:
        k = bisect_right(self._hot, at_ms)
        last_hot = self._hot[k - 1] if k else None
        level = engagement_level(self.total(at_ms), last_hot, at_ms, self.cfg)
        return AccountAt(level, self.active(at_ms))

    def active(self, at_ms: int) -> int:
        """Members with an engagement in the ``active_days`` up to ``at_ms``."""
        lo = bisect_left(self._touch_times, at_ms - self.cfg.active_days * DAY_MS)
        hi = bisect_right(self._touch_times, at_ms)
        return len(set(self._touch_contacts[lo:hi]))


def _weighted(
    members: Mapping[int, Mapping[str, AssetState]],
    content: Mapping[str, ContentItem],
    cfg: ProfileConfig,
) -> tuple[list[tuple[int, float]], list[int]]:
    """(last_at, base weight) of every tagged engagement, sorted; times of the hot ones."""
    floor = GRADES.index(cfg.hot_min_grade)
    weighted: list[tuple[int, float]] = []
    hot: list[int] = []
    for states in members.values():
        for asset_id, state in states.items():
            item = content.get(asset_id)
            if item is None:
                continue
            g = grade(state, cfg.thresholds)
            weighted.append((state.last_at_ms, cfg.base_weight(g, item.signal)))
            is_hot = item.signal is not None and item.signal >= HOT_SIGNAL
            if is_hot and GRADES.index(g) >= floor:
                hot.append(state.last_at_ms)
    return sorted(weighted), sorted(hot)


def snapshot_times(person: Person, content: Mapping[str, ContentItem]) -> list[int]:
    """When the contact's tagged consumption changed (epoch ms, ascending)."""
    return sorted({s.last_at_ms for a, s in person.states.items() if a in content})


def person_history(
    person: Person,
    content: Mapping[str, ContentItem],
    cfg: ProfileConfig,
    account: AccountTimeline | None = None,
    until_ms: int | None = None,
) -> Iterator[LeadFacts]:
    """The contact's facts at each snapshot time up to ``until_ms`` (see the module doc)."""
    for t in snapshot_times(person, content):
        if until_ms is not None and t > until_ms:
            return
        seen = {a: s for a, s in person.states.items() if s.last_at_ms <= t}
        profile = build_profile(
            person_items(seen), content, from_ms(t), cfg, crm_persona=person.persona,
            explained=False,
        )  # fmt: skip
        facts = to_lead_facts(person.contact_id, profile)
        if person.account_id is not None:
            where = account.at(t) if account is not None else AccountAt("cold", 0)
            facts = replace(
                facts, account_id=person.account_id,
                account_engagement_level=where.engagement_level,
                account_active_contacts=where.active_contacts,
            )  # fmt: skip
        yield facts
