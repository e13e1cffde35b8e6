"""The full profile recompute as DuckDB SQL: events -> observations -> states -> profile rows.

Each step is the set-based form of a Python definition that stays the definition:

- :func:`leadloop.domain.consumption.observe` (what one event says about an asset), read
  from the stored payload with DuckDB's JSON functions, one parse per event. Page urls
  without an ``asset_id`` are matched through :func:`leadloop.domain.content.url_key` in
  Python over the *distinct* urls (few), then joined. The rare event whose section ids are
  not strings or integers (Python's ``str()`` of a float or a boolean is not JSON's text) is
  handed to ``observe`` itself (:data:`PY_FALLBACK`), so nothing is approximated.
- :meth:`leadloop.domain.consumption.AssetState.combine` as one group-by.
- :func:`leadloop.services.profiling.profile_row` (via ``build_profile``): grades, decayed
  weights, the stage rule, ranked interests, persona, segment, log weight, last hot signal.
  Every summed weight is rounded to a multiple of 2**-30 first (``quantized``), so a sum is
  exact and the same bits in any order: plain parallel ``sum``, no ordered aggregate.

The tests (tests/analytics/test_profile_sql.py, tests/services/test_profile_rebuild.py)
prove each step equal to the Python path on generated events and on the simulated world.
Only DuckDB's built-in json and parquet are used; nothing is installed or loaded at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import duckdb
import pyarrow as pa

from leadloop.domain.consumption import MAX_ACTIVE_MS, MAX_SECTIONS, DepthThresholds
from leadloop.domain.content import HOT_SIGNAL, ContentItem, url_key
from leadloop.domain.facts import GRADES
from leadloop.domain.profile_config import DAY_MS, WEIGHT_EPOCH_MS, WEIGHT_SCALE, ProfileConfig
from leadloop.domain.stages import STAGES

EVENTS_SCHEMA: Final = pa.schema(
    [
        ("id", pa.int64()),
        ("identity_id", pa.int64()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("at_ms", pa.int64()),
        ("payload_json", pa.string()),
    ]
)
"""What the extraction reads: the profiling columns of the events table, time in epoch ms."""

CATALOG_SCHEMA: Final = pa.schema(
    [
        ("asset_id", pa.string()),
        ("buying_stage", pa.string()),
        ("signal", pa.float64()),
        ("topics", pa.list_(pa.string())),
        ("personas", pa.list_(pa.string())),
        ("segments", pa.list_(pa.string())),
    ]
)

PY_FALLBACK: Final = "py_fallback"
"""Column of ``ev_props`` marking events whose sections only Python's ``str()`` renders."""

_PATHS: Final = (
    "asset_id", "url", "read_depth", "active_seconds", "sections_reached", "section",
    "sections_total", "percent", "minutes_attended",
)  # fmt: skip
_PLAIN: Final = "('VARCHAR', 'BIGINT', 'UBIGINT', 'NULL')"
"""JSON types whose ``str()`` in Python equals DuckDB's text of them (str, int, None)."""


def connect(memory_limit: str | None = None, temp_directory: str | None = None) -> Any:
    """An in-process DuckDB that never installs or auto-loads an extension."""
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory:
        config["temp_directory"] = temp_directory
    con = duckdb.connect(config=config)
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")  # naive stored times are UTC (ICU is built in)
    return con


def _num(v: str) -> str:
    """``consumption._number``: a JSON number that is not negative, as DOUBLE, else NULL."""
    return (
        f"CASE WHEN json_type({v}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') "
        f"AND CAST({v} AS DOUBLE) >= 0 THEN CAST({v} AS DOUBLE) END"
    )


def _min(x: str, cap: str) -> str:
    """Python's ``min(x, cap)`` keeping NULL (DuckDB's ``least`` skips NULLs)."""
    return f"(CASE WHEN ({x}) > {cap} THEN {cap} ELSE ({x}) END)"


def _percent(v: str) -> str:
    return f"coalesce({_min(_num(v), '100.0')}, 0.0)"


def _ms(v: str, scale: int) -> str:
    """``consumption._ms``: truncated to whole ms, clamped to a day (clamp first: no overflow)."""
    clamped = _min(f"{_num(v)} * {scale}.0", f"{MAX_ACTIVE_MS}.0")
    return f"coalesce(CAST(floor({clamped}) AS BIGINT), 0)"


def _text(v: str) -> str:
    """``str(value)[:100]`` for a JSON string or integer (the plain types)."""
    return (
        f"CASE WHEN json_type({v}) = 'VARCHAR' THEN left(json_extract_string({v}, '$'), 100) "
        f"WHEN json_type({v}) IN ('BIGINT', 'UBIGINT') THEN left(CAST({v} AS VARCHAR), 100) END"
    )


def extraction_sql(events: str) -> str:
    """``ev_props``: per page/track event, the properties observe reads.

    Invalid JSON leaves ``j`` NULL, so every field is NULL or zero and the event names no
    asset (the pre-fold drops it). No ``j IS NOT NULL`` filter: DuckDB would push it down
    and evaluate the extraction twice (a third of the pass)."""
    paths = ", ".join(f"'$.properties.{p}'" for p in _PATHS)
    v = {p: f"j[{n}]" for n, p in enumerate(_PATHS, start=1)}
    sr = v["sections_reached"]
    listed = f"list_slice(CAST(json_extract({sr}, '$[*]') AS JSON[]), 1, {MAX_SECTIONS})"
    counted = f"CAST(floor({_min(_num(sr), f'{MAX_SECTIONS}.0')}) AS BIGINT)"
    section = _text(v["section"])
    return f"""
    CREATE OR REPLACE TEMP VIEW ev_props AS
    WITH parsed AS (
        SELECT id, identity_id, type AS kind, at_ms,
               CASE WHEN type = 'track' THEN coalesce(event, '') ELSE '' END AS name,
               try(json_extract(payload_json, [{paths}])) AS j
        FROM {events}
        WHERE type IN ('page', 'track')
    )
    SELECT id, identity_id, kind, name, at_ms,
        CASE WHEN json_type({v["asset_id"]}) = 'VARCHAR'
                  AND json_extract_string({v["asset_id"]}, '$') <> ''
             THEN left(json_extract_string({v["asset_id"]}, '$'), 255) END AS asset_id,
        CASE WHEN kind = 'page' AND json_type({v["url"]}) = 'VARCHAR'
             THEN json_extract_string({v["url"]}, '$') END AS url,
        CASE name WHEN 'Content Engaged' THEN {_percent(v["read_depth"])}
                  WHEN 'Video Progress' THEN {_percent(v["percent"])}
                  WHEN 'Webinar Attended' THEN {_percent(v["percent"])}
                  ELSE 0.0 END AS depth,
        CASE name WHEN 'Content Engaged' THEN {_ms(v["active_seconds"], 1000)}
                  WHEN 'Webinar Attended' THEN {_ms(v["minutes_attended"], 60_000)}
                  ELSE 0 END AS active_ms,
        CASE WHEN name = 'Content Engaged' AND coalesce(json_type({sr}), '') <> 'ARRAY'
             THEN greatest(coalesce({counted}, 0), 0) ELSE 0 END AS sections_n,
        CASE WHEN name = 'Content Engaged'
                  AND (json_type({sr}) = 'ARRAY' OR {section} IS NOT NULL)
             THEN list_distinct(list_concat(
                 CASE WHEN json_type({sr}) = 'ARRAY'
                      THEN list_filter(list_transform({listed}, lambda e: {_text("e")}),
                                       lambda e: e IS NOT NULL)
                      ELSE [] END,
                 CASE WHEN {section} IS NOT NULL THEN [{section}] ELSE [] END))
             END AS sections_l,
        CASE WHEN name = 'Content Engaged' THEN
             coalesce(CAST(floor({_min(_num(v["sections_total"]), f"{MAX_SECTIONS}.0")})
                           AS BIGINT), 0)
             ELSE 0 END AS sections_total,
        CASE WHEN name = 'Asset Downloaded' THEN 1 ELSE 0 END AS downloads,
        name = 'Content Engaged' AND (
            (json_type({sr}) = 'ARRAY' AND len(list_filter({listed},
                lambda e: json_type(e) NOT IN {_PLAIN})) > 0)
            OR coalesce(json_type({v["section"]}), 'NULL') NOT IN {_PLAIN}
        ) AS {PY_FALLBACK}
    FROM parsed
    """


PAGE_URLS_SQL: Final = (
    "SELECT DISTINCT url FROM pre WHERE asset_id IS NULL AND url IS NOT NULL ORDER BY url"
)
"""Distinct page urls that only the catalog's url matcher can turn into an asset."""


def url_table(urls: Iterable[str], by_url: Mapping[str, str]) -> pa.Table:
    """url -> asset id through :func:`url_key` (the Python definition), for the join."""
    pairs = [(u, by_url.get(url_key(u))) for u in urls]
    kept = [(u, a) for u, a in pairs if a is not None]
    return pa.table(
        {"url": [u for u, _ in kept], "asset_id": [a for _, a in kept]},
        schema=pa.schema([("url", pa.string()), ("asset_id", pa.string())]),
    )


PY_OBSERVATIONS_SCHEMA: Final = pa.schema(
    [
        ("identity_id", pa.int64()),
        ("asset_id", pa.string()),
        ("event_id", pa.int64()),
        ("at_ms", pa.int64()),
        ("depth", pa.float64()),
        ("active_ms", pa.int64()),
        ("sections", pa.list_(pa.string())),
        ("sections_total", pa.int64()),
        ("visits", pa.int64()),
        ("downloads", pa.int64()),
    ]
)

PRE_FOLD: Final = f"""
CREATE OR REPLACE TEMP TABLE pre AS
SELECT identity_id, asset_id, CASE WHEN asset_id IS NULL THEN url END AS url,
       CASE WHEN {PY_FALLBACK} THEN id END AS fallback_id,
       min(at_ms) AS first_at_ms, max(at_ms) AS last_at_ms,
       min(id) AS first_event_id, max(id) AS last_event_id, count(*) AS events,
       max(depth) AS depth, CAST(sum(active_ms) AS BIGINT) AS active_ms,
       max(sections_n) AS sections_n,
       list_distinct(flatten(list(sections_l) FILTER (WHERE sections_l IS NOT NULL)))
           AS sections_l,
       max(sections_total) AS sections_total,
       CAST(sum(CASE WHEN kind = 'page' THEN 1 ELSE 0 END) AS BIGINT) AS visits,
       CAST(sum(downloads) AS BIGINT) AS downloads
FROM ev_props
WHERE asset_id IS NOT NULL OR url IS NOT NULL OR {PY_FALLBACK}
GROUP BY ALL
"""
"""Pass over the events: folded per (identity, asset or url); a fallback event on its own.
Sections reached as a count fold as their maximum ({1..a} | {1..b} is {1..max}); listed
section ids (rare) are collected."""

FOLD: Final = """
CREATE OR REPLACE TEMP TABLE states AS
WITH keyed AS (
    SELECT p.identity_id, coalesce(p.asset_id, u.asset_id) AS asset_id, p.first_at_ms,
           p.last_at_ms, p.first_event_id, p.last_event_id, p.events, p.depth, p.active_ms,
           p.sections_n, p.sections_l, p.sections_total, p.visits, p.downloads
    FROM pre p LEFT JOIN page_urls u ON p.asset_id IS NULL AND u.url = p.url
    WHERE p.fallback_id IS NULL
    UNION ALL
    SELECT identity_id, asset_id, at_ms, at_ms, event_id, event_id, 1, depth, active_ms,
           0, sections, sections_total, visits, downloads
    FROM py_observations
)
SELECT identity_id, asset_id, min(first_at_ms) AS first_at_ms, max(last_at_ms) AS last_at_ms,
       min(first_event_id) AS first_event_id, max(last_event_id) AS last_event_id,
       CAST(sum(events) AS BIGINT) AS events, max(depth) AS depth,
       CAST(sum(active_ms) AS BIGINT) AS active_ms,
       list_sort(list_distinct(list_concat(
           list_transform(range(1, max(sections_n) + 1), lambda x: CAST(x AS VARCHAR)),
           coalesce(flatten(list(sections_l) FILTER (WHERE sections_l IS NOT NULL)), [])
       ))) AS sections,
       max(sections_total) AS sections_total, CAST(sum(visits) AS BIGINT) AS visits,
       CAST(sum(downloads) AS BIGINT) AS downloads
FROM keyed WHERE asset_id IS NOT NULL
GROUP BY identity_id, asset_id
"""


@dataclass(frozen=True, slots=True)
class Params:
    """The profile config as bound query parameters (DOUBLEs, never decimal literals)."""

    values: dict[str, Any]

    @classmethod
    def of(cls, cfg: ProfileConfig) -> Params:
        t: DepthThresholds = cfg.thresholds
        v: dict[str, Any] = {f"gw{n}": float(w) for n, w in enumerate(cfg.grade_weights)}
        v.update(
            boost=float(cfg.signal_boost), hl_ms=cfg.half_life_days * DAY_MS,
            epoch_ms=WEIGHT_EPOCH_MS, share=float(cfg.stage_share), hot=float(HOT_SIGNAL),
            hot_rank=GRADES.index(cfg.hot_min_grade), top=int(cfg.top_interests),
            t_read=float(t.read_depth_pct), t_deep=float(t.deep_read_depth_pct),
            t_done=float(t.completed_pct), s_read=float(t.read_seconds),
            s_deep=float(t.deep_read_seconds), n_read=int(t.read_sections),
            n_deep=int(t.deep_read_sections), v_read=int(t.read_visits),
        )  # fmt: skip
        return cls(v)


def _q(value: str) -> str:
    """:func:`leadloop.domain.profile_config.quantized`: sums of these are exact in any order."""
    return f"(floor(({value}) * {WEIGHT_SCALE!r} + 0.5) / {WEIGHT_SCALE!r})"


def _stage_sql() -> str:
    """buying_stage(): total in STAGES order, then the running share from the last stage."""
    cols = [f"coalesce(w{n}, 0.0)" for n in range(len(STAGES))]
    total = cols[0]
    for c in cols[1:]:
        total = f"({total} + {c})"
    running = "0.0"
    whens = []
    for n in reversed(range(len(STAGES))):
        running = f"({running} + {cols[n]})"
        whens.append(f"WHEN {running} >= $share * {total} THEN '{STAGES[n]}'")
    return f"CASE WHEN {total} <= 0 THEN NULL {' '.join(whens)} ELSE '{STAGES[0]}' END"


def profile_sql() -> str:
    """``profile_rows`` and ``profile_topics`` from ``states``, ``idmap`` and ``catalog``."""
    pivot = ", ".join(
        f"max(CASE WHEN buying_stage = '{s}' THEN w END) AS w{n}" for n, s in enumerate(STAGES)
    )
    return f"""
    CREATE OR REPLACE TEMP TABLE evidence AS
    WITH mine AS (
        SELECT m.contact_id, s.*, max(s.last_at_ms) OVER (PARTITION BY m.contact_id) AS as_of
        FROM states s JOIN idmap m ON m.identity_id = s.identity_id
    ), graded AS (
        SELECT x.contact_id, x.identity_id, x.asset_id, x.last_at_ms, x.as_of,
               c.buying_stage, c.signal, c.topics, c.personas, c.segments,
               CASE WHEN x.downloads <> 0 THEN 4
                    WHEN x.depth >= $t_done THEN 3
                    WHEN x.depth >= $t_deep OR x.active_ms / 1000 >= $s_deep
                         OR len(x.sections) >= $n_deep THEN 2
                    WHEN x.depth >= $t_read OR x.active_ms / 1000 >= $s_read
                         OR len(x.sections) >= $n_read OR x.visits >= $v_read THEN 1
                    ELSE 0 END AS g
        FROM mine x JOIN catalog c ON c.asset_id = x.asset_id
    ), based AS (
        SELECT *, [$gw0, $gw1, $gw2, $gw3, $gw4][g + 1]
                  * (1.0 + $boost * coalesce(signal, 0.0)) AS base
        FROM graded
    )
    SELECT contact_id, identity_id, asset_id, last_at_ms, buying_stage, topics, personas,
           segments, g, signal,
           {_q("base * pow(0.5, CAST(as_of - last_at_ms AS DOUBLE) / $hl_ms)")} AS weight,
           log2(base) + CAST(last_at_ms - $epoch_ms AS DOUBLE) / $hl_ms AS log_w
    FROM based;

    CREATE OR REPLACE TEMP TABLE profile_topics AS
    WITH t AS (
        SELECT contact_id, weight, unnest(topics) AS topic FROM evidence
    ), summed AS (
        SELECT contact_id, topic, sum(weight) AS w FROM t GROUP BY contact_id, topic
    )
    SELECT contact_id, topic, rank FROM (
        SELECT contact_id, topic,
               row_number() OVER (PARTITION BY contact_id ORDER BY w DESC, topic) AS rank
        FROM summed)
    WHERE rank <= $top;

    CREATE OR REPLACE TEMP TABLE profile_rows AS
    WITH stages AS (
        SELECT contact_id, {pivot} FROM (
            SELECT contact_id, buying_stage, sum(weight) AS w FROM evidence
            GROUP BY contact_id, buying_stage)
        GROUP BY contact_id
    ), totals AS (
        SELECT contact_id, count(*) AS assets, max(log_w) AS top_log,
               max(last_at_ms) FILTER (WHERE signal >= $hot AND g >= $hot_rank) AS last_hot
        FROM evidence GROUP BY contact_id
    ), logs AS (
        SELECT e.contact_id,
               t.top_log + log2(sum({_q("pow(2.0, e.log_w - t.top_log)")})) AS weight_log2
        FROM evidence e JOIN totals t USING (contact_id) GROUP BY e.contact_id, t.top_log
    ), {_first("persona", "personas")}, {_first("segment", "segments")}
    SELECT t.contact_id, {_stage_sql()} AS buying_stage, p.persona, sg.segment,
           tp.topic AS top_interest, l.weight_log2, t.last_hot AS last_hot_at_ms, t.assets
    FROM totals t JOIN stages s USING (contact_id) JOIN logs l USING (contact_id)
    LEFT JOIN persona p USING (contact_id) LEFT JOIN segment sg USING (contact_id)
    LEFT JOIN profile_topics tp ON tp.contact_id = t.contact_id AND tp.rank = 1;
    """


def _first(name: str, column: str) -> str:
    """The top-weighted value of a tag list per contact (ties: the smaller name)."""
    return f"""{name} AS (
        SELECT contact_id, {name} FROM (
            SELECT contact_id, {name},
                   row_number() OVER (PARTITION BY contact_id ORDER BY w DESC, {name}) AS r
            FROM (SELECT contact_id, {name}, sum(weight) AS w FROM (
                      SELECT contact_id, weight, unnest({column}) AS {name} FROM evidence)
                  GROUP BY contact_id, {name}))
        WHERE r = 1)"""


def catalog_table(items: Mapping[str, ContentItem]) -> pa.Table:
    rows = sorted(items.items())
    return pa.table(
        {
            "asset_id": [a for a, _ in rows],
            "buying_stage": [i.buying_stage for _, i in rows],
            "signal": [i.signal for _, i in rows],
            "topics": [list(i.topics) for _, i in rows],
            "personas": [list(i.personas) for _, i in rows],
            "segments": [list(i.segments) for _, i in rows],
        },
        schema=CATALOG_SCHEMA,
    )


def run_profiles(con: Any, cfg: ProfileConfig) -> None:
    """Compute ``evidence``, ``profile_topics`` and ``profile_rows`` on ``con``."""
    params = Params.of(cfg).values
    for statement in profile_sql().split(";"):
        if statement.strip():
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used)
