"""Sales actions on a lead: accept, reject (with a reason), convert, won, lost, recycle.

Each action is one transaction on the locked lead row and is idempotent: repeating the
action that put the lead where it is changes nothing and succeeds; an action the state
machine refuses raises :class:`~leadloop.errors.IllegalTransitionError` (HTTP 409). A lost
lead is recycled into nurture in the same transaction, starting its next cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Connection

from leadloop.domain.lifecycle import Actor, Transition, allowed, plan
from leadloop.errors import ForbiddenError, InvalidChoiceError, ValidationError
from leadloop.store.engine import utcnow
from leadloop.store.leads import LeadState, QualificationRecord, SqlLeadStore
from leadloop.store.users import UserRepository

logger = logging.getLogger(__name__)

ACTIONS: Final = {
    "accept": "accepted",
    "reject": "rejected",
    "convert": "opportunity",
    "won": "won",
    "lost": "lost",
    "recycle": "recycled",
}
"""Sales action → the lifecycle state it moves the lead to."""


def available_actions(state: str) -> tuple[str, ...]:
    """The sales actions a lead in ``state`` allows (each is exactly one lifecycle step)."""
    return tuple(a for a, target in ACTIONS.items() if target in allowed(state))


AUTO_RECYCLED: Final = ("lost",)
"""States a lead leaves for ``recycled`` at once, in the same transaction."""

SALES_ROLES: Final = ("sales", "admin")

RESPONSES: Final = ("accepted", "rejected")
"""States that answer a hand-off: entering one stops its service-level clock."""

ResponseHook = Callable[[Connection, int, Transition], None]
"""``hook(conn, workspace_id, step)`` for each move into accepted or rejected, inside the
action's transaction (the hand-off's ``mark_responded`` is registered here)."""


@dataclass(frozen=True, slots=True)
class LeadView:
    """A lead's current state with its whole history and its qualifications."""

    contact_id: int
    state: str
    cycle: int
    since: datetime
    history: tuple[Transition, ...]
    qualifications: tuple[QualificationRecord, ...]


@dataclass(frozen=True, slots=True)
class ActionResult:
    lead: LeadView
    changed: bool


class LeadService:
    """Sales actions and lead reads for one workspace at a time."""

    def __init__(
        self,
        store: SqlLeadStore,
        users: UserRepository,
        reject_reasons: Sequence[str],
        on_response: Sequence[ResponseHook] = (),
    ) -> None:
        self.store = store
        self.users = users
        self.reject_reasons = tuple(reject_reasons)
        self.on_response = list(on_response)

    def act(
        self,
        workspace_id: int,
        contact_id: int,
        action: str,
        *,
        user_email: str | None = None,
        actor: Actor | None = None,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> ActionResult:
        """Apply one sales action by a user (``user_email``) or another actor (the CRM).

        Raises:
            IllegalTransitionError: the lead's state does not allow the action.
            InvalidChoiceError: a rejection reason outside the configured list.
        """
        target = _target(action)
        who = actor or self._user_actor(workspace_id, user_email, action)
        reason = self._reason(action, reason)
        when = (at or utcnow()).astimezone(UTC)
        with self.store.write_connection() as conn, conn.begin():
            changed = move_lead(self.store, conn, workspace_id, contact_id, target, actor=who,
                                reason=reason, at=when, on_response=self.on_response)  # fmt: skip
        logger.info(
            "lead.action",
            extra={"fields": {"lead_id": contact_id, "action": action, "changed": changed}},
        )
        return ActionResult(self.show(workspace_id, contact_id), changed)

    def show(self, workspace_id: int, contact_id: int) -> LeadView:
        """The lead's state and history (a contact not yet moved shows its first touch)."""
        state = self.store.state(workspace_id, contact_id)
        history = self.store.history(workspace_id, [contact_id])
        if not history:
            history = [
                Transition(contact_id, None, state.state, state.since, 1, Actor("system"),
                           "first touch")
            ]  # fmt: skip
        return LeadView(
            contact_id=contact_id,
            state=state.state,
            cycle=state.cycle,
            since=state.since,
            history=tuple(history),
            qualifications=tuple(self.store.qualifications(workspace_id, contact_id)),
        )

    def list(
        self, workspace_id: int, state: str | None = None, limit: int = 100
    ) -> list[LeadState]:
        return self.store.states(workspace_id, state, limit)

    def _user_actor(self, workspace_id: int, email: str | None, action: str) -> Actor:
        if not email:
            raise ValidationError(f"`{action}` needs the acting user: pass --as EMAIL")
        user = self.users.by_email(workspace_id, email)
        if action != "recycle" and user.role not in SALES_ROLES:
            raise ForbiddenError(
                f"{user.email} has the {user.role} role; only sales or admin users may {action} "
                "leads",
                action=action,
            )
        return Actor("user", user.email)

    def _reason(self, action: str, reason: str | None) -> str | None:
        if action != "reject":
            return reason
        allowed = {r.casefold(): r for r in self.reject_reasons}
        if reason is None or reason.strip().casefold() not in allowed:
            raise InvalidChoiceError(
                f"rejecting a lead needs a reason from the configured list; got {reason!r}; "
                f"allowed: {', '.join(self.reject_reasons)}",
                reason=reason,
                allowed=list(self.reject_reasons),
            )
        return allowed[reason.strip().casefold()]


def move_lead(
    store: SqlLeadStore,
    conn: Connection,
    workspace_id: int,
    contact_id: int,
    target: str,
    *,
    actor: Actor,
    reason: str | None,
    at: datetime,
    on_response: Sequence[ResponseHook] = (),
) -> bool:
    """Move a lead to ``target`` on the caller's connection, inside its transaction.

    Locks the lead row, does nothing when the lead is already there (idempotent) and
    recycles a lost lead at once; each step into accepted or rejected (implied ones too)
    runs the ``on_response`` hooks in the same transaction. Returns whether anything
    changed. This is what :meth:`LeadService.act` runs in its own transaction, and what a
    hook running inside another write transaction (the CRM sync's) calls, since SQLite has
    one writer.

    Raises:
        IllegalTransitionError: the lead's state does not allow the move.
    """
    current = store.lock(conn, workspace_id, contact_id)
    last = store.last_transition(conn, contact_id)
    if _already(current, last, target):
        return False
    steps = _steps(current, target, max(at, current.since), actor, reason)
    store.apply(conn, workspace_id, steps)
    for step in steps:
        if step.to_state in RESPONSES:
            for hook in on_response:
                hook(conn, workspace_id, step)
    return True


def _target(action: str) -> str:
    if action not in ACTIONS:
        raise ValidationError(f"unknown action {action!r}; allowed: {', '.join(ACTIONS)}")
    return ACTIONS[action]


def _steps(
    current: LeadState, target: str, at: datetime, actor: Actor, reason: str | None
) -> list[Transition]:
    """The move to ``target``, and on to ``recycled`` for the states recycled at once."""
    lead = current.contact_id
    steps = plan(lead, current.state, current.cycle, target, at=at, actor=actor, reason=reason)
    if target in AUTO_RECYCLED:
        steps += plan(
            lead, target, steps[-1].cycle, "recycled", at=at, actor=actor,
            reason=f"recycled into nurture after {target}",
        )  # fmt: skip
    return steps


def _already(current: LeadState, last: Transition | None, target: str) -> bool:
    """The lead is where this action puts it (for lost: just recycled from lost)."""
    if current.state == target:
        return True
    came_from = last.from_state if last is not None else None
    return target in AUTO_RECYCLED and current.state == "recycled" and came_from == target
