"""The ingest inbox: a tracking request is durable once its body is here, before 200.

Parsing, deduplication, identity resolution and the events insert then happen in the drain
(:mod:`leadloop.services.inbox_drain`), off the request path, the way Segment's and
RudderStack's gateways hand requests to a queue. Each drain transaction claims batches,
writes their events and marks the batches drained together, so a batch becomes events
exactly once, whatever crashes in between.

* PostgreSQL: rows live in the ``inbox`` table of the store; a drain locks them
  (``FOR UPDATE``, one drain at a time per schema) and deletes them in its transaction.
* SQLite: rows live in a sidecar file beside the store (``leadloop.db`` →
  ``leadloop.db.inbox``) with the same table, so appends never wait for the main file's one
  write lock, which the drain holds while it writes events. A file cannot join the main
  file's transaction (WAL mode commits each file on its own), so the drain records the last
  sidecar row it stored in ``inbox_cursor``, inside its transaction, keyed by the sidecar's
  own id; drained rows are deleted afterwards. Ids are AUTOINCREMENT: never reused.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, MetaData, make_url

from leadloop.store.engine import as_utc, db_time, make_engine
from leadloop.store.tables import inbox as inbox_table

logger = logging.getLogger(__name__)

SIDECAR_VERSION = 1
"""``PRAGMA user_version`` of the sidecar's schema; a newer file is refused, not misread."""

_COLUMNS = (
    "workspace_id", "source_id", "source", "implied_type", "received_at", "ip", "messages", "body"
)  # fmt: skip

COMPRESS_LEVEL = 1
"""zlib level for bodies: JSON batches shrink ~5-10x for ~0.1 ms per 50 KB (fewer WAL pages)."""


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One tracking request as received: what the drain needs to judge it as the API did."""

    workspace_id: int
    source_id: int
    source: str
    implied_type: str | None
    received_at: datetime
    ip: str | None
    messages: int
    """Valid messages (what the response called accepted): the backlog counts these."""
    body: bytes
    """The decoded JSON body (after gzip), uncompressed."""

    @property
    def size(self) -> int:
        return self.messages


@dataclass(frozen=True, slots=True)
class InboxBatch:
    id: int
    entry: InboxEntry


class Inbox(Protocol):
    """Where the tracking API appends and the drain claims."""

    def append(self, entries: Sequence[InboxEntry]) -> list[int]:
        """Store every entry durably in one transaction; return their ids."""
        ...

    def backlog(self) -> int:
        """Valid messages appended and not yet drained."""
        ...

    def claim(self, conn: Connection, max_messages: int) -> list[InboxBatch]:
        """The oldest undrained batches, up to about ``max_messages`` (at least one), read
        inside the drain's write transaction on the main store (``conn``)."""
        ...

    def settle(self, conn: Connection, batches: Sequence[InboxBatch]) -> None:
        """Mark ``batches`` drained, in the same transaction as their events."""
        ...

    def trim(self) -> None:
        """After the drain committed: free what it drained (a no-op where settle did)."""
        ...

    def close(self) -> None: ...


def _row(entry: InboxEntry, engine: Engine) -> tuple[Any, ...]:
    return (
        entry.workspace_id,
        entry.source_id,
        entry.source,
        entry.implied_type,
        db_time(engine, entry.received_at),
        entry.ip,
        entry.messages,
        zlib.compress(entry.body, COMPRESS_LEVEL),
    )


def _batch(row: Sequence[Any]) -> InboxBatch:
    received = row[5]
    if isinstance(received, str):  # SQLite's text form, read through the driver
        received = datetime.fromisoformat(received)
    entry = InboxEntry(
        workspace_id=int(row[1]),
        source_id=int(row[2]),
        source=str(row[3]),
        implied_type=row[4],
        received_at=as_utc(received) or received,
        ip=row[6],
        messages=int(row[7]),
        body=zlib.decompress(bytes(row[8])),
    )
    return InboxBatch(int(row[0]), entry)


def _upto(rows: Sequence[Sequence[Any]], max_messages: int) -> list[InboxBatch]:
    """The leading rows whose messages add up to ``max_messages`` (always the first one)."""
    out: list[InboxBatch] = []
    total = 0
    for row in rows:
        if out and total + int(row[7]) > max_messages:
            break
        out.append(_batch(row))
        total += int(row[7])
    return out


_SELECT = f"SELECT id, {', '.join(_COLUMNS)} FROM inbox"


def _rows_for(max_messages: int) -> int:
    """Rows to fetch for a claim: enough for small requests, never the whole backlog."""
    return max(1, min(1000, max_messages))


class PostgresInbox:
    """The inbox as a table of the PostgreSQL store itself (MVCC: appends never wait)."""

    _LOCK = "leadloop.inbox:"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        marks = ", ".join(["%s"] * len(_COLUMNS))
        self._insert = f"INSERT INTO inbox ({', '.join(_COLUMNS)}) VALUES ({marks}) RETURNING id"

    def append(self, entries: Sequence[InboxEntry]) -> list[int]:
        rows = [_row(e, self.engine) for e in entries]
        with self.engine.begin() as conn:
            return [int(conn.exec_driver_sql(self._insert, row).scalar_one()) for row in rows]

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            value = conn.exec_driver_sql("SELECT coalesce(sum(messages), 0) FROM inbox").scalar()
        return int(value or 0)

    def claim(self, conn: Connection, max_messages: int) -> list[InboxBatch]:
        # One drain at a time per schema keeps batches in arrival order.
        conn.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(hashtext(%s || current_schema()))", (self._LOCK,)
        )
        rows = conn.exec_driver_sql(
            f"{_SELECT} ORDER BY id LIMIT %s FOR UPDATE", (_rows_for(max_messages),)
        ).all()
        return _upto(rows, max_messages)

    def settle(self, conn: Connection, batches: Sequence[InboxBatch]) -> None:
        conn.exec_driver_sql("DELETE FROM inbox WHERE id = ANY(%s)", ([b.id for b in batches],))

    def trim(self) -> None:
        return None

    def close(self) -> None:
        return None


def sidecar_path(url: str) -> Path:
    """``sqlite:///leadloop.db`` → ``leadloop.db.inbox``."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError(
            "the ingest inbox needs a SQLite file store (LEADLOOP_DATABASE_URL=sqlite:///FILE); "
            "an in-memory store has no place for it: unset LEADLOOP_INGEST_INBOX"
        )
    return Path(database).with_name(Path(database).name + ".inbox")


class SqliteInbox:
    """The inbox in a sidecar SQLite file; the drain's cursor in the main store."""

    TRIM_EVERY_S = 1.0

    def __init__(self, engine: Engine, *, synchronous: str = "FULL") -> None:
        self.engine = engine
        self.path = sidecar_path(engine.url.render_as_string(hide_password=False))
        self.sidecar = make_engine(f"sqlite:///{self.path}", sqlite_synchronous=synchronous)
        self.id = self._open()
        marks = ", ".join(["?"] * len(_COLUMNS))
        self._insert = f"INSERT INTO inbox ({', '.join(_COLUMNS)}) VALUES ({marks})"
        self._settled = 0
        self._trimmed_at = 0.0
        self._lock = threading.Lock()

    def _open(self) -> str:
        """Create the sidecar's schema on first use; return its id."""
        with self.sidecar.connect() as conn:
            conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
                if version > SIDECAR_VERSION:
                    raise RuntimeError(
                        f"{self.path} was written by a newer Leadloop (inbox schema {version}); "
                        "drain it with that version, or upgrade this one"
                    )
                inbox_table.to_metadata(MetaData()).create(conn, checkfirst=True)
                conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS inbox_file (id TEXT NOT NULL)")
                row = conn.exec_driver_sql("SELECT id FROM inbox_file").first()
                if row is None:
                    conn.exec_driver_sql("INSERT INTO inbox_file VALUES (?)", (str(uuid.uuid4()),))
                    row = conn.exec_driver_sql("SELECT id FROM inbox_file").first()
                conn.exec_driver_sql(f"PRAGMA user_version = {SIDECAR_VERSION}")
        assert row is not None
        return str(row[0])

    def append(self, entries: Sequence[InboxEntry]) -> list[int]:
        rows = [_row(e, self.engine) for e in entries]
        ids: list[int] = []
        with self.sidecar.connect() as conn:
            conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                for row in rows:
                    ids.append(int(conn.exec_driver_sql(self._insert, row).lastrowid))
        return ids

    def _cursor(self, conn: Connection) -> int:
        value = conn.exec_driver_sql(
            "SELECT last_id FROM inbox_cursor WHERE inbox = ?", (self.id,)
        ).scalar()
        return int(value or 0)

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            cursor = self._cursor(conn)
        with self.sidecar.connect() as conn:
            value = conn.exec_driver_sql(
                "SELECT total(messages) FROM inbox WHERE id > ?", (cursor,)
            ).scalar()
        return int(value or 0)

    def claim(self, conn: Connection, max_messages: int) -> list[InboxBatch]:
        cursor = self._cursor(conn)  # read under the main store's write lock: one drain
        with self.sidecar.connect() as side:
            rows = side.exec_driver_sql(
                f"{_SELECT} WHERE id > ? ORDER BY id LIMIT ?",
                (cursor, _rows_for(max_messages)),
            ).all()
        return _upto(rows, max_messages)

    def settle(self, conn: Connection, batches: Sequence[InboxBatch]) -> None:
        last = max(b.id for b in batches)
        conn.exec_driver_sql(
            "INSERT INTO inbox_cursor (inbox, last_id) VALUES (?, ?) "
            "ON CONFLICT (inbox) DO UPDATE SET last_id = excluded.last_id",
            (self.id, last),
        )
        with self._lock:
            self._settled = max(self._settled, last)

    def trim(self) -> None:
        """Delete drained rows, at most once a second (each delete takes the sidecar's lock)."""
        now = time.monotonic()
        with self._lock:
            if now - self._trimmed_at < self.TRIM_EVERY_S:
                return
            self._trimmed_at = now
            settled = self._settled
        if settled:
            with self.sidecar.connect() as conn:
                conn.execution_options(sqlite_immediate=True)
                with conn.begin():
                    conn.exec_driver_sql("DELETE FROM inbox WHERE id <= ?", (settled,))

    def close(self) -> None:
        self.sidecar.dispose()


def open_inbox(engine: Engine, *, sqlite_synchronous: str = "FULL") -> Inbox:
    """The inbox that suits the store behind ``engine``."""
    if engine.dialect.name == "sqlite":
        return SqliteInbox(engine, synchronous=sqlite_synchronous)
    return PostgresInbox(engine)
