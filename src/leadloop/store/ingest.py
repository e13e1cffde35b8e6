"""Durable writes of tracking messages: identity resolution, dedup and quarantine in one
transaction, so that a batch is either wholly stored or not acknowledged at all."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from leadloop.domain.identity import IdentityResolver, dedup_key
from leadloop.domain.messages import Message
from leadloop.domain.plain_messages import PlainEvent
from leadloop.errors import StoreError
from leadloop.store.engine import db_time, is_sqlite, utcnow
from leadloop.store.event_rows import (
    DEDUP_AT,
    EVENT_COLUMNS,
    IDENTITY_AT,
    RECEIVED_AT,
    ROW_WIDTH,
    TIMESTAMP_AT,
    EventBlock,
    event_rows,
)
from leadloop.store.identity import SqlIdentityRepository
from leadloop.store.sqlite_rows import insert_flat, insert_rows

logger = logging.getLogger(__name__)

_WORKSPACE_LOCK = "leadloop.ingest:"  # advisory lock class: one ingest writer per workspace

_SIDE_EFFECTS = frozenset({"identify", "group", "alias"})
"""Message types whose identity effects must run once, not once per retry."""

COPY_THRESHOLD = 2000
"""Units at least this large go through COPY on PostgreSQL; smaller ones use executemany."""

_EVENT_TYPES = (
    "int4", "int4", "int8", "int8", "text", "int8", "text", "text", "timestamptz",
    "timestamptz", "text", "text",
)  # fmt: skip
"""PostgreSQL types of ``EVENT_COLUMNS`` for binary COPY (text serves varchar too)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record refused with its reason; kept in quarantine, never silently dropped."""

    source: str
    reason: str
    raw: str
    line: int | None = None


@dataclass(slots=True)
class WriteUnit:
    """One request's worth of messages (or one import chunk) for one workspace source."""

    workspace_id: int
    source_id: int
    messages: Sequence[Message | PlainEvent]
    """A bulk import's plain lines come row-shaped (``PlainEvent``); everything else as
    ``Message``."""
    rejected: Sequence[Rejected] = field(default_factory=list)
    block: EventBlock | None = None
    """An import chunk from the reader process comes as one block (and no ``messages``);
    writing it fills its rows in."""

    @property
    def size(self) -> int:
        return len(self.messages) + (len(self.block) if self.block is not None else 0)


@dataclass(frozen=True, slots=True)
class WriteResult:
    stored: int
    duplicates: int
    rejected: int


def _pg_stored_keys(
    conn: Connection, workspace_id: int, source_id: int, times: list[int], hashes: list[int]
) -> set[tuple[int, int]]:
    """The ``(dedup_ts, dedup_hash)`` pairs already stored for the source.

    One index probe per key, whatever the statistics say: during a bulk import they lag, and
    the planner then scanned the source's whole index range once per chunk (IN lists or a
    join alike: 0.2-0.45 s per chunk at 200k events, growing with the table). LIMIT 1 in a
    LATERAL keeps it a nested loop.
    """
    # The keys go as comma-separated text: psycopg dumps a list of ints in Python, 3-5x
    # slower than a join (115-180 against 35-38 ms for 50,000 keys).
    stored = conn.exec_driver_sql(
        "SELECT k.ts, k.h FROM unnest(string_to_array(%s, ',')::bigint[], "
        "string_to_array(%s, ',')::bigint[]) AS k(ts, h) "
        "CROSS JOIN LATERAL (SELECT 1 FROM events e WHERE e.workspace_id = %s "
        "AND e.source_id = %s AND e.dedup_ts = k.ts AND e.dedup_hash = k.h "
        "LIMIT 1) AS hit",
        (",".join(map(str, times)), ",".join(map(str, hashes)), workspace_id, source_id),
    )
    return {(int(ts), int(h)) for ts, h in stored}


def _keys(flat: list[Any]) -> list[tuple[int, int]]:
    """The dedup keys of flat row values, one per row."""
    return list(zip(flat[DEDUP_AT::ROW_WIDTH], flat[DEDUP_AT + 1 :: ROW_WIDTH], strict=True))


def _rows_without(
    flat: list[Any], keys: list[tuple[int, int]], seen: set[tuple[int, int]]
) -> list[Any]:
    """The flat values of the rows whose key is not in ``seen`` and not an earlier row's."""
    kept: list[Any] = []
    for i, key in enumerate(keys):
        if key not in seen:
            seen.add(key)
            kept.extend(flat[i * ROW_WIDTH : (i + 1) * ROW_WIDTH])
    return kept


def _copy_rows(cur: Any, table: str, flat: list[Any]) -> None:
    """Binary COPY of event rows (flat values): no text escaping of the JSON payloads, on
    either side, and no tuple per row."""
    sql = f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with cur.copy(sql) as copy:
        copy.set_types(_EVENT_TYPES)
        write = copy.write_row
        for i in range(0, len(flat), ROW_WIDTH):
            write(flat[i : i + ROW_WIDTH])


def _insert_sql(engine: Engine, table: str, columns: Sequence[str], conflict: bool) -> str:
    mark = "?" if is_sqlite(engine) else "%s"
    cols = ", ".join(columns)
    marks = ", ".join([mark] * len(columns))
    tail = " ON CONFLICT DO NOTHING" if conflict else ""
    return f"INSERT INTO {table} ({cols}) VALUES ({marks}){tail}"


class SqlIngestStore:
    """Writes batches of messages; one instance per process (it caches identity ids)."""

    def __init__(
        self,
        engine: Engine,
        repository: Callable[[int], SqlIdentityRepository] = SqlIdentityRepository,
    ) -> None:
        """``repository`` makes a workspace's identity repository (tests pass a reference)."""
        self.engine = engine
        self._repository = repository
        self._sqlite = is_sqlite(engine)
        self._db_time = partial(db_time, engine)
        self._resolvers: dict[int, tuple[IdentityResolver, SqlIdentityRepository]] = {}
        # Identity writes use the driver's cursor directly, so its errors arrive unwrapped.
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._event_sql = _insert_sql(engine, "events", EVENT_COLUMNS, conflict=True)
        self._fresh_sources: dict[tuple[int, int], bool] = {}
        """PostgreSQL: (workspace, source) pairs whose last COPY unit held no stored key."""
        self._quarantine_sql = _insert_sql(
            engine,
            "quarantine",
            ("workspace_id", "source", "line", "reason", "raw", "received_at"),
            conflict=False,
        )

    @property
    def sqlite(self) -> bool:
        """Whether the store is SQLite (an import's reader process shapes rows for it)."""
        return self._sqlite

    def _resolver(
        self, workspace_id: int, conn: Connection
    ) -> tuple[IdentityResolver, SqlIdentityRepository]:
        pair = self._resolvers.get(workspace_id)
        if pair is None:
            repo = self._repository(workspace_id)
            pair = (IdentityResolver(repo), repo)
            self._resolvers[workspace_id] = pair
        pair[1].bind(conn)
        return pair

    def write(self, units: Sequence[WriteUnit]) -> list[WriteResult]:
        """Store every unit in one transaction; raise :class:`StoreError` and store nothing
        when any part fails."""
        with self.transaction() as conn:
            return self.write_in(conn, units)

    def refresh_statistics(self) -> None:
        """PostgreSQL: ``ANALYZE`` the identity tables (a no-op on SQLite).

        A bulk import grows them faster than autovacuum's analyze follows (if it runs at
        all), and on stale statistics the planner answers a unit's set reads (contacts by
        identity, by e-mail) with full scans that grow with the table: 21 ms per chunk at
        60k contacts, so a 20M-event import would spend most of its time there. Best
        effort: a role that may not analyze only loses the speed.
        """
        if self._sqlite:
            return
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE identities, contacts, accounts")
                conn.commit()
        except (SQLAlchemyError, self._driver_error) as exc:
            logger.warning("ingest.analyze_failed", extra={"fields": {"error": str(exc)[:200]}})

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction for :meth:`write_in` (the inbox drain claims in it too)."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(sqlite_immediate=True)
                with conn.begin():
                    yield conn
        except (SQLAlchemyError, self._driver_error) as exc:
            for resolver, _repo in self._resolvers.values():
                resolver.forget()
            logger.error("ingest.write_failed", extra={"fields": {"error": str(exc)[:200]}})
            raise StoreError(f"could not store the batch: {exc.__class__.__name__}") from exc
        except BaseException:
            for resolver, _repo in self._resolvers.values():
                resolver.forget()
            raise

    def write_in(self, conn: Connection, units: Sequence[WriteUnit]) -> list[WriteResult]:
        """Store ``units`` inside ``conn``'s transaction (from :meth:`transaction`)."""
        self._lock_workspaces(conn, units)
        return [self._write_unit(conn, unit) for unit in units]

    def _lock_workspaces(self, conn: Connection, units: Sequence[WriteUnit]) -> None:
        """PostgreSQL: one writer per workspace at a time, across processes.

        Identity resolution reads, decides, then writes (which contact to merge into, whether
        an e-mail is taken); two concurrent writers (``serve --workers``, an import beside
        the server) would otherwise merge into contacts the other just merged away. SQLite's
        ``BEGIN IMMEDIATE`` already serialises writers. Sorted, so two groups cannot deadlock.
        """
        if is_sqlite(self.engine):
            return
        for workspace_id in sorted({u.workspace_id for u in units}):
            # Advisory locks are database-wide: key them by schema too.
            conn.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(hashtext(%s || current_schema()), %s)",
                (_WORKSPACE_LOCK, workspace_id),
            )

    def _write_unit(self, conn: Connection, unit: WriteUnit) -> WriteResult:
        resolver, repo = self._resolver(unit.workspace_id, conn)
        if unit.block is not None:
            return self._write_block(conn, unit, unit.block, resolver, repo)
        messages = list(unit.messages)
        resolver.prepare(messages)
        seen = self._stored_keys(conn, unit, messages)
        known = resolver.known
        pairs: list[tuple[Message | PlainEvent, int]] = []
        append = pairs.append
        for m in messages:
            if isinstance(m, PlainEvent):
                hit = known(m)  # resolve()'s answer where it needs no lookup
                append((m, hit if hit is not None else resolver.resolve(m)))
                continue
            identity_id = self._resolve_message(resolver, m, seen)
            if identity_id is not None:
                append((m, identity_id))
        repo.flush()
        rows = event_rows(
            unit.workspace_id, unit.source_id, pairs, sqlite=self._sqlite, db_time=self._db_time
        )
        stored = self._insert_events(conn, rows)
        return self._finish(conn, unit, stored, len(messages))

    def _resolve_message(
        self, resolver: IdentityResolver, m: Message, seen: set[tuple[int, int]]
    ) -> int | None:
        """The message's identity, its effects applied; ``None``: a retried
        identify/group/alias whose event is stored (skip it)."""
        if m.type in _SIDE_EFFECTS:
            # A retried identify/group/alias must not apply its changes again: it would
            # undo whatever later messages changed (an e-mail, an account, a merge).
            key = dedup_key(m)
            if key in seen:
                return None
            seen.add(key)
        return resolver.resolve(m)

    def _write_block(
        self,
        conn: Connection,
        unit: WriteUnit,
        block: EventBlock,
        resolver: IdentityResolver,
        repo: SqlIdentityRepository,
    ) -> WriteResult:
        """:meth:`_write_unit` of a block: the same resolutions in the same order, one per
        distinct pair of ids (a pair resolves to the same identity every time it appears,
        with its effects the first time), and the block's rows with their identities."""
        queue = block.messages
        messages = [m for _, m in queue]
        two_ids = [(a, u) for a, u in block.pairs if a is not None and u is not None]
        resolver.prepare_ids(block.first, messages, two_ids)
        seen = self._stored_keys(conn, unit, messages)
        known, resolve_ids = resolver.known_ids, resolver.resolve_ids
        identity = [0] * len(block.pairs)
        placed: list[tuple[int, tuple[Message, int]]] = []
        j, waiting = 0, len(queue)
        for p, (anonymous_id, user_id) in enumerate(block.pairs):
            at = block.pair_at[p]
            while j < waiting and queue[j][0] <= at:  # the messages that came before it
                self._place(resolver, queue[j], seen, placed)
                j += 1
            hit = known(anonymous_id, user_id)
            identity[p] = hit if hit is not None else resolve_ids(anonymous_id, user_id)
        for item in queue[j:]:
            self._place(resolver, item, seen, placed)
        repo.flush()
        flat = block.rows
        flat[IDENTITY_AT::ROW_WIDTH] = [identity[p] for p in block.pair_of]
        if not self._sqlite:  # the datetimes the reader left out
            received = self._db_time(block.received_at)
            fromiso = datetime.fromisoformat
            stamps = flat[TIMESTAMP_AT::ROW_WIDTH]
            flat[TIMESTAMP_AT::ROW_WIDTH] = [received if t is None else fromiso(t) for t in stamps]
            flat[RECEIVED_AT::ROW_WIDTH] = [received] * len(block.pair_of)
        if placed:
            rows = event_rows(
                unit.workspace_id, unit.source_id, [pair for _, pair in placed],
                sqlite=self._sqlite, db_time=self._db_time,
            )  # fmt: skip
            values: list[Any] = []
            start = 0
            for (at, _pair), row in zip(placed, rows, strict=True):
                values.extend(flat[start * ROW_WIDTH : at * ROW_WIDTH])
                values.extend(row)
                start = at
            values.extend(flat[start * ROW_WIDTH :])
        else:
            values = flat
        if self._sqlite:
            stored = insert_flat(conn, "events", EVENT_COLUMNS, values, on_conflict_do_nothing=True)
        elif len(values) >= COPY_THRESHOLD * ROW_WIDTH:
            stored = self._copy_events(conn, (unit.workspace_id, unit.source_id), values)
        else:
            stored = self._insert_events(
                conn, [tuple(values[i : i + ROW_WIDTH]) for i in range(0, len(values), ROW_WIDTH)]
            )
        return self._finish(conn, unit, stored, len(block))

    def _place(
        self,
        resolver: IdentityResolver,
        item: tuple[int, Message],
        seen: set[tuple[int, int]],
        placed: list[tuple[int, tuple[Message, int]]],
    ) -> None:
        at, m = item
        identity_id = self._resolve_message(resolver, m, seen)
        if identity_id is not None:
            placed.append((at, (m, identity_id)))

    def _insert_events(self, conn: Connection, rows: list[tuple[Any, ...]]) -> int:
        """Store event rows, skipping keys already stored; return how many were new."""
        if not rows:
            return 0
        if self._sqlite:
            # One statement per chunk, not per row: the GIL is let go once (sqlite_rows).
            return insert_rows(conn, "events", EVENT_COLUMNS, rows, on_conflict_do_nothing=True)
        if len(rows) >= COPY_THRESHOLD:
            return self._copy_events(
                conn, (rows[0][0], rows[0][1]), list(chain.from_iterable(rows))
            )
        cursor = conn.exec_driver_sql(self._event_sql, rows)
        return max(cursor.rowcount, 0)

    def _finish(self, conn: Connection, unit: WriteUnit, stored: int, count: int) -> WriteResult:
        if unit.rejected:
            self._quarantine(conn, unit.workspace_id, unit.rejected)
        return WriteResult(stored=stored, duplicates=count - stored, rejected=len(unit.rejected))

    def _stored_keys(
        self, conn: Connection, unit: WriteUnit, messages: Sequence[Message | PlainEvent]
    ) -> set[tuple[int, int]]:
        """Dedup keys of the unit's identify/group/alias messages that are already stored."""
        keys = {
            dedup_key(m) for m in messages if m.type in _SIDE_EFFECTS and isinstance(m, Message)
        }
        if not keys:
            return set()
        if not self._sqlite:
            ordered = sorted(keys)
            return _pg_stored_keys(
                conn, unit.workspace_id, unit.source_id, [ts for ts, _ in ordered],
                [h for _, h in ordered],
            )  # fmt: skip
        # The keys drive the loop, one probe of the unique index each. Two IN lists (times,
        # hashes) made SQLite probe every pair of the two: 0.11 s per 500 keys at 1M events,
        # against 2 ms this way.
        found: set[tuple[int, int]] = set()
        ordered = sorted(keys)
        for i in range(0, len(ordered), 500):
            chunk = ordered[i : i + 500]
            sql = (
                f"WITH k(ts, h) AS (VALUES {', '.join(['(?, ?)'] * len(chunk))}) "
                "SELECT k.ts, k.h FROM k CROSS JOIN events e WHERE e.workspace_id = ? "
                "AND e.source_id = ? AND e.dedup_ts = k.ts AND e.dedup_hash = k.h"
            )
            params = (*chain.from_iterable(chunk), unit.workspace_id, unit.source_id)
            found.update((int(ts), int(h)) for ts, h in conn.exec_driver_sql(sql, params))
        return found

    def _copy_events(self, conn: Connection, source: tuple[int, int], flat: list[Any]) -> int:
        """PostgreSQL bulk path for one source's rows (flat values): leave out the keys
        already stored and the unit's own repeats, COPY the rest straight into ``events``.

        One probe of the unique index per key, then one COPY: 1.5x the rate of the staged
        deduplicating insert on a first import, 1.7x on a rerun (bench/RESULTS.md); after an
        all-new unit of the same source, the COPY first and the probe only if it fails. Every
        PostgreSQL writer holds the workspace's advisory lock (:meth:`_lock_workspaces`), so
        no key can be stored between the probe and the COPY; should one be, the COPY fails
        inside a savepoint and the unit goes through the staged insert instead.
        """
        keys = _keys(flat)
        if len(set(keys)) != len(keys):  # the unit's own repeats never reach COPY
            flat = _rows_without(flat, keys, set())
            keys = _keys(flat)
        if self._fresh_sources.get(source):
            # The source's last unit was all new (a first import's chunks): COPY without
            # probing; a stored key fails the COPY inside its savepoint and sends the unit
            # through the probe below. Probing 50,000 keys cost the server more than the COPY.
            stored = self._try_copy(conn, flat)
            if stored is not None:
                return stored
        seen = _pg_stored_keys(
            conn, *source, flat[DEDUP_AT::ROW_WIDTH], flat[DEDUP_AT + 1 :: ROW_WIDTH]
        )
        self._fresh_sources[source] = not seen
        if seen:
            flat = _rows_without(flat, keys, seen)
        return self._copy_fresh(conn, flat) if flat else 0

    def _try_copy(self, conn: Connection, flat: list[Any]) -> int | None:
        """COPY rows into ``events`` inside a savepoint; ``None`` where a key was stored."""
        raw: Any = conn.connection.dbapi_connection  # a psycopg 3 connection here
        try:
            with conn.begin_nested(), raw.cursor() as cur:
                _copy_rows(cur, "events", flat)
            return len(flat) // ROW_WIDTH
        except self._driver_error as exc:
            if getattr(exc, "sqlstate", None) != "23505":  # unique_violation
                raise
            return None

    def _copy_fresh(self, conn: Connection, flat: list[Any]) -> int:
        """COPY rows believed new into ``events``; the staged insert if one is not."""
        stored = self._try_copy(conn, flat)
        if stored is not None:
            return stored
        logger.warning("ingest.copy_conflict", extra={"fields": {"rows": len(flat) // ROW_WIDTH}})
        return self._copy_staged(conn, flat)

    def _copy_staged(self, conn: Connection, flat: list[Any]) -> int:
        """COPY into a temporary stage, then one deduplicating insert."""
        cols = ", ".join(EVENT_COLUMNS)
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS events_stage ON COMMIT DELETE ROWS "
            f"AS SELECT {cols} FROM events WITH NO DATA"
        )
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            _copy_rows(cur, "events_stage", flat)
            cur.execute(
                f"INSERT INTO events ({cols}) SELECT {cols} FROM events_stage "
                "ON CONFLICT DO NOTHING"
            )
            stored = int(max(cur.rowcount, 0))
            cur.execute("TRUNCATE events_stage")
        return stored

    def _quarantine(
        self, conn: Connection, workspace_id: int | None, rejected: Sequence[Rejected]
    ) -> None:
        now = db_time(self.engine, utcnow())
        rows = [(workspace_id, r.source, r.line, r.reason, r.raw, now) for r in rejected]
        conn.exec_driver_sql(self._quarantine_sql, rows)
