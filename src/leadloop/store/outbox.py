"""The transactional outbox: notifications written with the hand-off, drained by workers.

A row is enqueued in the caller's transaction, so a notification exists exactly when the
state change it announces was committed. Workers claim due rows with a lease
(``locked_until``): on PostgreSQL with ``FOR UPDATE SKIP LOCKED`` so several workers share
the queue without ever holding the same row; on SQLite under the single write lock. A
killed worker's lease simply expires and the row is claimed again (at-least-once; the
receiver deduplicates on the stable delivery id, the row's id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, or_, select, update

from leadloop.errors import ConflictError, NotFoundError
from leadloop.store.engine import as_utc, utcnow
from leadloop.store.tables import outbox, outbox_attempts

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One notification as a worker or a listing sees it."""

    id: int
    workspace_id: int
    channel: str
    event: str
    endpoint_id: int | None
    recipient: str | None
    payload: dict[str, Any]
    status: str
    attempts: int
    available_at: datetime
    created_at: datetime
    last_error: str | None = None
    delivered_at: datetime | None = None

    @property
    def delivery_id(self) -> str:
        """Stable across retries and replays, so receivers can deduplicate."""
        return f"dlv_{self.workspace_id}_{self.id}"


def _item(row: Any) -> OutboxItem:
    return OutboxItem(
        id=int(row.id),
        workspace_id=int(row.workspace_id),
        channel=row.channel,
        event=row.event,
        endpoint_id=row.endpoint_id,
        recipient=row.recipient,
        payload=orjson.loads(row.payload_json),
        status=row.status,
        attempts=int(row.attempts),
        available_at=as_utc(row.available_at),  # type: ignore[arg-type]
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
        last_error=row.last_error,
        delivered_at=as_utc(row.delivered_at),
    )


def enqueue(
    conn: Connection,
    *,
    workspace_id: int,
    channel: str,
    event: str,
    item: dict[str, Any],
    now: datetime,
    endpoint_id: int | None = None,
    recipient: str | None = None,
    batch_key: str | None = None,
    batch_until: datetime | None = None,
) -> int:
    """Add ``item`` to an open batch with ``batch_key``, or write a new row; return its id."""
    if batch_key is not None:
        joined = _join_batch(conn, batch_key, item, now)
        if joined is not None:
            return joined
    result = conn.execute(
        outbox.insert().values(
            workspace_id=workspace_id,
            channel=channel,
            event=event,
            endpoint_id=endpoint_id,
            recipient=recipient,
            payload_json=orjson.dumps({"items": [item]}).decode(),
            batch_key=batch_key,
            status=PENDING,
            attempts=0,
            available_at=batch_until if batch_key is not None and batch_until else now,
            created_at=now,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def _join_batch(conn: Connection, key: str, item: dict[str, Any], now: datetime) -> int | None:
    """Append to a batch nobody has claimed yet and whose window is still open."""
    open_batch = (
        select(outbox.c.id, outbox.c.payload_json)
        .where(
            outbox.c.batch_key == key,
            outbox.c.status == PENDING,
            outbox.c.attempts == 0,
            outbox.c.locked_until.is_(None),
            outbox.c.available_at > now,
        )
        .order_by(outbox.c.id.desc())
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        open_batch = open_batch.with_for_update()
    row = conn.execute(open_batch).first()
    if row is None:
        return None
    payload = orjson.loads(row.payload_json)
    payload["items"].append(item)
    done = conn.execute(
        update(outbox)
        .where(outbox.c.id == row.id, outbox.c.locked_until.is_(None), outbox.c.attempts == 0)
        .values(payload_json=orjson.dumps(payload).decode())
    )
    return int(row.id) if done.rowcount == 1 else None


def claim(
    engine: Engine, worker: str, *, lease_s: float, limit: int = 20, now: datetime | None = None
) -> list[OutboxItem]:
    """Lease up to ``limit`` due rows to ``worker`` and count the attempt; commit at once."""
    now = now or utcnow()
    due = (
        select(outbox.c.id)
        .where(
            outbox.c.status == PENDING,
            outbox.c.available_at <= now,
            or_(outbox.c.locked_until.is_(None), outbox.c.locked_until < now),
        )
        .order_by(outbox.c.available_at, outbox.c.id)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(outbox)
        .where(outbox.c.id.in_(due.scalar_subquery()))
        .values(
            locked_until=now + timedelta(seconds=lease_s),
            locked_by=worker,
            attempts=outbox.c.attempts + 1,
        )
        .returning(*outbox.c)
    )
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        rows = conn.execute(stmt).all()
    return sorted((_item(r) for r in rows), key=lambda i: (i.available_at, i.id))


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one delivery attempt did."""

    outcome: str  # delivered | retry | dead
    started_at: datetime
    finished_at: datetime
    status_code: int | None = None
    error: str | None = None
    next_at: datetime | None = None


def record(engine: Engine, item: OutboxItem, worker: str, attempt: Attempt) -> None:
    """Store the attempt and the row's new state; a lost lease only loses a retry decision."""
    values: dict[str, Any] = {"locked_until": None, "locked_by": None}
    where = [outbox.c.id == item.id, outbox.c.status == PENDING]
    if attempt.outcome == DELIVERED:
        values.update(status=DELIVERED, delivered_at=attempt.finished_at)
    else:
        where.append(outbox.c.locked_by == worker)
        values.update(
            status=DEAD if attempt.outcome == DEAD else PENDING,
            last_error=attempt.error,
            available_at=attempt.next_at or attempt.finished_at,
        )
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        conn.execute(
            outbox_attempts.insert().values(
                outbox_id=item.id,
                attempt=item.attempts,
                worker=worker[:100],
                started_at=attempt.started_at,
                finished_at=attempt.finished_at,
                outcome=attempt.outcome,
                status_code=attempt.status_code,
                error=attempt.error[:2000] if attempt.error else None,
            )
        )
        conn.execute(update(outbox).where(*where).values(**values))


def list_items(
    engine: Engine, workspace_id: int, status: str | None = None, limit: int = 100
) -> list[OutboxItem]:
    query = select(outbox).where(outbox.c.workspace_id == workspace_id)
    if status:
        query = query.where(outbox.c.status == status)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(outbox.c.id.desc()).limit(limit)).all()
    return [_item(r) for r in rows]


def attempts_of(engine: Engine, outbox_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(outbox_attempts)
                .where(outbox_attempts.c.outbox_id == outbox_id)
                .order_by(outbox_attempts.c.id)
            )
        )


def replay(engine: Engine, workspace_id: int, outbox_id: int | None = None) -> list[int]:
    """Queue a dead (or delivered) notification again with fresh attempts.

    Without ``outbox_id``, every dead notification of the workspace is replayed.
    """
    where = [outbox.c.workspace_id == workspace_id]
    where.append(outbox.c.id == outbox_id if outbox_id is not None else outbox.c.status == DEAD)
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        rows = conn.execute(select(outbox.c.id, outbox.c.status).where(*where)).all()
        if outbox_id is not None and not rows:
            raise NotFoundError(
                f"notification {outbox_id} does not exist in this workspace", id=outbox_id
            )
        if outbox_id is not None and rows[0].status == PENDING:
            raise ConflictError(
                f"notification {outbox_id} is still pending; only dead or delivered ones can "
                "be replayed",
                id=outbox_id,
            )
        ids = [int(r.id) for r in rows]
        if ids:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(status=PENDING, attempts=0, available_at=utcnow(), locked_until=None)
            )
    return ids
