"""SQLite forms of the profile updater's reads and writes: driver SQL, keys as one JSON array.

The portable forms (``store/profile_state.py``) compile a 500-key ``IN`` list through
SQLAlchemy per chunk, pass rows as dictionaries and read them back as ``Row`` objects; at
the updater's rate that was a fifth of a catch-up (bench/RESULTS.md). Here a batch's keys
travel as one JSON array read by ``json_each`` (joined first, so each key is one primary-key
or index probe), writes are ``executemany`` of plain tuples, and reads come back as tuples
from the DBAPI cursor of the caller's transaction.

Values are bound, never sent through JSON, so floats are stored bit for bit. What is stored
and read is exactly what the portable forms store and read
(tests/store/test_profile_state_forms.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import orjson
from sqlalchemy import Connection

from leadloop.domain.consumption import AssetState
from leadloop.store.engine import db_time, dbapi_connection, utcnow
from leadloop.store.profile_state import (
    PROFILE_COLUMNS,
    STATE_COLUMNS,
    EventRow,
    ProfileRow,
    SqlProfileStateStore,
    event_row,
    profile_fields,
    state_values,
)

_STATE_SELECT: Final = "s.asset_id, " + ", ".join(f"s.{c}" for c in STATE_COLUMNS)
_UPSERT_STATES: Final = (
    f"INSERT INTO profile_states (workspace_id, identity_id, asset_id, {', '.join(STATE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (3 + len(STATE_COLUMNS)))}) "
    "ON CONFLICT (workspace_id, identity_id, asset_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in STATE_COLUMNS)
)
_LOAD_STATES: Final = (
    f"SELECT s.identity_id, {_STATE_SELECT} FROM json_each(?) AS k "
    "CROSS JOIN profile_states s ON s.workspace_id = ? "
    "AND s.identity_id = k.value ->> 0 AND s.asset_id = k.value ->> 1"
)
_CONTACT_STATES: Final = (
    f"SELECT i.contact_id, {_STATE_SELECT} FROM json_each(?) AS k "
    "CROSS JOIN identities i ON i.contact_id = k.value AND i.workspace_id = ? "
    "CROSS JOIN profile_states s ON s.workspace_id = i.workspace_id AND s.identity_id = i.id"
)
_CONTACTS_OF: Final = (
    "SELECT DISTINCT i.contact_id FROM json_each(?) AS k "
    "CROSS JOIN identities i ON i.id = k.value WHERE i.workspace_id = ?"
)
_INSERT_PROFILES: Final = (
    f"INSERT INTO profiles (workspace_id, updated_at, {', '.join(PROFILE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (2 + len(PROFILE_COLUMNS)))})"
)
_INSERT_INTERESTS: Final = (
    "INSERT INTO profile_interests (workspace_id, contact_id, topic, rank) VALUES (?, ?, ?, ?)"
)
_EVENTS_AFTER: Final = (
    "SELECT id, identity_id, type, event, timestamp, payload_json FROM events "
    "WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT {limit:d}"
)


def _ids(values: Iterable[int]) -> str:
    return orjson.dumps(sorted({int(v) for v in values})).decode()


def _state(row: Sequence[Any], at: int) -> AssetState:
    """An AssetState from ``row[at:]`` in STATE_COLUMNS order (SQLite returns the types)."""
    sections = row[at + 7]
    return AssetState(
        first_at_ms=row[at], last_at_ms=row[at + 1], first_event_id=row[at + 2],
        last_event_id=row[at + 3], events=row[at + 4], depth=float(row[at + 5]),
        active_ms=row[at + 6],
        sections=frozenset() if sections == "[]" else frozenset(orjson.loads(sections)),
        sections_total=row[at + 8], visits=row[at + 9], downloads=row[at + 10],
    )  # fmt: skip


def _cursor(conn: Connection) -> Any:
    return dbapi_connection(conn).cursor()


def _run(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cur = _cursor(conn)
    try:
        return list(cur.execute(sql, params).fetchall())
    finally:
        cur.close()


def _many(conn: Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    cur = _cursor(conn)
    try:
        cur.executemany(sql, rows)
    finally:
        cur.close()


def contact_states(
    conn: Connection, workspace_id: int, contact_ids: Sequence[int]
) -> dict[int, list[tuple[str, AssetState]]]:
    """Every identity state of each contact (identities re-pointed by merges included)."""
    out: dict[int, list[tuple[str, AssetState]]] = {c: [] for c in contact_ids}
    for r in _run(conn, _CONTACT_STATES, (_ids(contact_ids), workspace_id)):
        out[r[0]].append((r[1], _state(r, 2)))
    return out


class SqliteProfileStateStore(SqlProfileStateStore):
    """The profile store with the driver-level reads and writes above (SQLite only)."""

    def events_after(
        self, conn: Connection, workspace_id: int, after: int, limit: int
    ) -> list[EventRow]:
        rows = _run(conn, _EVENTS_AFTER.format(limit=limit), (workspace_id, after))
        return [event_row(r) for r in rows]

    def load_states(
        self, conn: Connection, workspace_id: int, keys: Iterable[tuple[int, str]]
    ) -> dict[tuple[int, str], AssetState]:
        doc = orjson.dumps(sorted(set(keys))).decode()
        rows = _run(conn, _LOAD_STATES, (doc, workspace_id))
        return {(r[0], r[1]): _state(r, 2) for r in rows}

    def save_states(
        self, conn: Connection, workspace_id: int, states: Mapping[tuple[int, str], AssetState]
    ) -> None:
        rows = (
            (workspace_id, i, a, *state_values(s).values()) for (i, a), s in sorted(states.items())
        )
        _many(conn, _UPSERT_STATES, rows)

    def contacts_of(
        self, conn: Connection, workspace_id: int, identity_ids: Iterable[int]
    ) -> set[int]:
        return {r[0] for r in _run(conn, _CONTACTS_OF, (_ids(identity_ids), workspace_id))}

    def write_profiles(
        self, conn: Connection, workspace_id: int, rows: Sequence[ProfileRow]
    ) -> None:
        if not rows:
            return
        ids = (_ids(r.contact_id for r in rows), workspace_id)
        for table in ("profiles", "profile_interests"):
            _run(
                conn,
                f"DELETE FROM {table} WHERE contact_id IN (SELECT value FROM json_each(?)) "
                "AND workspace_id = ?",
                ids,
            )
        kept = [r for r in rows if r.assets]
        now = db_time(self.engine, utcnow())
        _many(
            conn,
            _INSERT_PROFILES,
            (
                (workspace_id, now, *(f[k] for k in PROFILE_COLUMNS))
                for f in map(profile_fields, kept)
            ),
        )
        _many(
            conn,
            _INSERT_INTERESTS,
            (
                (workspace_id, r.contact_id, t, n)
                for r in kept
                for n, t in enumerate(r.interests, start=1)
            ),
        )

    def drop_merged(self, conn: Connection, workspace_id: int, winners: Iterable[int]) -> None:
        ids = (workspace_id, _ids(winners))
        for table in ("profiles", "profile_interests"):
            _run(
                conn,
                f"DELETE FROM {table} WHERE workspace_id = ? AND contact_id IN ("
                "SELECT id FROM contacts WHERE merged_into_id IN "
                "(SELECT value FROM json_each(?)))",
                ids,
            )
