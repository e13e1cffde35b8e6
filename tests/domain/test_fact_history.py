"""Lead-facts history derived from folded states: no look-ahead, and it ends where now is."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.domain.consumption import AssetState, epoch_ms, from_ms
from leadloop.domain.fact_history import AccountTimeline, Person, person_history
from leadloop.domain.facts import LeadFacts
from leadloop.domain.lead_context import Party, is_hot, lead_context, reading_history
from leadloop.domain.profile import (
    ProfileConfig,
    active_contacts,
    build_profile,
    person_items,
    to_lead_facts,
)
from leadloop.domain.profile_config import WEIGHT_SCALE
from profile_helpers import CONTENT, T0, Journey, days

CFG = ProfileConfig()


def reader() -> dict[str, AssetState]:
    """Epiphany article on day 0, video book days 3 and 5, coverage map download on day 9."""
    j = Journey()
    j.view(T0, "art-1").engaged(T0, "art-1", 80, 200, 3)
    j.view(T0 + days(3), "vb-1").engaged(T0 + days(3), "vb-1", 30, 100, ["1", "2"])
    j.engaged(T0 + days(5), "vb-1", 35, 100, ["3", "4"])
    j.view(T0 + days(9), "map-1").add(T0 + days(9), "track", "Asset Downloaded", asset_id="map-1")
    j.view(T0 + days(9), "unknown")
    return j.states()


def test_one_snapshot_per_change_of_tagged_consumption_and_never_a_look_ahead() -> None:
    history = list(person_history(Person(7, reader()), CONTENT, CFG))
    # art-1 ends on day 0, vb-1 on day 5, map-1 on day 9; the untagged asset adds nothing.
    assert [f.as_of for f in history] == [T0, T0 + days(5), T0 + days(9)]
    assert [len(f.engagements) for f in history] == [1, 2, 3]
    for f in history:
        assert all(e.at <= f.as_of for e in f.engagements)
    assert history[0].hot_signals == () and history[-1].hot_signals == ("map-1",)
    assert [f.engagement_level for f in history][-1] == "hot"


def test_the_last_snapshot_is_the_profile_as_of_that_time() -> None:
    states = reader()
    last = list(person_history(Person(7, states, persona="CFO"), CONTENT, CFG))[-1]
    profile = build_profile(person_items(states), CONTENT, last.as_of, CFG, crm_persona="CFO")
    assert last == to_lead_facts(7, profile)


def test_until_stops_the_history() -> None:
    history = list(
        person_history(Person(7, reader()), CONTENT, CFG, until_ms=epoch_ms(T0 + days(6)))
    )
    assert [f.as_of for f in history] == [T0, T0 + days(5)]


state_at = st.integers(0, 200).map(lambda d: epoch_ms(T0 + timedelta(hours=d * 7)))


@st.composite
def members(draw: st.DrawFn) -> dict[int, dict[str, AssetState]]:
    out: dict[int, dict[str, AssetState]] = {}
    for contact in range(draw(st.integers(1, 4))):
        assets = draw(st.lists(st.sampled_from([*CONTENT, "unknown"]), unique=True, max_size=4))
        out[contact] = {}
        for asset in assets:
            last = draw(state_at)
            out[contact][asset] = AssetState(
                first_at_ms=last, last_at_ms=last, first_event_id=1, last_event_id=1,
                depth=draw(st.sampled_from([0.0, 30.0, 70.0, 95.0])),
                downloads=draw(st.integers(0, 1)),
            )  # fmt: skip
    return out


@settings(max_examples=60, deadline=None)
@given(members(), state_at)
def test_account_timeline_matches_the_account_profile_of_what_happened_by_then(
    group: dict[int, dict[str, AssetState]], at_ms: int
) -> None:
    timeline = AccountTimeline(group, CONTENT, CFG)
    seen = {c: {a: s for a, s in st_.items() if s.last_at_ms <= at_ms} for c, st_ in group.items()}
    items = [i for c, s in sorted(seen.items()) for i in person_items(s, c)]
    profile = build_profile(items, CONTENT, from_ms(at_ms), CFG, explained=False)
    # The profile sums quantized weights (each within 2**-31 of the exact one).
    near = 1e-12 + len(profile.evidence) * 0.5 / WEIGHT_SCALE
    total = profile.total_weight
    assert math.isclose(timeline.total(at_ms), total, rel_tol=1e-9, abs_tol=near)
    where = timeline.at(at_ms)
    if all(abs(total - t) > near + 1e-9 * t for t in (CFG.hot_weight, CFG.warm_weight)):
        assert where.engagement_level == profile.engagement_level
    assert where.active_contacts == active_contacts(seen, from_ms(at_ms), CFG)


def facts(**kw: object) -> LeadFacts:
    base = list(person_history(Person(7, reader()), CONTENT, CFG))[-1]
    return replace(base, **kw)  # type: ignore[arg-type]


def test_reading_history_is_latest_first_with_catalog_titles_and_links() -> None:
    items = reading_history(facts(), CONTENT)
    assert [i.title for i in items] == [
        "Network coverage map", "The SD-WAN video book", "Why branches go dark",
    ]  # fmt: skip
    assert items[0].url == "https://x.example/map" and items[0].grade == "downloaded"


def test_a_hot_signal_is_hot_only_inside_the_window() -> None:
    f = facts()
    assert is_hot(f, CFG.hot_window_days)
    later = facts(as_of=f.as_of + timedelta(days=CFG.hot_window_days + 1))
    assert not is_hot(later, CFG.hot_window_days)


def test_the_accounts_recorded_segment_wins_over_the_inferred_one() -> None:
    context = lead_context(facts(), Party("Ana", "a***@x.example", segment="enterprise"), CONTENT)
    assert context.segment == "enterprise"
    assert lead_context(facts(), Party("Ana", "a***@x.example"), CONTENT).segment == facts().segment
