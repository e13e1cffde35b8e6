"""The DuckDB recompute equals the Python definitions, for any events.

Events of every shape a stored payload can take (numbers of any JSON type, section ids as
counts or lists of mixed types, page urls that only ``url_key`` matches, broken JSON) go
through :mod:`leadloop.services.profile_rebuild_duckdb` and through ``observe`` / ``fold``
/ ``profile_row``; states and profile rows must be identical, floats bit for bit (summed weights are
quantized, so sums are exact in any order).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.analytics import profile_sql
from leadloop.domain.consumption import AssetState, epoch_ms, fold, from_ms
from leadloop.domain.content import ContentItem, url_key
from leadloop.domain.profile import ProfileConfig
from leadloop.services import profile_rebuild_duckdb as duck
from leadloop.services.profile_writeback import PROFILES_OUT, STATES_OUT, TOPICS_OUT
from leadloop.services.profiling import Catalog, observations, profile_row
from leadloop.store.profile_state import EventRow, ProfileRow
from profile_helpers import CONTENT

ITEMS = {
    **CONTENT,
    "dup-1": ContentItem("dup-1", "https://X.example/Dup/", "Two topics, twice", "article",
                         "purchase", ("b", "a", "b"), ("CFO", "CIO"), ("smb",), signal=0.5),
    "hot-2": ContentItem("hot-2", "https://x.example/hot", "Price list", "price list",
                         "advocacy", ("a",), ("CIO",), ("smb", "mid-market"), signal=1.0),
}  # fmt: skip
CATALOG = Catalog(ITEMS, {url_key(i.url): a for a, i in ITEMS.items()})
IDENTITY_CONTACT = {1: 10, 2: 10, 3: 11, 4: 12, 5: 12}

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 700), st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.floats(0, 400), st.text(max_size=3),
)  # fmt: skip
section_item = st.one_of(
    st.none(), st.integers(-3, 12), st.sampled_from(["a", "b", "1", "é", "x" * 120]),
    st.floats(0, 5), st.booleans(), st.lists(st.integers(0, 2), max_size=2),
)  # fmt: skip
sections = st.one_of(json_scalar, st.integers(0, 600), st.lists(section_item, max_size=6))
URLS = [
    "https://x.example/vb", "https://X.EXAMPLE/vb/?utm_source=m#top", " http://x.example/map/ ",
    "https://x.example/dup", "https://x.example/Dup", "https://x.example/none", "not a url", "",
]  # fmt: skip
ASSET = st.one_of(st.sampled_from([*ITEMS, "unknown", "", "a" * 300]), st.integers(0, 3), st.none())


@st.composite
def payload(draw: st.DrawFn) -> str:
    shape = draw(st.integers(0, 12))
    if shape == 0:
        return draw(st.sampled_from(["{broken", "[]", '"text"', "null", '{"properties": 3}']))
    props: dict[str, Any] = {}
    if draw(st.integers(0, 4)):
        props["asset_id"] = draw(ASSET)
    if draw(st.booleans()):
        props["url"] = draw(st.one_of(st.sampled_from(URLS), st.integers(0, 2)))
    for key, values in (
        ("read_depth", json_scalar), ("active_seconds", json_scalar),
        ("sections_reached", sections), ("section", section_item),
        ("sections_total", json_scalar), ("percent", json_scalar),
        ("minutes_attended", json_scalar),
    ):  # fmt: skip
        if draw(st.booleans()):
            props[key] = draw(values)
    return orjson.dumps({"type": "x", "properties": props}).decode()


KINDS = [
    ("page", None), ("page", "Content Engaged"), ("track", "Content Engaged"),
    ("track", "Video Progress"), ("track", "Asset Downloaded"), ("track", "Webinar Attended"),
    ("track", "Email Opened"), ("track", None), ("identify", None), ("pageview", None),
]  # fmt: skip
T0_MS = 1_767_225_600_000  # 2026-01-01
event = st.tuples(
    st.sampled_from(sorted(IDENTITY_CONTACT)), st.sampled_from(KINDS),
    st.integers(T0_MS - 400 * 86_400_000, T0_MS), payload(),
)  # fmt: skip


SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@pytest.fixture(scope="module")
def con() -> Iterator[Any]:
    c = profile_sql.connect()
    yield c
    c.close()


def _duck(con: Any, rows: list[EventRow], cfg: ProfileConfig) -> tuple[Any, ...]:
    table = pa.table(
        {
            "id": [r.id for r in rows], "identity_id": [r.identity_id for r in rows],
            "type": [r.type for r in rows], "event": [r.event for r in rows],
            "at_ms": [epoch_ms(r.timestamp) for r in rows],
            "payload_json": [r.payload_json for r in rows],
        },
        schema=profile_sql.EVENTS_SCHEMA,
    )  # fmt: skip
    idmap = pa.table({"identity_id": list(IDENTITY_CONTACT), "contact_id": list(
        IDENTITY_CONTACT.values())})  # fmt: skip
    con.register("events_in", table)
    duck.compute(con, CATALOG, lambda: idmap, cfg, duck.Phases(), lambda _m: None)
    states = con.execute(STATES_OUT).fetchall()
    profiles = con.execute(PROFILES_OUT).fetchall()
    topics = con.execute(TOPICS_OUT).fetchall()
    con.unregister("events_in")
    return states, profiles, topics


def _rows(drawn: list[tuple[int, tuple[str, str | None], int, str]]) -> list[EventRow]:
    return [
        EventRow(n, who, kind, name, from_ms(at), body)
        for n, (who, (kind, name), at, body) in enumerate(drawn, start=1)
    ]


def _python(rows: list[EventRow], cfg: ProfileConfig) -> tuple[Any, ...]:
    states = fold(observations(rows, CATALOG))
    by_contact: dict[int, list[tuple[str, int, AssetState]]] = {}
    for (identity, asset), s in states.items():
        by_contact.setdefault(IDENTITY_CONTACT[identity], []).append((asset, identity, s))
    profiles = []
    for contact, items in sorted(by_contact.items()):
        ordered = [(a, s) for a, _, s in sorted(items, key=lambda x: (x[0], x[1]))]
        profiles.append(profile_row(contact, ordered, CATALOG, cfg))
    return states, [p for p in profiles if p.assets]


def _same(con: Any, rows: list[EventRow], cfg: ProfileConfig) -> None:
    states, profiles = _python(rows, cfg)
    d_states, d_profiles, d_topics = _duck(con, rows, cfg)
    expected = sorted(
        (i, a, s.first_at_ms, s.last_at_ms, s.first_event_id, s.last_event_id, s.events,
         s.depth, s.active_ms, orjson.dumps(sorted(s.sections)).decode(), s.sections_total,
         s.visits, s.downloads)
        for (i, a), s in states.items()
    )  # fmt: skip
    assert sorted(d_states) == expected
    got = [
        ProfileRow(c, st_, pe, sg, tuple(t for cc, t, _ in d_topics if cc == c), w, hot, n)
        for c, st_, pe, sg, top, w, hot, n in d_profiles
    ]
    assert got == profiles  # floats compared exactly: the same bits
    assert [r[4] for r in d_profiles] == [p.interests[0] if p.interests else None for p in got]


@settings(max_examples=150, deadline=None, suppress_health_check=SLOW_OK)
@given(st.lists(event, max_size=30))
def test_duckdb_recompute_equals_observe_fold_and_profile_row(con: Any, drawn: Any) -> None:
    _same(con, _rows(drawn), ProfileConfig())


OTHER = ProfileConfig(half_life_days=7.5, stage_share=0.4, grade_weights=(0.1, 0.7, 1.9, 2.5, 4.0),
                      signal_boost=2.0, hot_min_grade="glance", top_interests=2)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=SLOW_OK)
@given(st.lists(event, max_size=30))
def test_the_config_reaches_the_sql(con: Any, drawn: Any) -> None:
    _same(con, _rows(drawn), OTHER)


def test_python_only_section_ids_take_the_python_path(con: Any) -> None:
    """A float or boolean section id is rendered by Python's str(), not JSON's text."""
    body = orjson.dumps({"properties": {"asset_id": "vb-1", "sections_reached": [1.0, True, "a"],
                                        "section": 2.5}}).decode()  # fmt: skip
    rows = [EventRow(1, 1, "track", "Content Engaged", from_ms(T0_MS), body)]
    _same(con, rows, ProfileConfig())
    sections = con.execute("SELECT sections FROM states").fetchall()
    assert sections == [(["1.0", "2.5", "True", "a"],)]


def test_page_urls_match_through_url_key(con: Any) -> None:
    body = orjson.dumps({"properties": {"url": "https://X.example/vb/?utm_medium=mail"}})
    rows = [EventRow(1, 3, "page", None, from_ms(T0_MS), body.decode())]
    states, _, _ = _duck(con, rows, ProfileConfig())
    assert [(s[0], s[1], s[11]) for s in states] == [(3, "vb-1", 1)]


def test_sums_are_the_same_bits_in_any_order_where_raw_floats_are_not(con: Any) -> None:
    """One contact reads every asset from two identities: the log-weight total has 14
    addends, the first (asset id, then identity) far above the rest, so a raw float sum
    depends on the order (the guard proves it); the quantized terms add up to the same bits
    forward and reversed, and DuckDB's parallel ``sum`` agrees with Python."""
    import math

    from leadloop.domain.profile import build_profile
    from leadloop.domain.profile_config import WEIGHT_EPOCH_MS, quantized

    half_life = ProfileConfig().half_life_days * 86_400_000
    rows, n = [], 0
    for asset in sorted(ITEMS):
        for identity in (1, 2):
            n += 1
            back = 0.0 if n == 1 else (53.2 + n / 100) * half_life
            body = orjson.dumps({"properties": {"asset_id": asset, "read_depth": 50}}).decode()
            at = from_ms(WEIGHT_EPOCH_MS - int(back))
            rows.append(EventRow(n, identity, "track", "Content Engaged", at, body))
    states, _ = _python(rows, ProfileConfig())
    items = sorted((a, i, s) for (i, a), s in states.items())
    as_of = from_ms(max(s.last_at_ms for _, _, s in items))
    p = build_profile([(a, s, None) for a, _, s in items], CATALOG.items, as_of, ProfileConfig())
    logs = [e.log_weight for e in sorted(p.evidence, key=lambda e: e.asset_id)]  # stable
    top = max(logs)
    raw = [2.0 ** (x - top) for x in logs]
    assert len(logs) == 14 and sum(raw) != sum(reversed(raw))  # raw floats: order matters
    terms = [quantized(x) for x in raw]
    assert sum(terms) == sum(reversed(terms)) == sum(sorted(terms))
    assert p.weight_log2 == top + math.log2(sum(reversed(terms)))
    _same(con, rows, ProfileConfig())
