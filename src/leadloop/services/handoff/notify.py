"""What the outbox carries: one JSON item per hand-off or escalation, per destination.

Each active webhook endpoint gets a copy, and the owner (or, on escalation, the manager)
gets an e-mail when SMTP is configured. Ordinary leads join an open batch for the same
destination for ``batch_window_s``; hot leads always get a row of their own, due now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from leadloop.domain.assignment import Assignment, SalesRep
from leadloop.domain.handoff import (
    EVENT_HANDED_OFF,
    HandOff,
    HandOffRequest,
    context_document,
)
from leadloop.services.handoff.config import HandOffConfig
from leadloop.store import outbox
from leadloop.store.engine import as_utc
from leadloop.store.webhooks import active_endpoints


def rep_document(rep: SalesRep | None) -> dict[str, Any] | None:
    if rep is None:
        return None
    return {"id": rep.id, "name": rep.name, "email": rep.email}


def hand_off_document(
    request: HandOffRequest,
    stored: HandOff,
    owner: SalesRep | None,
    assignment: Assignment | None,
    config: HandOffConfig,
) -> dict[str, Any]:
    """The hand-off as receivers see it (``data.items[]`` of a webhook, one lead of an e-mail)."""
    return {
        "hand_off_id": stored.id,
        "contact_id": request.contact_id,
        "cycle": request.cycle,
        "qualified_at": (request.qualified_at or stored.created_at).isoformat(),
        "rule_version": request.rule_version,
        "reasons": list(request.reasons),
        "hot": request.hot,
        "owner": rep_document(owner),
        "assignment": {
            "strategy": stored.strategy,
            "reason": assignment.reason if assignment else "no active sales rep",
        },
        "respond_by": stored.due_at.isoformat(),
        "lead_url": config.lead_url.format(contact_id=request.contact_id),
        "lead": context_document(request.lead),
    }


def enqueue_hand_off(
    conn: Connection,
    request: HandOffRequest,
    stored: HandOff,
    owner: SalesRep | None,
    assignment: Assignment | None,
    config: HandOffConfig,
    now: datetime,
) -> list[int]:
    item = hand_off_document(request, stored, owner, assignment, config)
    return fan_out(
        conn,
        request.workspace_id,
        EVENT_HANDED_OFF,
        item,
        owner.email if owner else None,
        config,
        now,
        batchable=not request.hot,
    )


def fan_out(
    conn: Connection,
    workspace_id: int,
    event: str,
    item: dict[str, Any],
    email_to: str | None,
    config: HandOffConfig,
    now: datetime,
    *,
    batchable: bool,
) -> list[int]:
    """Enqueue ``item`` for every active endpoint and, with SMTP on, for ``email_to``."""
    window = config.batch_window_s if batchable else 0.0
    targets: list[tuple[str, int | None, str | None]] = [
        ("webhook", endpoint.id, None) for endpoint in active_endpoints(conn, workspace_id)
    ]
    if email_to and config.email_enabled:
        targets.append(("email", None, email_to))
    return [
        outbox.enqueue(
            conn,
            workspace_id=workspace_id,
            channel=channel,
            event=event,
            item=item,
            now=now,
            endpoint_id=endpoint_id,
            recipient=recipient,
            batch_key=f"{workspace_id}:{event}:{channel}:{endpoint_id or recipient}"
            if window > 0
            else None,
            batch_until=now + timedelta(seconds=window),
        )
        for channel, endpoint_id, recipient in targets
    ]


def escalation_document(
    lead_item: dict[str, Any],
    breached: SalesRep | None,
    manager: SalesRep | None,
    reassigned: SalesRep | None,
    due_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    """An SLA breach: who missed it, who is told, who holds the lead now."""
    return {
        **lead_item,
        "breached_by": rep_document(breached),
        "manager": rep_document(manager),
        "reassigned_to": rep_document(reassigned),
        "was_due_at": due_at.isoformat(),
        "overdue_s": round((now - due_at).total_seconds(), 1),
    }


def webhook_body(item: outbox.OutboxItem) -> dict[str, Any]:
    """The JSON a receiver gets; identical on every retry of the same delivery."""
    return {
        "id": item.delivery_id,
        "event": item.event,
        "created_at": item.created_at.isoformat(),
        "data": {"items": item.payload["items"]},
    }


def stored_document(row: Any, owner: SalesRep | None, config: HandOffConfig) -> dict[str, Any]:
    """The hand-off item rebuilt from its stored row (escalations and reassignment)."""
    return {
        "hand_off_id": int(row.id),
        "contact_id": int(row.contact_id),
        "cycle": int(row.cycle),
        "qualified_at": _iso(row.created_at),
        "rule_version": row.rule_version,
        "reasons": orjson.loads(row.reasons_json),
        "hot": bool(row.hot),
        "owner": rep_document(owner),
        "assignment": {"strategy": row.strategy, "reason": row.assignment_reason},
        "respond_by": _iso(row.due_at),
        "lead_url": config.lead_url.format(contact_id=row.contact_id),
        "lead": orjson.loads(row.context_json),
    }


def _iso(value: datetime) -> str:
    aware = as_utc(value)
    assert aware is not None
    return aware.isoformat()
