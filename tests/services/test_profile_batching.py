"""Adaptive batches: while a backlog exists each batch doubles up to the cap, and every event
is still folded exactly once (the same states as one batch per event, and as the rebuild)."""

from __future__ import annotations

from datetime import timedelta

from sim_world import assert_same, snapshot
from sqlalchemy import delete

from leadloop.bootstrap import Container
from leadloop.services.profile_rebuild import rebuild
from leadloop.services.profiling import ProfileUpdater, UpdateReport
from leadloop.store.profile_state_pg import profile_state_store
from leadloop.store.tables import profile_cursors, profile_interests, profile_states, profiles
from profiling_helpers import T0, Site, page, track


def write_backlog(site: Site, n: int) -> None:
    for i in range(n):
        who = {"anonymousId": f"a{i % 7}"}
        at = T0 + timedelta(minutes=i)
        site.write(
            page(at, who, ["vb-1", "art-1", "map-1"][i % 3])
            if i % 2
            else track(at, who, "Content Engaged", asset_id="vb-1", read_depth=i % 100)
        )


def test_batches_double_while_full_and_fold_each_event_once(container: Container) -> None:
    site = Site.create(container, "adaptive")
    write_backlog(site, 70)
    updater = ProfileUpdater(container.engine, container.profile_config, batch_events=3,
                             max_batch_events=20)  # fmt: skip
    sizes: list[int] = []
    total = updater.catch_up(site.workspace_id, lambda r: sizes.append(r.events))
    assert sizes == [3, 6, 12, 20, 20, 9]
    assert total.events == 70
    with container.engine.connect() as conn:
        store = profile_state_store(container.engine)
        assert total.cursor == store.max_event_id(conn, site.workspace_id)
        assert store.pending(conn, site.workspace_id, total.cursor) == 0
    adaptive = snapshot(container.engine, site.workspace_id)
    rebuild(updater, site.workspace_id)
    assert_same(snapshot(container.engine, site.workspace_id), adaptive)


def forget_profiles(container: Container, workspace_id: int) -> None:
    with container.engine.begin() as conn:
        for table in (profile_states, profiles, profile_interests, profile_cursors):
            conn.execute(delete(table).where(table.c.workspace_id == workspace_id))


def test_adaptive_batches_equal_one_event_per_batch(container: Container) -> None:
    site = Site.create(container, "one-by-one")
    write_backlog(site, 40)
    reports: list[UpdateReport] = []
    single = ProfileUpdater(container.engine, container.profile_config, batch_events=1)
    single.catch_up(site.workspace_id, reports.append)
    assert [r.events for r in reports] == [1] * 40
    one_by_one = snapshot(container.engine, site.workspace_id)
    forget_profiles(container, site.workspace_id)
    ProfileUpdater(container.engine, container.profile_config, batch_events=2,
                   max_batch_events=64).catch_up(site.workspace_id)  # fmt: skip
    assert one_by_one["profile_states"]
    assert_same(snapshot(container.engine, site.workspace_id), one_by_one)


def test_a_batch_that_is_not_full_keeps_the_size(container: Container) -> None:
    site = Site.create(container, "steady")
    updater = ProfileUpdater(container.engine, container.profile_config, batch_events=5,
                             max_batch_events=50)  # fmt: skip
    sizes: list[int] = []
    for _ in range(3):  # the ingest keeps pace: every pass finds fewer than a batch
        write_backlog(site, 4)
        updater.catch_up(site.workspace_id, lambda r: sizes.append(r.events))
    assert sizes == [4, 4, 4]
