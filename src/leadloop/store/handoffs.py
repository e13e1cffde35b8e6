"""Hand-off rows (one per contact and sales-ready cycle) and SLA breaches.

All writes take the caller's ``Connection``: ``hand_off`` and ``mark_responded`` run inside
the lifecycle's transaction, the escalation check inside the worker's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadloop.domain.handoff import HandOff
from leadloop.store.engine import as_utc
from leadloop.store.tables import hand_offs, sales_reps, sla_breaches

PENDING = "pending"


def _hand_off(row: Any, created: bool = False) -> HandOff:
    return HandOff(
        id=int(row.id),
        workspace_id=int(row.workspace_id),
        contact_id=int(row.contact_id),
        cycle=int(row.cycle),
        rep_id=None if row.rep_id is None else int(row.rep_id),
        strategy=row.strategy,
        status=row.status,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
        due_at=as_utc(row.due_at),  # type: ignore[arg-type]
        created=created,
        responded_at=as_utc(row.responded_at),
    )


def find(
    conn: Connection, workspace_id: int | None, contact_id: int, cycle: int, *, lock: bool = False
) -> Any:
    """The raw row for (contact, cycle), or None; ``lock`` holds it for this transaction."""
    query = select(hand_offs).where(
        hand_offs.c.contact_id == contact_id, hand_offs.c.cycle == cycle
    )
    if workspace_id is not None:
        query = query.where(hand_offs.c.workspace_id == workspace_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def insert(conn: Connection, values: dict[str, Any]) -> HandOff | None:
    """Insert unless (workspace, contact, cycle) exists; None when it already did."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        dialect_insert(hand_offs)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "contact_id", "cycle"])
        .returning(*hand_offs.c)
    )
    row = conn.execute(stmt).first()
    return None if row is None else _hand_off(row, created=True)


def existing(row: Any) -> HandOff:
    return _hand_off(row, created=False)


def respond(conn: Connection, hand_off_id: int, response: str, at: datetime) -> None:
    conn.execute(
        update(hand_offs)
        .where(hand_offs.c.id == hand_off_id, hand_offs.c.status == PENDING)
        .values(status=response, responded_at=at)
    )


def record_breach(
    conn: Connection,
    row: Any,
    *,
    now: datetime,
    escalated: bool,
    manager_id: int | None = None,
    reassigned_to: int | None = None,
) -> bool:
    """One breach per (hand-off, rep); False when it was already recorded."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    result = conn.execute(
        dialect_insert(sla_breaches)
        .values(
            workspace_id=row.workspace_id,
            hand_off_id=row.id,
            rep_id=row.rep_id,
            manager_id=manager_id,
            reassigned_to_id=reassigned_to,
            escalated=escalated,
            due_at=row.due_at,
            detected_at=now,
        )
        .on_conflict_do_nothing(index_elements=["hand_off_id", "rep_id"])
    )
    return bool(result.rowcount)


def overdue(conn: Connection, now: datetime, max_escalations: int, limit: int = 50) -> list[Any]:
    """Pending hand-offs past due that may still escalate, locked for this transaction."""
    query = (
        select(hand_offs)
        .where(
            hand_offs.c.status == PENDING,
            hand_offs.c.due_at <= now,
            hand_offs.c.escalations < max_escalations,
        )
        .order_by(hand_offs.c.due_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(conn.execute(query))


def after_escalation(conn: Connection, hand_off_id: int, *, rep_id: int, due_at: datetime) -> None:
    conn.execute(
        update(hand_offs)
        .where(hand_offs.c.id == hand_off_id)
        .values(escalations=hand_offs.c.escalations + 1, rep_id=rep_id, due_at=due_at)
    )


@dataclass(frozen=True, slots=True)
class RepServiceLevel:
    """One rep's line in the SLA report."""

    rep_id: int
    name: str
    email: str
    handed_off: int
    pending: int
    breaches: int
    escalated: int


def breaches(engine: Engine, workspace_id: int, since: datetime | None = None) -> list[Any]:
    query = (
        select(sla_breaches, hand_offs.c.contact_id, hand_offs.c.cycle, sales_reps.c.email)
        .join(hand_offs, hand_offs.c.id == sla_breaches.c.hand_off_id)
        .outerjoin(sales_reps, sales_reps.c.id == sla_breaches.c.rep_id)
        .where(sla_breaches.c.workspace_id == workspace_id)
        .order_by(sla_breaches.c.detected_at, sla_breaches.c.id)
    )
    if since is not None:
        query = query.where(sla_breaches.c.detected_at >= since)
    with engine.connect() as conn:
        return list(conn.execute(query))


def report(
    engine: Engine, workspace_id: int, since: datetime | None = None
) -> list[RepServiceLevel]:
    """Per rep: hand-offs now held, still pending, breaches and escalations."""
    held = select(
        hand_offs.c.rep_id,
        func.count().label("n"),
        func.sum(case((hand_offs.c.status == PENDING, 1), else_=0)).label("p"),
    ).where(hand_offs.c.workspace_id == workspace_id)
    missed = select(
        sla_breaches.c.rep_id,
        func.count().label("b"),
        func.sum(case((sla_breaches.c.escalated, 1), else_=0)).label("e"),
    ).where(sla_breaches.c.workspace_id == workspace_id)
    if since is not None:
        held = held.where(hand_offs.c.created_at >= since)
        missed = missed.where(sla_breaches.c.detected_at >= since)
    h = held.group_by(hand_offs.c.rep_id).subquery()
    m = missed.group_by(sla_breaches.c.rep_id).subquery()
    query = (
        select(sales_reps.c.id, sales_reps.c.name, sales_reps.c.email, h.c.n, h.c.p, m.c.b, m.c.e)
        .outerjoin(h, h.c.rep_id == sales_reps.c.id)
        .outerjoin(m, m.c.rep_id == sales_reps.c.id)
        .where(sales_reps.c.workspace_id == workspace_id)
        .order_by(m.c.b.desc().nulls_last(), sales_reps.c.email)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [RepServiceLevel(int(r[0]), r[1], r[2], *(int(v or 0) for v in r[3:])) for r in rows]
