"""The qualify use case: evaluate leads against the active rule and move the sales-ready ones.

For each lead whose facts meet the rule, one transaction locks the lead row, moves a
``known``, ``engaged`` or ``recycled`` lead to ``sales_ready`` (implied steps recorded),
stores the qualification with the rule version and its reasons, and runs every
``on_sales_ready`` hook **on the same connection**, so a hand-off written there (an outbox
row, an owner) commits or rolls back with the state change. A lead already sales_ready (or
further on) in its cycle is not moved again, so concurrent runs qualify it once.

A known lead that consumed content but does not qualify is moved to ``engaged``; so is a
recycled lead that consumed something since it was recycled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Connection

from leadloop.domain.facts import LeadFacts
from leadloop.domain.lifecycle import Actor, Transition, plan
from leadloop.domain.qualification import Qualification, evaluate
from leadloop.domain.rules import RuleSet
from leadloop.store.leads import LeadState, QualificationRecord, SqlLeadStore

logger = logging.getLogger(__name__)

QUALIFIABLE: Final = ("known", "engaged", "recycled")
"""States a rule may move to sales_ready (anonymous leads cannot be handed to sales)."""


@dataclass(frozen=True, slots=True)
class SalesReadyLead:
    """What an ``on_sales_ready`` hook receives: the lead, its cycle and why it qualified."""

    workspace_id: int
    contact_id: int
    cycle: int
    qualification: QualificationRecord
    facts: LeadFacts
    transitions: tuple[Transition, ...]


SalesReadyHook = Callable[[Connection, SalesReadyLead], None]
"""Called inside the qualifying transaction; raising rolls the whole move back."""


@dataclass(frozen=True, slots=True)
class QualifyResult:
    """The evaluation, and what it changed."""

    qualification: Qualification
    moved: bool
    state: str
    cycle: int


def qualify(
    store: SqlLeadStore,
    workspace_id: int,
    facts: Sequence[LeadFacts],
    rules: RuleSet,
    *,
    on_sales_ready: Sequence[SalesReadyHook] = (),
    now: datetime | None = None,
) -> list[QualifyResult]:
    """Evaluate ``facts`` under ``rules``; move and record the leads that qualify.

    Moves are stamped ``now`` when given, else with the facts' ``as_of`` (when the lead was
    observed to qualify, which keeps replayed history honest), never before the lead's
    current state began.
    """
    return [_one(store, workspace_id, f, rules, on_sales_ready, now) for f in facts]


def _one(
    store: SqlLeadStore,
    workspace_id: int,
    facts: LeadFacts,
    rules: RuleSet,
    hooks: Sequence[SalesReadyHook],
    now: datetime | None,
) -> QualifyResult:
    q = evaluate(rules, facts)
    if not q.qualified:  # a qualified lead is locked anyway: no read before the lock
        seen = store.state(workspace_id, facts.contact_id)
        if _nurture_target(seen, facts) is None:
            return QualifyResult(q, False, seen.state, seen.cycle)  # nothing to move: no lock
    with store.write_connection() as conn, conn.begin():
        current = store.lock(conn, workspace_id, facts.contact_id)
        at = max((now or facts.as_of).astimezone(UTC), current.since)
        if q.qualified and current.state in QUALIFIABLE:
            lead = _to_sales_ready(store, conn, workspace_id, current, facts, q, at)
            for hook in hooks:
                hook(conn, lead)
            _log(q, lead)
            return QualifyResult(q, True, "sales_ready", lead.cycle)
        target = _nurture_target(current, facts)
        if target is None:
            return QualifyResult(q, False, current.state, current.cycle)
        steps = plan(
            facts.contact_id, current.state, current.cycle, target, at=at,
            actor=Actor("system"), reason="consumed content",
        )  # fmt: skip
        store.apply(conn, workspace_id, steps)
        return QualifyResult(q, False, target, current.cycle)


def _nurture_target(current: LeadState, facts: LeadFacts) -> str | None:
    """``engaged`` for a known lead that consumed content, or a recycled one that read since."""
    if current.state == "known" and facts.engagements:
        return "engaged"
    if current.state == "recycled" and any(e.at > current.since for e in facts.engagements):
        return "engaged"
    return None


def _to_sales_ready(
    store: SqlLeadStore,
    conn: Connection,
    workspace_id: int,
    current: LeadState,
    facts: LeadFacts,
    q: Qualification,
    at: datetime,
) -> SalesReadyLead:
    steps = plan(
        facts.contact_id, current.state, current.cycle, "sales_ready", at=at,
        actor=Actor("rule", f"v{q.rule_version}"), reason=" ".join(q.reasons),
        rule_version=q.rule_version,
    )  # fmt: skip
    store.apply(conn, workspace_id, steps)
    cycle = steps[-1].cycle
    record = store.record_qualification(conn, workspace_id, q, cycle, at)
    return SalesReadyLead(workspace_id, facts.contact_id, cycle, record, facts, tuple(steps))


def _log(q: Qualification, lead: SalesReadyLead) -> None:
    logger.info(
        "lead.qualified",
        extra={
            "fields": {
                "lead_id": lead.contact_id,
                "cycle": lead.cycle,
                "rule_version": q.rule_version,
                "score": round(q.score, 1),
            }
        },
    )
