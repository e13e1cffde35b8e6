"""Each store's fast forms of the profile store (store/profile_state_pg.py on PostgreSQL,
store/profile_state_sqlite.py on SQLite) store and read exactly what the portable forms do:
fast paths, not second definitions."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select

from leadloop.bootstrap import Container
from leadloop.domain.consumption import AssetState
from leadloop.store import profile_state_pg as pg
from leadloop.store import profile_state_sqlite, tables
from leadloop.store.profile_reads import contact_states_portable
from leadloop.store.profile_state import ProfileRow, SqlProfileStateStore
from leadloop.store.profile_state_pg import profile_state_store
from leadloop.store.tables import profile_interests, profile_states, profiles
from profiling_helpers import T0, Site, msg, page, track

_slugs = itertools.count()
PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
BIG = st.integers(0, 2**62)
SMALL = st.integers(0, 2**31 - 1)
DEPTH = st.floats(0, 100, allow_nan=False) | st.sampled_from([0.1 + 0.2, 1 / 3, 99.99999999])


@st.composite
def asset_state(draw: st.DrawFn) -> AssetState:
    return AssetState(
        first_at_ms=draw(BIG), last_at_ms=draw(BIG), first_event_id=draw(BIG),
        last_event_id=draw(BIG), events=draw(SMALL), depth=draw(DEPTH), active_ms=draw(BIG),
        sections=frozenset(draw(st.lists(TEXT, max_size=4))), sections_total=draw(SMALL),
        visits=draw(SMALL), downloads=draw(SMALL),
    )  # fmt: skip


STATES = st.dictionaries(
    st.tuples(st.integers(1, 40), TEXT.filter(bool)), asset_state(), max_size=30
)
PROFILE_ROWS = st.lists(
    st.builds(
        ProfileRow,
        contact_id=st.integers(1, 2**40),
        buying_stage=st.none() | st.sampled_from(["awareness", "consideration"]),
        persona=st.none() | TEXT,
        segment=st.none() | TEXT,
        interests=st.lists(TEXT.filter(bool), max_size=4, unique=True).map(tuple),
        weight_log2=st.none() | st.floats(-1e300, 1e300, allow_nan=False),
        last_hot_at_ms=st.none() | BIG,
        assets=st.integers(0, 5),
    ),
    max_size=12,
    unique_by=lambda r: r.contact_id,
)


@pytest.fixture
def pg_container(container: Container) -> Iterator[Container]:
    if container.engine.dialect.name != "postgresql":
        pytest.skip("the lock and its plan are PostgreSQL's")
    yield container


def _fast(container: Container) -> SqlProfileStateStore:
    store = profile_state_store(container.engine)
    assert type(store) is not SqlProfileStateStore  # each store has its fast forms
    return store


_stamps = select(profiles.c.updated_at)


def _contact_states(conn: Connection, ws: int, ids: list[int]) -> Any:
    if conn.dialect.name == "postgresql":
        return pg.contact_states(conn, ws, ids)
    return profile_state_sqlite.contact_states(conn, ws, ids)


def _rows(conn: Connection, table: Any, workspace_id: int, skip: tuple[str, ...]) -> list[Any]:
    cols = [c for c in table.c if c.name not in ("workspace_id", *skip)]
    query = select(*cols).where(table.c.workspace_id == workspace_id)
    return sorted(tuple(r) for r in conn.execute(query))


@PROPERTY
@given(first=STATES, second=STATES)
def test_saved_and_loaded_states_equal_the_portable_forms(
    container: Container, first: dict[tuple[int, str], AssetState],
    second: dict[tuple[int, str], AssetState],
) -> None:  # fmt: skip
    portable, fast = SqlProfileStateStore(container.engine), _fast(container)
    a = container.workspaces.create_workspace(f"portable-{next(_slugs)}")
    b = container.workspaces.create_workspace(f"batch-{next(_slugs)}")
    with container.engine.begin() as conn:
        for states in (first, second):  # the second round overwrites part of the first
            portable.save_states(conn, a, states)
            fast.save_states(conn, b, states)
        assert _rows(conn, profile_states, a, ()) == _rows(conn, profile_states, b, ())
        keys = [*first, *second, (999, "never")]
        loaded = fast.load_states(conn, b, keys)
        assert loaded == portable.load_states(conn, a, keys) == {**first, **second}


@PROPERTY
@given(first=PROFILE_ROWS, second=PROFILE_ROWS)
def test_written_profiles_equal_the_portable_forms(
    container: Container, first: list[ProfileRow], second: list[ProfileRow]
) -> None:
    portable, fast = SqlProfileStateStore(container.engine), _fast(container)
    a = container.workspaces.create_workspace(f"portable-{next(_slugs)}")
    b = container.workspaces.create_workspace(f"batch-{next(_slugs)}")
    with container.engine.begin() as conn:
        for rows in (first, second):  # rows without assets delete, the others replace
            portable.write_profiles(conn, a, rows)
            fast.write_profiles(conn, b, rows)
        for table in (profiles, profile_interests):
            assert _rows(conn, table, a, ("updated_at",)) == _rows(conn, table, b, ("updated_at",))
        # The time is written as SQLAlchemy writes it (SQLite: naive UTC text), so it reads
        # back alike.
        stamps = [
            {v.tzinfo is None for v in conn.execute(_stamps.where(profiles.c.workspace_id == w))
             .scalars()}
            for w in (a, b)
        ]  # fmt: skip
        assert stamps[0] == stamps[1]


def test_contact_reads_and_merge_cleanup_equal_the_portable_forms(
    container: Container,
) -> None:
    site = Site.create(container, "reads")
    site.write(page(T0, {"anonymousId": "a1"}, "vb-1"), page(T0, {"anonymousId": "a2"}, "map-1"))
    site.write(
        track(T0, {"anonymousId": "a1", "userId": "u1"}, "Asset Downloaded", asset_id="map-1"),
        msg("identify", T0, {"anonymousId": "a2"}, traits={"email": "ada@bank.example"}),
        msg("identify", T0, {"userId": "u1"}, traits={"email": "ada@bank.example"}),
    )  # a1, a2 and u1 end up one contact: merges re-point identities
    updater = container.profile_updater
    updater.catch_up(site.workspace_id)
    ws, portable = site.workspace_id, SqlProfileStateStore(container.engine)
    fast = _fast(container)
    with container.engine.begin() as conn:
        identity_ids = list(range(1, 50))
        contacts = sorted(portable.contacts_of(conn, ws, identity_ids))
        assert fast.contacts_of(conn, ws, identity_ids) == set(contacts)
        asked = [*contacts, 10**9]
        portable_states = contact_states_portable(conn, ws, asked)
        batch_states = _contact_states(conn, ws, asked)
        assert {c: sorted(v, key=repr) for c, v in batch_states.items()} == {
            c: sorted(v, key=repr) for c, v in portable_states.items()
        }
        assert any(portable_states.values())
        everyone = [int(c) for c in conn.execute(select(tables.contacts.c.id)).scalars()]
        rows = [ProfileRow(c, None, None, None, ("risk",), None, None, 1) for c in everyone]
        fast.write_profiles(conn, ws, rows)  # losers of the merges get a profile again
    results = []
    for drop in (fast.drop_merged, portable.drop_merged):
        with container.engine.begin() as conn:
            drop(conn, ws, contacts)
            results.append(
                [_rows(conn, t, ws, ("updated_at",)) for t in (profiles, profile_interests)]
            )
            conn.rollback()
    assert results[0] == results[1]
    assert len(results[0][0]) < len(everyone)  # the merged-away contacts were dropped


def test_events_after_reads_the_next_events_in_id_order(container: Container) -> None:
    site = Site.create(container, "events")
    other = Site.create(container, "other")
    for i in range(5):
        site.write(page(T0, {"anonymousId": f"a{i}"}, "vb-1"))
        other.write(page(T0, {"anonymousId": f"b{i}"}, "vb-1"))
    portable, fast = SqlProfileStateStore(container.engine), _fast(container)
    with container.engine.begin() as conn:
        for after in (0, 3, 10**9):
            for limit in (1, 2, 100):
                got = fast.events_after(conn, site.workspace_id, after, limit)
                assert got == portable.events_after(conn, site.workspace_id, after, limit)
        assert len(fast.events_after(conn, site.workspace_id, 0, 100)) == 5


def test_inside_the_lock_the_event_read_walks_the_primary_key(pg_container: Container) -> None:
    site = Site.create(pg_container, "plan")
    site.write(*(page(T0, {"anonymousId": f"a{i}"}, "vb-1") for i in range(50)))
    sql = pg._EVENTS_AFTER.format(limit=10)
    with pg_container.engine.begin() as conn:
        pg.lock(conn, site.workspace_id)
        plan = "\n".join(
            r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}", (site.workspace_id, 0))
        )
    assert "Index Scan using pk_events" in plan and "Sort" not in plan, plan
    with pg_container.engine.begin() as conn:  # the setting ended with the transaction
        assert conn.exec_driver_sql("SHOW enable_sort").scalar() == "on"
