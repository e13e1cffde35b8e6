"""The sync's memory: a cursor per (connector, object) and every record that failed.

A failed record stays in ``crm_sync_errors`` until a later run stores it (the opportunity
write marks it resolved in the same transaction), so nothing is silently dropped and
``leadloop crm status`` can always say what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, select, update

from leadloop.store.engine import as_utc, write_transaction
from leadloop.store.tables import crm_sync_errors, crm_sync_state

COUNTS = ("fetched", "created", "updated", "unchanged", "failed", "rate_limited")


@dataclass(frozen=True, slots=True)
class SyncState:
    """The last run of one connector and object."""

    connector: str
    object: str
    cursor: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_status: str | None
    counts: Mapping[str, int]
    open_errors: int = 0


@dataclass(frozen=True, slots=True)
class SyncError:
    """One record that could not be stored, and when it is tried again."""

    connector: str
    object: str
    record_id: str
    error: str
    attempts: int
    next_retry_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class FailedRecord:
    record_id: str
    error: str
    raw: Mapping[str, Any] | None = None


def retry_delay(attempts: int) -> timedelta:
    """Zero before the first retry (the next run), then doubling minutes, at most a day."""
    if attempts <= 1:
        return timedelta(0)
    return min(timedelta(minutes=2 ** (attempts - 2)), timedelta(days=1))


class SqlSyncState:
    """Cursors, run counts and per-record errors of the CRM sync."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, workspace_id: int, connector: str, obj: str) -> SyncState | None:
        s = crm_sync_state.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(crm_sync_state).where(
                    s.workspace_id == workspace_id, s.connector == connector, s.object == obj
                )
            ).first()
        return None if row is None else _state(row)

    def save(
        self,
        workspace_id: int,
        connector: str,
        obj: str,
        *,
        cursor: str | None,
        status: str,
        counts: Mapping[str, int],
        now: datetime,
    ) -> None:
        """Record a run (or a page of it): cursor, status and the run's counts so far."""
        s = crm_sync_state.c
        values: dict[str, Any] = {"cursor": cursor, "last_run_at": now, "last_status": status}
        values.update({k: int(counts.get(k, 0)) for k in COUNTS})
        if status == "ok":
            values["last_success_at"] = now
        key = (s.workspace_id == workspace_id, s.connector == connector, s.object == obj)
        with write_transaction(self.engine) as conn:
            done = conn.execute(update(crm_sync_state).where(*key).values(**values))
            if done.rowcount == 0:
                conn.execute(
                    crm_sync_state.insert().values(
                        workspace_id=workspace_id, connector=connector, object=obj, **values
                    )
                )

    def record_errors(
        self,
        workspace_id: int,
        connector: str,
        obj: str,
        failed: Sequence[FailedRecord],
        now: datetime,
    ) -> None:
        """Add or bump each failed record: attempts + 1, next retry after :func:`retry_delay`."""
        with write_transaction(self.engine) as conn:
            for f in {f.record_id: f for f in failed}.values():
                _bump(
                    conn,
                    {
                        "workspace_id": workspace_id,
                        "connector": connector,
                        "object": obj,
                        "record_id": f.record_id,
                    },
                    f,
                    now,
                )

    def due(self, workspace_id: int, connector: str, obj: str, now: datetime) -> list[str]:
        """Record ids whose retry is due: unresolved, ``next_retry_at`` passed."""
        e = crm_sync_errors.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(e.record_id)
                .where(
                    e.workspace_id == workspace_id,
                    e.connector == connector,
                    e.object == obj,
                    e.resolved_at.is_(None),
                    e.next_retry_at <= now,
                )
                .order_by(e.record_id)
            )
            return [str(r) for (r,) in rows]

    def errors(self, workspace_id: int, *, include_resolved: bool = False) -> list[SyncError]:
        e = crm_sync_errors.c
        query = select(crm_sync_errors).where(e.workspace_id == workspace_id)
        if not include_resolved:
            query = query.where(e.resolved_at.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(e.connector, e.object, e.record_id)).all()
        return [
            SyncError(
                r.connector,
                r.object,
                r.record_id,
                r.error,
                int(r.attempts),
                as_utc(r.next_retry_at) or r.next_retry_at,
                as_utc(r.resolved_at),
            )
            for r in rows
        ]

    def all(self, workspace_id: int) -> list[SyncState]:
        """Every connector's state with its number of unresolved errors."""
        s, e = crm_sync_state.c, crm_sync_errors.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(crm_sync_state)
                .where(s.workspace_id == workspace_id)
                .order_by(s.connector, s.object)
            ).all()
            open_counts = dict(
                ((c, o), int(n))
                for c, o, n in conn.execute(
                    select(e.connector, e.object, func.count())
                    .where(e.workspace_id == workspace_id, e.resolved_at.is_(None))
                    .group_by(e.connector, e.object)
                )
            )
        return [_state(r, open_counts.get((r.connector, r.object), 0)) for r in rows]


def _bump(conn: Connection, key: dict[str, Any], f: FailedRecord, now: datetime) -> None:
    """Insert the error row, or count one more attempt and push its next retry back."""
    e = crm_sync_errors.c
    where = [e[name] == value for name, value in key.items()]
    raw = orjson.dumps(f.raw, default=str).decode() if f.raw is not None else None
    attempts = conn.execute(select(e.attempts).where(*where)).scalar()
    if attempts is None:
        conn.execute(
            crm_sync_errors.insert().values(
                **key,
                error=f.error[:2000],
                raw_json=raw,
                attempts=1,
                first_seen_at=now,
                last_attempt_at=now,
                next_retry_at=now + retry_delay(1),
            )
        )
        return
    conn.execute(
        update(crm_sync_errors)
        .where(*where)
        .values(
            error=f.error[:2000],
            raw_json=raw,
            attempts=attempts + 1,
            last_attempt_at=now,
            next_retry_at=now + retry_delay(attempts + 1),
            resolved_at=None,
        )
    )


def _state(row: Any, open_errors: int = 0) -> SyncState:
    return SyncState(
        connector=row.connector,
        object=row.object,
        cursor=row.cursor,
        last_run_at=as_utc(row.last_run_at),
        last_success_at=as_utc(row.last_success_at),
        last_status=row.last_status,
        counts={k: int(getattr(row, k)) for k in COUNTS},
        open_errors=open_errors,
    )
