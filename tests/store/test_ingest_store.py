"""SqlIngestStore: what a write stores, deduplication, atomicity and quarantine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from store_helpers import Tracker, TrackerFactory

from leadloop.bootstrap import Container
from leadloop.errors import StoreError
from leadloop.store.engine import as_utc
from leadloop.store.ingest import EVENT_COLUMNS, Rejected, WriteUnit
from leadloop.store.tables import events, identities, quarantine


def page(message_id: str, anon: str = "a1", **extra: object) -> dict[str, object]:
    return {
        "type": "page",
        "messageId": message_id,
        "anonymousId": anon,
        "name": "Pricing",
        "timestamp": "2026-03-01T08:59:00Z",
        **extra,
    }


def test_a_write_stores_every_column_a_reader_needs(tracker: Tracker) -> None:
    result = tracker.write(
        {
            "type": "track",
            "messageId": "m-1",
            "anonymousId": "a1",
            "event": "Coverage Map Downloaded",
            "properties": {"asset": "coverage-map"},
            "timestamp": "2026-03-01T10:00:00Z",
            "sentAt": "2026-03-01T10:00:30Z",  # device clock 1 h fast, 30 s queued
        },
        page("m-2"),
    )
    assert (result.stored, result.duplicates, result.rejected) == (2, 0, 0)
    track = tracker.event("m-1")
    assert track.type == "track"
    assert track.event == "Coverage Map Downloaded"
    assert as_utc(track.timestamp) == tracker.clock - timedelta(seconds=30)
    assert as_utc(track.received_at) == tracker.clock
    assert track.source_id == tracker.source_id
    assert tracker.payload("m-1")["properties"] == {"asset": "coverage-map"}
    assert tracker.event("m-2").event == "Pricing"  # page name
    assert tracker.event("m-2").dropped_traits is None


def test_a_resent_message_is_stored_once(tracker: Tracker) -> None:
    first = tracker.write(page("m-1"), page("m-2"))
    again = tracker.write(page("m-1"), page("m-2"), page("m-3"))
    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.stored, again.duplicates) == (1, 2)
    assert sorted(e.message_id for e in tracker.events()) == ["m-1", "m-2", "m-3"]


def test_a_message_repeated_inside_one_batch_is_stored_once(tracker: Tracker) -> None:
    result = tracker.write(page("m-1"), page("m-1"), page("m-1"))
    assert (result.stored, result.duplicates) == (1, 2)
    assert len(tracker.events()) == 1


def test_dedup_is_per_workspace_source(
    tracker: Tracker, new_tracker: TrackerFactory, container: Container
) -> None:
    other_workspace = new_tracker()
    tracker.write(page("m-1"))
    assert other_workspace.write(page("m-1")).stored == 1
    tracker.source_id = container.workspaces.source_id(tracker.workspace_id, "mobile-app")
    assert tracker.write(page("m-1")).stored == 1
    assert tracker.write(page("m-1")).duplicates == 1
    assert len(tracker.events()) == 2
    assert len(other_workspace.events()) == 1


def test_dedup_key_is_message_id_and_client_timestamp(tracker: Tracker) -> None:
    # Documented design: the client timestamp is part of the key, so the same messageId
    # sent with another timestamp is a different message; without a timestamp all
    # messages share bucket 0 and the messageId alone decides.
    tracker.write(page("m-1"))
    assert tracker.write(page("m-1", timestamp="2026-03-01T08:59:01Z")).stored == 1
    bare = {"type": "page", "messageId": "m-2", "anonymousId": "a1"}
    assert tracker.write(bare).stored == 1
    assert tracker.write(bare).duplicates == 1
    assert {e.dedup_ts for e in tracker.events() if e.message_id == "m-2"} == {0}


def test_units_written_together_are_reported_apart(tracker: Tracker) -> None:
    u1 = tracker.unit([page("m-1"), page("m-2")])
    u2 = tracker.unit([page("m-2"), page("m-3")], [Rejected("api:/v1/batch", "bad", "{}", 2)])
    r1, r2 = tracker.store.write([u1, u2])
    assert (r1.stored, r1.duplicates, r1.rejected) == (2, 0, 0)
    assert (r2.stored, r2.duplicates, r2.rejected) == (1, 1, 1)


def test_rejected_records_are_quarantined_with_their_reason(
    tracker: Tracker, container: Container
) -> None:
    unit = tracker.unit(
        [page("m-1")],
        [Rejected("api:/v1/batch", "message 1: track needs a non-empty event name", '{"x":1}', 1)],
    )
    tracker.store.write([unit])
    with container.engine.connect() as conn:
        rows = list(conn.execute(select(quarantine)))
    assert len(rows) == 1
    row = rows[0]
    assert (row.workspace_id, row.source, row.line) == (
        tracker.workspace_id,
        "api:/v1/batch",
        1,
    )
    assert "event name" in row.reason and row.raw == '{"x":1}'
    assert as_utc(row.received_at) is not None


def test_a_failing_write_stores_nothing_and_leaves_no_stale_identity(
    tracker: Tracker, container: Container
) -> None:
    good = tracker.unit([page("m-1", anon="fresh-device")])
    # A workspace that does not exist violates the foreign keys of contacts/identities.
    bad = WriteUnit(10_000, 1, tracker.unit([page("m-2", anon="other")]).messages)
    with pytest.raises(StoreError):
        tracker.store.write([good, bad])
    assert tracker.events() == []
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(identities)).scalar_one() == 0
    # The same unit again: identities created in the rolled-back transaction must not be
    # remembered, or the event would point at an identity that does not exist.
    assert tracker.store.write([good])[0].stored == 1
    with container.engine.connect() as conn:
        joined = conn.execute(
            select(func.count())
            .select_from(events.join(identities, identities.c.id == events.c.identity_id))
            .where(events.c.workspace_id == tracker.workspace_id)
        ).scalar_one()
    assert joined == 1


def test_a_large_unit_is_stored_completely_and_deduplicated(tracker: Tracker) -> None:
    # Large enough for the PostgreSQL bulk (COPY) path, with repeats inside and across.
    base = datetime(2026, 3, 1, tzinfo=UTC)
    raws = [
        page(f"m-{i}", anon=f"a{i % 97}", timestamp=(base + timedelta(seconds=i)).isoformat())
        for i in range(2500)
    ]
    first = tracker.store.write([tracker.unit(raws + raws[:10])])[0]
    assert (first.stored, first.duplicates) == (2500, 10)
    again = tracker.store.write([tracker.unit(raws[-2100:])])[0]
    assert (again.stored, again.duplicates) == (0, 2100)
    assert len(tracker.events()) == 2500
    assert len({e.identity_id for e in tracker.events()}) == 97


def test_a_unit_after_an_all_new_one_still_skips_the_stored_half(tracker: Tracker) -> None:
    """After an all-new bulk unit PostgreSQL COPYs the next without probing first; a stored
    key must fail that COPY and send the unit through the probe, whatever its position."""
    base = datetime(2026, 3, 1, tzinfo=UTC)
    raws = [
        page(f"m-{i}", timestamp=(base + timedelta(seconds=i)).isoformat()) for i in range(6000)
    ]
    assert tracker.store.write([tracker.unit(raws[:2500])])[0].stored == 2500
    assert tracker.store.write([tracker.unit(raws[2500:5000])])[0].stored == 2500  # all new
    mixed = raws[5000:] + raws[4000:5000] + raws[5000:5100]  # new first, stored last
    result = tracker.store.write([tracker.unit(mixed)])[0]
    assert (result.stored, result.duplicates) == (1000, 1100)
    assert sorted(int(e.message_id[2:]) for e in tracker.events()) == list(range(6000))


def test_a_bulk_copy_that_meets_a_stored_key_falls_back_to_the_staged_insert(
    tracker: Tracker,
) -> None:
    """The PostgreSQL bulk path probes for stored keys, then COPYs the rest straight in; if a
    key got stored in between anyway (it cannot, under the workspace lock), the COPY fails in
    a savepoint and the deduplicating staged insert stores what is new, in the same
    transaction."""
    if tracker.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    tracker.write(page("m-1"))
    (stored,) = [tuple(r) for r in _event_columns(tracker)]
    fresh = (*stored[:3], stored[3] + 1, "m-2", *stored[5:])
    with tracker.engine.begin() as conn:
        assert tracker.store._copy_fresh(conn, [*stored, *fresh]) == 1
        conn.exec_driver_sql("SELECT 1")  # the transaction is still usable
    assert sorted(e.message_id for e in tracker.events()) == ["m-1", "m-2"]


def _event_columns(tracker: Tracker) -> list[tuple[object, ...]]:
    cols = [events.c[name] for name in EVENT_COLUMNS]
    with tracker.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(events.c.id))]
