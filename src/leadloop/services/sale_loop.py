"""Closing the loop: CRM opportunities move the lead lifecycle and queue content tagging.

:meth:`SaleLoop.on_opportunity_changed` is an ``OpportunityHook``: the CRM store calls it
inside the page's write transaction, so it works on that connection (the same row locks;
SQLite has one writer, a second write transaction would wait on the first). Its lifecycle
moves and its ledger rows commit or roll back with the opportunity itself.

Who moves: the opportunity's contact roles matched to our contacts (merged contacts
followed to their survivor), its account's contacts whose lead is ``sales_ready`` or
``accepted`` (sales took the lead and opened a deal on the account), and every lead this
opportunity moved before. Where to: ``open`` → ``opportunity``; ``won`` → ``won``;
``lost`` → ``lost``, recycled at once into nurture (nothing consumed is removed), unless
the contact is still on another open opportunity. The CRM is an implying actor
(``crm:<connector>``), so skipped steps are recorded as implied; a rejected lead the CRM
opens a deal for starts a new cycle first; ``won`` is final. Each (opportunity, contact,
status) is acted on once (``sale_lead_moves``), so a re-sync or re-import moves nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time
from typing import Final

from sqlalchemy import Connection

from leadloop.domain.crm import LOST, OPEN, WON, Opportunity, OpportunityChange
from leadloop.domain.lifecycle import Actor
from leadloop.errors import IllegalTransitionError
from leadloop.services.leads import ResponseHook, move_lead
from leadloop.store import sale_moves
from leadloop.store.engine import as_utc, utcnow
from leadloop.store.leads import SqlLeadStore
from leadloop.store.sale_content import queue_opportunities

logger = logging.getLogger(__name__)

LEAD_TARGETS: Final = {OPEN: "opportunity", WON: "won", LOST: "lost"}
"""Opportunity status → the lifecycle state it moves its leads to."""
_VERBS: Final = {OPEN: "opened", WON: "won", LOST: "lost"}


class SaleLoop:
    """The lifecycle and content-tagging side of every CRM sync and opportunity import."""

    def __init__(
        self,
        leads: SqlLeadStore,
        now: Callable[[], datetime] = utcnow,
        on_response: Sequence[ResponseHook] = (),
    ) -> None:
        self.leads = leads
        self.now = now
        self.on_response = list(on_response)
        """Run for every step into accepted or rejected (the hand-off's SLA clock stops)."""

    def on_opportunity_changed(self, conn: Connection, change: OpportunityChange) -> None:
        """Queue the opportunity for tagging and move its leads (see the module doc)."""
        now = self.now()
        queue_opportunities(conn, change.workspace_id, [change.opportunity_id], now)
        status = change.after.status
        done = sale_moves.moved_before(conn, change.opportunity_id)
        for contact_id in self._people(conn, change, done):
            if (contact_id, status) in done:
                continue
            outcome, state, detail = self._move(conn, change, contact_id, done)
            sale_moves.record_move(
                conn, change.workspace_id, change.opportunity_id, contact_id, status,
                outcome, state, detail, now,
            )  # fmt: skip
            logger.debug(
                "sale.lead_moved",
                extra={"fields": {"opportunity_id": change.opportunity_id, "lead_id": contact_id,
                                  "status": status, "outcome": outcome, "state": state}},
            )  # fmt: skip

    def _people(
        self, conn: Connection, change: OpportunityChange, done: dict[tuple[int, str], str]
    ) -> list[int]:
        """Contacts to move, in id order (rows are locked in one order: no deadlock cycle)."""
        matched = [c.contact_id for c in change.contacts if c.contact_id is not None]
        people = set(sale_moves.survivors(conn, matched))
        people |= set(sale_moves.handed_to_sales(conn, change.workspace_id, change.account_id))
        people |= {c for (c, _), outcome in done.items() if outcome != "skipped"}
        return sorted(people)

    def _move(
        self,
        conn: Connection,
        change: OpportunityChange,
        contact_id: int,
        done: dict[tuple[int, str], str],
    ) -> tuple[str, str, str | None]:
        """(outcome, lead state afterwards, why skipped) for one lead."""
        ws, opp = change.workspace_id, change.after
        current = self.leads.lock(conn, ws, contact_id).state
        skip = _skip(current, opp.status)
        other_open = opp.status == LOST and sale_moves.has_other_open(
            conn, contact_id, change.opportunity_id
        )
        if skip is None and other_open:
            skip = ("skipped", "the contact is on another open opportunity")
        if skip is not None:
            return skip[0], current, skip[1]
        actor = Actor("crm", change.connector)
        reason = f"opportunity {opp.crm_id} ({opp.name}) {_VERBS[opp.status]} in {change.connector}"
        created, closed = _moments(opp, self.now())
        changed = False
        try:
            if current == "rejected":  # the CRM's deal outweighs the rejection: a new cycle
                changed = move_lead(self.leads, conn, ws, contact_id, "recycled", actor=actor,
                                    reason=f"recycled: {reason}", at=created,
                                    on_response=self.on_response)  # fmt: skip
            changed |= move_lead(self.leads, conn, ws, contact_id, "opportunity",
                                 actor=actor, reason=reason, at=created,
                                 on_response=self.on_response)  # fmt: skip
            if opp.status != OPEN:
                changed |= move_lead(self.leads, conn, ws, contact_id, LEAD_TARGETS[opp.status],
                                     actor=actor, reason=reason, at=closed,
                                     on_response=self.on_response)  # fmt: skip
        except IllegalTransitionError as exc:
            return "skipped", self.leads.lock(conn, ws, contact_id).state, exc.message
        after = self.leads.lock(conn, ws, contact_id).state
        return ("moved" if changed else "unchanged"), after, None


def _skip(current: str, status: str) -> tuple[str, str] | None:
    """(outcome, why) when a lead in ``current`` is not moved for a deal in ``status``."""
    if current == "won":
        return ("unchanged", "already won") if status == WON else ("skipped", "won is final")
    if current == "recycled" and status == LOST:
        return "unchanged", "already recycled"
    return None


def _moments(opp: Opportunity, now: datetime) -> tuple[datetime, datetime]:
    """When the deal was opened and when it closed (the close date, at 00:00 UTC)."""
    created = as_utc(opp.created_at) or now
    if opp.close_date is not None:
        closed = datetime.combine(opp.close_date, time(), tzinfo=UTC)
    else:
        closed = as_utc(opp.last_modified) or now
    return created, max(created, closed)
