"""Service levels: a hand-off sales neither accepted nor rejected in time escalates.

The check runs in the worker loop. In one transaction per batch it locks overdue pending
hand-offs (``SKIP LOCKED`` on PostgreSQL, so two workers never escalate the same one),
records the breach, tells the rep's manager through the outbox and, when configured,
reassigns the lead to the next active rep and restarts its clock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from leadloop.domain.assignment import SalesRep, next_in_rotation
from leadloop.domain.handoff import EVENT_ESCALATED, EVENT_HANDED_OFF
from leadloop.services.handoff.config import HandOffConfig
from leadloop.services.handoff.notify import escalation_document, fan_out, stored_document
from leadloop.store import handoffs, reps
from leadloop.store.engine import as_utc

logger = logging.getLogger(__name__)


def check_service_levels(engine: Engine, config: HandOffConfig, now: datetime) -> int:
    """Escalate every overdue hand-off once per allowed escalation; return how many."""
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        rows = handoffs.overdue(conn, now, config.escalation_limit)
        for row in rows:
            escalate(conn, row, config, now)
    return len(rows)


def escalate(conn: Connection, row: Any, config: HandOffConfig, now: datetime) -> None:
    team = {rep.id: rep for rep in reps.load_reps(conn, int(row.workspace_id))}
    holder = team.get(row.rep_id) if row.rep_id is not None else None
    manager = team.get(holder.manager_id) if holder and holder.manager_id else None
    successor = _successor(team, holder) if config.sla_reassign else None
    due_at = as_utc(row.due_at)
    assert due_at is not None
    handoffs.record_breach(
        conn,
        row,
        now=now,
        escalated=True,
        manager_id=manager.id if manager else None,
        reassigned_to=successor.id if successor else None,
    )
    new_due = now + timedelta(seconds=config.sla_response_s) if successor else due_at
    owner = successor or holder
    handoffs.after_escalation(
        conn, int(row.id), rep_id=owner.id if owner else row.rep_id, due_at=new_due
    )
    item = stored_document(row, holder, config)
    doc = escalation_document(item, holder, manager, successor, due_at, now)
    ws = int(row.workspace_id)
    fan_out(conn, ws, EVENT_ESCALATED, doc, manager.email if manager else None, config, now,
            batchable=False)  # fmt: skip
    if successor is not None:
        fresh = {**item, "owner": doc["reassigned_to"], "respond_by": new_due.isoformat()}
        fan_out(conn, ws, EVENT_HANDED_OFF, fresh, successor.email, config, now, batchable=False)
    _log(row, manager, successor, (now - due_at).total_seconds())


def _log(row: Any, manager: SalesRep | None, successor: SalesRep | None, overdue: float) -> None:
    fields = {
        "hand_off_id": int(row.id),
        "contact_id": int(row.contact_id),
        "rep_id": row.rep_id,
        "manager_id": manager.id if manager else None,
        "reassigned_to": successor.id if successor else None,
        "overdue_s": round(overdue),
    }
    logger.warning("sla.escalated", extra={"fields": fields})


def _successor(team: dict[int, SalesRep], holder: SalesRep | None) -> SalesRep | None:
    """The next active rep after the holder in id order; None when nobody else is active."""
    others = [rep_id for rep_id, rep in team.items() if rep.active and rep is not holder]
    if not others:
        return None
    return team[next_in_rotation(others, holder.id if holder else None)]
