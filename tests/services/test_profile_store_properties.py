"""Through the store: the updater, run at any points of any event sequence, equals the rebuild.

Messages go through the real ingest store (identity resolution, merges, dedup); the updater
catches up after random batches; a full recompute afterwards must find the same state.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_world import assert_same, snapshot

from leadloop.bootstrap import Container
from leadloop.services.profile_rebuild import rebuild
from profiling_helpers import T0, Site, msg, page, track

WHO = st.sampled_from([
    {"anonymousId": "a1"}, {"anonymousId": "a2"}, {"userId": "u1"},
    {"anonymousId": "a2", "userId": "u1"},
])  # fmt: skip
ASSET = st.sampled_from(["vb-1", "map-1", "art-1", "cmp-1", "nope"])


@st.composite
def message(draw: st.DrawFn) -> dict[str, Any]:
    at = T0 + timedelta(hours=draw(st.integers(0, 2000)))
    who, asset = draw(WHO), draw(ASSET)
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return page(at, who, asset)
    if choice == 1:
        return track(at, who, "Content Engaged", asset_id=asset,
                     read_depth=draw(st.integers(0, 100)), active_seconds=draw(st.integers(0, 500)),
                     sections_reached=draw(st.integers(0, 6)))  # fmt: skip
    if choice == 2:
        return track(at, who, "Asset Downloaded", asset_id=asset)
    if choice == 3:
        return msg("identify", at, who, traits={"email": "ada@bank.example"})
    return track(at, who, "Video Progress", asset_id=asset, percent=draw(st.integers(0, 100)))


batches = st.lists(st.tuples(st.lists(message(), min_size=1, max_size=6), st.booleans()),
                   min_size=1, max_size=6)  # fmt: skip


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches)
def test_the_updater_at_any_points_equals_the_full_recompute(
    container: Container, sequence: list[tuple[list[dict[str, Any]], bool]]
) -> None:
    site = Site.create(container, "prop")
    for raws, update_now in sequence:
        site.write(*raws)
        if update_now:
            container.profile_updater.catch_up(site.workspace_id)
        site.write(*raws[:1])  # a replayed message: stored once, folded once
    container.profile_updater.catch_up(site.workspace_id)
    incremental = snapshot(container.engine, site.workspace_id)
    rebuild(container.profile_updater, site.workspace_id)
    assert_same(snapshot(container.engine, site.workspace_id), incremental)
