"""The sale window, depth grading of sale events (profiling's grader) and the fold."""

from __future__ import annotations

import doctest
from datetime import UTC, date, datetime, timedelta
from functools import reduce

from hypothesis import given
from hypothesis import strategies as st

from leadloop.domain import sale_content
from leadloop.domain.consumption import AssetState, DepthThresholds, event_state, grade
from leadloop.domain.sale_content import (
    ACCOUNT,
    CONTACT_ROLE,
    ConsumedEvent,
    sale_window,
    tag_sale,
)


def event_grade(kind: str, name: str | None, properties: dict[str, object]) -> str:
    """The grade one event alone reaches, under the default depth thresholds."""
    return grade(event_state(kind, name, NOW, properties), DepthThresholds())


NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_doctests():
    failed, tried = doctest.testmod(sale_content)
    assert tried > 0 and failed == 0


def test_a_closed_deal_counts_its_whole_close_day_and_an_open_deal_up_to_now():
    start, end = sale_window("lost", date(2026, 3, 31), NOW, 365)
    assert end == datetime(2026, 4, 1, tzinfo=UTC) and end - start == timedelta(days=365)
    assert sale_window("open", date(2026, 9, 30), NOW, 10) == (NOW - timedelta(days=10), NOW)
    assert sale_window("won", None, NOW, 10)[1] == NOW  # a closed deal without a close date


def test_sale_events_are_graded_by_profilings_thresholds():
    cases = [
        (("page", None, {}), "glance"),
        (("track", "Content Engaged", {"read_depth": 10, "sections_reached": 1}), "glance"),
        (("track", "Content Engaged", {"read_depth": 10, "sections_reached": 2}), "read"),
        (("track", "Content Engaged", {"read_depth": 30}), "read"),
        (("track", "Content Engaged", {"read_depth": 20, "sections_reached": 3}), "deep_read"),
        (("track", "Content Engaged", {"read_depth": 95}), "completed"),
        (("track", "Video Progress", {"percent": 50}), "read"),
        (("track", "Video Progress", {"percent": 75}), "deep_read"),
        (("track", "Webinar Attended", {"percent": 92}), "completed"),
        (("track", "Webinar Attended", {"percent": "lots"}), "glance"),
        (("track", "Asset Downloaded", {}), "downloaded"),
        (("track", "Email Clicked", {"percent": 100}), "glance"),
    ]
    assert [event_grade(*args) for args, _ in cases] == [grade for _, grade in cases]


_event = st.builds(
    ConsumedEvent,
    contact_id=st.sampled_from([1, 2, 3]),
    asset_id=st.sampled_from(["a", "b"]),
    kind=st.sampled_from(["page", "track"]),
    name=st.sampled_from(["Content Engaged", "Video Progress", "Asset Downloaded", None]),
    at=st.integers(0, 40).map(lambda d: NOW - timedelta(days=d)),
    properties=st.fixed_dictionaries(
        {"read_depth": st.integers(0, 100), "percent": st.integers(0, 100)}
    ),
)


@given(st.lists(_event, max_size=30), st.randoms())
def test_the_fold_ignores_order_and_keeps_only_the_sales_people_inside_the_window(events, rnd):
    window = (NOW - timedelta(days=30), NOW - timedelta(days=5))
    relations = {1: CONTACT_ROLE, 2: ACCOUNT}
    tags = tag_sale(events, window, relations)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert tag_sale(shuffled, window, relations) == tags
    inside = [e for e in events if e.contact_id in relations and window[0] <= e.at < window[1]]
    assert sum(t.events for t in tags) == len(inside)
    for t in tags:
        mine = [e for e in inside if (e.asset_id, e.contact_id) == (t.asset_id, t.contact_id)]
        assert (t.first_at, t.last_at) == (min(e.at for e in mine), max(e.at for e in mine))
        states = [event_state(e.kind, e.name, e.at, e.properties) for e in mine]
        assert t.grade == grade(reduce(AssetState.combine, states), DepthThresholds())
        assert t.visits == sum(e.kind == "page" for e in mine)
        assert t.relation == relations[t.contact_id]
