"""``hand_off`` and ``mark_responded``: called inside the lifecycle's own transaction."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

import orjson
from sqlalchemy import Connection

from leadloop.domain.assignment import Assignment, LeadSpot, NoRepError, SalesRep, assign
from leadloop.domain.handoff import RESPONSES, HandOff, HandOffRequest, context_document
from leadloop.errors import ConflictError, NotFoundError, ValidationError
from leadloop.services.handoff.config import HandOffConfig
from leadloop.services.handoff.notify import enqueue_hand_off
from leadloop.store import handoffs, reps
from leadloop.store.engine import as_utc, utcnow

logger = logging.getLogger(__name__)

_DEFAULT = HandOffConfig()


def hand_off(
    conn: Connection,
    request: HandOffRequest,
    config: HandOffConfig = _DEFAULT,
    *,
    now: datetime | None = None,
) -> HandOff:
    """Assign an owner, store the hand-off and enqueue its notifications, in ``conn``'s transaction.

    A second call for the same (workspace, contact, cycle) changes nothing and returns the
    stored hand-off with ``created=False``: no lead is handed over twice in one cycle.
    When no active rep can take the lead it is still recorded (``rep_id`` None) and the
    webhooks are told, so the state change never fails for want of a rep.

    On SQLite, ``conn`` must hold the write lock from its start (open it with
    ``execution_options(sqlite_immediate=True)``, as every writer here does): a deferred
    transaction that has read cannot take the lock while the worker writes.
    """
    now = now or utcnow()
    row = handoffs.find(conn, request.workspace_id, request.contact_id, request.cycle)
    if row is not None:
        return handoffs.existing(row)
    reps.lock_assignment(conn, request.workspace_id)
    team = reps.load_reps(conn, request.workspace_id)
    assignment = _assign(conn, request, team)
    created = handoffs.insert(conn, _values(request, assignment, config, now))
    if created is None:  # a concurrent transaction handed it over first
        row = handoffs.find(conn, request.workspace_id, request.contact_id, request.cycle)
        return handoffs.existing(row)
    if assignment is not None and assignment.cursor is not None:
        reps.save_cursor(conn, request.workspace_id, *assignment.cursor)
    owner = next((r for r in team if assignment and r.id == assignment.rep_id), None)
    ids = enqueue_hand_off(conn, request, created, owner, assignment, config, now)
    _log_created(created, request.hot, len(ids))
    return replace(created, outbox_ids=tuple(ids))


def _log_created(stored: HandOff, hot: bool, notifications: int) -> None:
    fields = {
        "hand_off_id": stored.id,
        "contact_id": stored.contact_id,
        "cycle": stored.cycle,
        "rep_id": stored.rep_id,
        "strategy": stored.strategy,
        "hot": hot,
        "notifications": notifications,
    }
    logger.info("handoff.created", extra={"fields": fields})


def _assign(conn: Connection, request: HandOffRequest, team: list[SalesRep]) -> Assignment | None:
    lead = request.lead
    spot = LeadSpot(
        segment=lead.segment,
        region=lead.region,
        persona=lead.persona,
        account_owner_id=reps.account_owner(conn, lead.account.id if lead.account else None),
    )
    policy = reps.load_policy(conn, request.workspace_id)
    try:
        return assign(policy, team, spot, reps.load_cursors(conn, request.workspace_id))
    except NoRepError as exc:
        logger.warning(
            "handoff.unassigned",
            extra={"fields": {"contact_id": request.contact_id, "why": str(exc)}},
        )
        return None


def _values(
    request: HandOffRequest, assignment: Assignment | None, config: HandOffConfig, now: datetime
) -> dict[str, object]:
    return {
        "workspace_id": request.workspace_id,
        "contact_id": request.contact_id,
        "cycle": request.cycle,
        "rep_id": assignment.rep_id if assignment else None,
        "strategy": assignment.strategy if assignment else "unassigned",
        "assignment_reason": assignment.reason if assignment else "no active sales rep",
        "reasons_json": orjson.dumps(list(request.reasons)).decode(),
        "rule_version": request.rule_version,
        "hot": request.hot,
        "context_json": orjson.dumps(context_document(request.lead)).decode(),
        "status": handoffs.PENDING,
        "created_at": now,
        "due_at": now + timedelta(seconds=config.sla_response_s),
        "escalations": 0,
    }


def mark_responded(
    conn: Connection, contact_id: int, cycle: int, response: str, at: datetime
) -> HandOff:
    """Record that sales accepted or rejected the hand-off of ``contact_id`` in ``cycle``.

    Stops the service-level clock; an answer after the deadline is recorded as a breach
    of the rep who held the lead. Idempotent: the same answer again changes nothing.

    Raises:
        ValidationError: ``response`` is not accepted or rejected.
        NotFoundError: the contact was never handed off in that cycle.
        ConflictError: the hand-off already has the other answer.
    """
    if response not in RESPONSES:
        raise ValidationError(
            f"hand-off response must be one of {', '.join(RESPONSES)}; got {response!r}"
        )
    row = handoffs.find(conn, None, contact_id, cycle, lock=True)
    if row is None:
        raise NotFoundError(
            f"contact {contact_id} was not handed off in cycle {cycle}",
            contact_id=contact_id,
            cycle=cycle,
        )
    if row.status != handoffs.PENDING:
        if row.status == response:
            return handoffs.existing(row)
        raise ConflictError(
            f"hand-off of contact {contact_id} (cycle {cycle}) is already {row.status}; "
            f"it cannot become {response}",
            contact_id=contact_id,
            cycle=cycle,
        )
    due = as_utc(row.due_at)
    if due is not None and at > due:
        handoffs.record_breach(conn, row, now=at, escalated=False)
    handoffs.respond(conn, int(row.id), response, at)
    logger.debug(
        "handoff.responded",
        extra={"fields": {"contact_id": contact_id, "cycle": cycle, "response": response}},
    )
    return replace(handoffs.existing(row), status=response, responded_at=at)
