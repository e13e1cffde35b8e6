"""Write the DuckDB recompute back where the product reads it: the operational store.

States, the cursor and the profile rows of a workspace are replaced in one transaction
under the updater's lock (a crash leaves the previous profiles). Rows stream from DuckDB in
Arrow batches straight into the driver: multi-row INSERTs on SQLite, ``COPY`` on
PostgreSQL; no SQLAlchemy row objects, so millions of rows fit in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import pyarrow as pa
from sqlalchemy import Connection, Engine

from leadloop.services.profiling import ProfileUpdater
from leadloop.store.engine import db_time, dbapi_connection, is_sqlite, utcnow
from leadloop.store.profile_state import PROFILE_COLUMNS
from leadloop.store.sqlite_rows import insert_rows

BATCH: Final = 100_000
IDMAP: Final = pa.schema([("identity_id", pa.int64()), ("contact_id", pa.int64())])

STATE_COLUMNS: Final = (
    "identity_id", "asset_id", "first_at_ms", "last_at_ms", "first_event_id", "last_event_id",
    "events", "depth", "active_ms", "sections_json", "sections_total", "visits", "downloads",
)  # fmt: skip
STATES_OUT: Final = (
    "SELECT identity_id, asset_id, first_at_ms, last_at_ms, first_event_id, last_event_id, "
    "events, depth, active_ms, CAST(to_json(sections) AS VARCHAR) AS sections_json, "
    "sections_total, visits, downloads FROM states ORDER BY identity_id, asset_id"
)
"""``sections_json`` as ``orjson.dumps(sorted(sections))`` writes it (tested equal)."""
PROFILES_OUT: Final = f"SELECT {', '.join(PROFILE_COLUMNS)} FROM profile_rows ORDER BY contact_id"
TOPICS_OUT: Final = "SELECT contact_id, topic, rank FROM profile_topics ORDER BY contact_id, rank"


def identity_map(engine: Engine, workspace_id: int) -> pa.Table:
    """identity id -> contact id of the workspace (merges have re-pointed identities).

    Driver SQL, fetched in blocks: millions of rows, no SQLAlchemy row objects. ``+`` keeps
    SQLite off the (workspace, kind, value) index: a scan in row order is 7x faster than
    looking up every row through it."""
    mark = "?" if is_sqlite(engine) else "%s"
    sql = f"SELECT id, contact_id FROM identities WHERE +workspace_id = {mark}"
    parts = []
    with engine.connect() as conn:
        cur = dbapi_connection(conn).cursor()
        try:
            cur.execute(sql, (workspace_id,))
            while rows := cur.fetchmany(BATCH):
                ids, contacts = zip(*rows, strict=True)
                parts.append(pa.record_batch([pa.array(ids, pa.int64()),
                                              pa.array(contacts, pa.int64())], IDMAP))  # fmt: skip
        finally:
            cur.close()
    return pa.Table.from_batches(parts, IDMAP)


def _batches(con: Any, query: str, lead: tuple[Any, ...] = ()) -> Iterator[list[tuple[Any, ...]]]:
    reader = con.sql(query).to_arrow_reader(BATCH)
    for batch in reader:
        cols = [c.to_pylist() for c in batch.columns]
        yield [(*lead, *row) for row in zip(*cols, strict=True)]


class _Sink:
    """Bulk inserts in the transaction: multi-row INSERTs on SQLite (a third faster than
    ``executemany`` into a fresh table, bench/RESULTS.md), ``COPY`` on PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = is_sqlite(conn.engine)
        self.counts: dict[str, int] = {}

    def put(
        self, table: str, columns: tuple[str, ...], batches: Iterator[list[tuple[Any, ...]]]
    ) -> None:
        n = 0
        if self.sqlite:
            for rows in batches:
                n += insert_rows(self.conn, table, columns, rows)
        else:
            with (
                dbapi_connection(self.conn).cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for rows in batches:
                    for r in rows:
                        copy.write_row(r)
                    n += len(rows)
        self.counts[table] = n


def write_back(updater: ProfileUpdater, workspace_id: int, con: Any, cursor: int) -> dict[str, int]:
    """Replace the workspace's states, cursor and profiles by DuckDB's tables on ``con``."""
    store = updater.store
    updated_at = db_time(updater.engine, utcnow())  # the text SQLAlchemy writes on SQLite
    with updater.engine.connect() as conn:
        conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            store.lock(conn, workspace_id)
            store.replace_states(conn, workspace_id, ())
            store.set_cursor(conn, workspace_id, cursor)
            store.clear_profiles(conn, workspace_id)
            sink = _Sink(conn)
            ws = (workspace_id,)
            sink.put(
                "profile_states", ("workspace_id", *STATE_COLUMNS), _batches(con, STATES_OUT, ws)
            )
            sink.put(
                "profiles",
                ("workspace_id", *PROFILE_COLUMNS, "updated_at"),
                ([(*r, updated_at) for r in rows] for rows in _batches(con, PROFILES_OUT, ws)),
            )
            sink.put(
                "profile_interests",
                ("workspace_id", "contact_id", "topic", "rank"),
                _batches(con, TOPICS_OUT, ws),
            )
    return sink.counts
