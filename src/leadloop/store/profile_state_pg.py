"""PostgreSQL forms of the profile updater's reads and writes: one statement per batch.

The portable forms (``store/profile_state.py``) send 500-key ``IN`` lists and an
``executemany`` per chunk. On PostgreSQL a row-value ``IN`` list of (identity, asset) pairs
plans as hundreds of index probes, every chunk is a round trip, and the background worker
folded more slowly than the ingest path wrote. Here a batch's keys and rows travel as one
JSON document (``json_to_recordset``, serialised by orjson) or one integer array literal:
one statement, one round trip.

The statements are also written to plan well **without statistics** (a fresh schema, or a
server with autovacuum off): there, the planner takes every ``workspace_id = …`` for a rare
value and scans the workspace's whole slice of a ``workspace_id``-leading index on each
batch, so a batch cost grew with the history. Each statement therefore reaches rows through
their own keys (``id = ANY``, the primary key with both columns; ``workspace_id + 0`` where
only a workspace-leading index would otherwise be considered), and the event read walks
the primary key from the cursor (see :func:`lock`).

What is stored is exactly what the portable forms store (tests/store/test_profile_state_pg.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection, Engine

from leadloop.domain.consumption import AssetState
from leadloop.store.engine import is_sqlite, utcnow
from leadloop.store.profile_state import (
    LOCK_KEY,
    PROFILE_COLUMNS,
    STATE_COLUMNS,
    EventRow,
    ProfileRow,
    SqlProfileStateStore,
    chunks,
    event_row,
    profile_fields,
    state_from_row,
    state_values,
)
from leadloop.store.profile_state_sqlite import SqliteProfileStateStore

ROWS_PER_STATEMENT: Final = 20_000
"""Bounds one statement's document (a catch-up batch rarely holds more states than this)."""

_STATE_RECORD: Final = (
    "identity_id bigint, asset_id text, first_at_ms bigint, last_at_ms bigint, "
    "first_event_id bigint, last_event_id bigint, events integer, depth double precision, "
    "active_ms bigint, sections_json text, sections_total integer, visits integer, "
    "downloads integer"
)
_KEYS: Final = ("identity_id", "asset_id", *STATE_COLUMNS)

_UPSERT_STATES: Final = (
    f"INSERT INTO profile_states (workspace_id, {', '.join(_KEYS)}) "
    f"SELECT %s, {', '.join('k.' + c for c in _KEYS)} "
    f"FROM json_to_recordset(%s::json) AS k({_STATE_RECORD}) "
    "ON CONFLICT (workspace_id, identity_id, asset_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in STATE_COLUMNS)
)

_LOAD_STATES: Final = (
    "SELECT s.* FROM json_to_recordset(%s::json) AS k(identity_id bigint, asset_id text) "
    "JOIN profile_states s ON s.workspace_id = %s "
    "AND s.identity_id = k.identity_id AND s.asset_id = k.asset_id"
)

_EVENTS_AFTER: Final = (
    "SELECT id, identity_id, type, event, timestamp, payload_json FROM events "
    "WHERE workspace_id = %s AND id > %s ORDER BY id LIMIT {limit:d}"
)

_PROFILE_RECORD: Final = (
    "contact_id bigint, buying_stage text, persona text, segment text, top_interest text, "
    "weight_log2 double precision, last_hot_at_ms bigint, assets integer"
)
_INSERT_PROFILES: Final = (
    f"INSERT INTO profiles (workspace_id, updated_at, {', '.join(PROFILE_COLUMNS)}) "
    f"SELECT %s, %s, {', '.join('k.' + c for c in PROFILE_COLUMNS)} "
    f"FROM json_to_recordset(%s::json) AS k({_PROFILE_RECORD})"
)
_INSERT_INTERESTS: Final = (
    "INSERT INTO profile_interests (workspace_id, contact_id, topic, rank) "
    "SELECT %s, k.contact_id, k.topic, k.rank "
    "FROM json_to_recordset(%s::json) AS k(contact_id bigint, topic text, rank integer)"
)


def id_array(ids: Iterable[int]) -> str:
    """A ``bigint[]`` literal (much cheaper to send than a driver-adapted list)."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


def _json(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows).decode()


def lock(conn: Connection, workspace_id: int) -> None:
    """One profile writer per workspace, and plans without sorts for this transaction.

    Without a sort to lean on, the only plan left for :func:`events_after` is the walk of
    the primary key from the cursor that stops after ``limit`` rows (1-2 ms); otherwise the
    planner may scan and sort the whole backlog, or, without statistics, the whole
    workspace, on every batch. No other statement of the fold needs a sort (a ``DISTINCT``
    hashes instead), and ``set_config(…, true)`` ends with the transaction.
    """
    conn.exec_driver_sql(
        "SELECT pg_advisory_xact_lock(hashtext(%s || current_schema()), %s), "
        "set_config('enable_sort', 'off', true)",
        (LOCK_KEY, workspace_id),
    )


def events_after(conn: Connection, workspace_id: int, after: int, limit: int) -> list[EventRow]:
    """The next events of a workspace in id order (fast inside :func:`lock`'s transaction)."""
    rows = conn.exec_driver_sql(_EVENTS_AFTER.format(limit=limit), (workspace_id, after))
    return [event_row(r) for r in rows.all()]


def load_states(
    conn: Connection, workspace_id: int, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], AssetState]:
    """The stored states of these (identity, asset) keys."""
    out: dict[tuple[int, str], AssetState] = {}
    for batch in chunks(sorted(set(keys)), ROWS_PER_STATEMENT):
        doc = _json([{"identity_id": i, "asset_id": a} for i, a in batch])
        for r in conn.exec_driver_sql(_LOAD_STATES, (doc, workspace_id)):
            out[(int(r.identity_id), str(r.asset_id))] = state_from_row(r)
    return out


def save_states(
    conn: Connection, workspace_id: int, states: Mapping[tuple[int, str], AssetState]
) -> None:
    """Insert or overwrite the given states, one upsert per statement's worth."""
    for batch in chunks(sorted(states.items()), ROWS_PER_STATEMENT):
        doc = _json([{"identity_id": i, "asset_id": a, **state_values(st)} for (i, a), st in batch])
        conn.exec_driver_sql(_UPSERT_STATES, (workspace_id, doc))


def contacts_of(conn: Connection, workspace_id: int, identity_ids: Iterable[int]) -> set[int]:
    """The contacts these identities belong to."""
    ids = sorted(set(identity_ids))
    if not ids:
        return set()
    rows = conn.exec_driver_sql(
        "SELECT DISTINCT contact_id FROM identities "
        "WHERE id = ANY(%s::bigint[]) AND workspace_id + 0 = %s",
        (id_array(ids), workspace_id),
    )
    return {int(r[0]) for r in rows}


def contact_states(
    conn: Connection, workspace_id: int, contact_ids: Sequence[int]
) -> dict[int, list[tuple[str, AssetState]]]:
    """Every identity state of each contact (identities re-pointed by merges included)."""
    out: dict[int, list[tuple[str, AssetState]]] = {c: [] for c in contact_ids}
    if not out:
        return out
    owners = {
        int(r[0]): int(r[1])
        for r in conn.exec_driver_sql(
            "SELECT id, contact_id FROM identities "
            "WHERE contact_id = ANY(%s::bigint[]) AND workspace_id + 0 = %s",
            (id_array(sorted(out)), workspace_id),
        )
    }
    if not owners:
        return out
    rows = conn.exec_driver_sql(
        "SELECT * FROM profile_states WHERE workspace_id = %s AND identity_id = ANY(%s::bigint[])",
        (workspace_id, id_array(sorted(owners))),
    )
    for r in rows:
        out[owners[int(r.identity_id)]].append((str(r.asset_id), state_from_row(r)))
    return out


def write_profiles(
    conn: Connection, workspace_id: int, rows: Sequence[ProfileRow], now: datetime
) -> None:
    """Replace the profile rows (and top interests) of these contacts."""
    if not rows:
        return
    ids = id_array(sorted({r.contact_id for r in rows}))
    for table in ("profiles", "profile_interests"):
        conn.exec_driver_sql(
            f"DELETE FROM {table} WHERE workspace_id = %s AND contact_id = ANY(%s::bigint[])",
            (workspace_id, ids),
        )
    kept = [r for r in rows if r.assets]
    if not kept:
        return
    conn.exec_driver_sql(_INSERT_PROFILES, (workspace_id, now, _json(_profile_docs(kept))))
    topics = [
        {"contact_id": r.contact_id, "topic": t, "rank": n}
        for r in kept
        for n, t in enumerate(r.interests, start=1)
    ]
    if topics:
        conn.exec_driver_sql(_INSERT_INTERESTS, (workspace_id, _json(topics)))


def drop_merged(conn: Connection, workspace_id: int, winners: Iterable[int]) -> None:
    """Profiles of contacts merged into ``winners`` (their history now lives there)."""
    ids = sorted(set(winners))
    if not ids:
        return
    for table in ("profiles", "profile_interests"):
        conn.exec_driver_sql(
            f"DELETE FROM {table} WHERE workspace_id = %s AND contact_id = ANY(ARRAY("
            "SELECT id FROM contacts WHERE merged_into_id = ANY(%s::bigint[])))",
            (workspace_id, id_array(ids)),
        )


def _profile_docs(rows: Sequence[ProfileRow]) -> list[dict[str, Any]]:
    return [profile_fields(r) for r in rows]


class PgProfileStateStore(SqlProfileStateStore):
    """The profile store with the batch reads and writes above (PostgreSQL only)."""

    probe_before_lock = False
    """The advisory lock stops only other profile updaters: no need to look first."""

    def lock(self, conn: Connection, workspace_id: int) -> None:
        lock(conn, workspace_id)

    def events_after(
        self, conn: Connection, workspace_id: int, after: int, limit: int
    ) -> list[EventRow]:
        return events_after(conn, workspace_id, after, limit)

    def load_states(
        self, conn: Connection, workspace_id: int, keys: Iterable[tuple[int, str]]
    ) -> dict[tuple[int, str], AssetState]:
        return load_states(conn, workspace_id, keys)

    def save_states(
        self, conn: Connection, workspace_id: int, states: Mapping[tuple[int, str], AssetState]
    ) -> None:
        save_states(conn, workspace_id, states)

    def contacts_of(
        self, conn: Connection, workspace_id: int, identity_ids: Iterable[int]
    ) -> set[int]:
        return contacts_of(conn, workspace_id, identity_ids)

    def write_profiles(
        self, conn: Connection, workspace_id: int, rows: Sequence[ProfileRow]
    ) -> None:
        write_profiles(conn, workspace_id, rows, utcnow())

    def drop_merged(self, conn: Connection, workspace_id: int, winners: Iterable[int]) -> None:
        drop_merged(conn, workspace_id, winners)


def profile_state_store(engine: Engine) -> SqlProfileStateStore:
    """The fastest profile store for this engine."""
    return SqliteProfileStateStore(engine) if is_sqlite(engine) else PgProfileStateStore(engine)
