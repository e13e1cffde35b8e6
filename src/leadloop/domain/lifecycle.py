"""The lead lifecycle as a state machine: the allowed moves are written once, as data.

    anonymous → known → engaged → sales_ready → accepted → opportunity → won
                                             ↘ rejected ↘ recycled     ↘ lost → recycled
    recycled → engaged | sales_ready   (a new cycle; everything consumed is kept)

A move that skips states (a known contact reading the coverage map qualifies at once) is
stored as the chain of *implied* one-step transitions, at the same instant, so the stored
history never skips a stage. Only rules and the CRM may imply steps; a person's action is
always exactly one step. Entering ``recycled`` starts the next cycle.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Final

from leadloop.domain.stages import LIFECYCLE_STATES
from leadloop.errors import IllegalTransitionError

TRANSITIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "anonymous": ("known",),
        "known": ("engaged",),
        "engaged": ("sales_ready",),
        "sales_ready": ("accepted", "rejected"),
        "accepted": ("opportunity", "recycled"),
        "rejected": ("recycled",),
        "opportunity": ("won", "lost"),
        "won": (),
        "lost": ("recycled",),
        "recycled": ("engaged", "sales_ready"),
    }
)
"""Every allowed one-step move; anything else raises :class:`IllegalTransitionError`."""

ACTOR_KINDS: Final = ("rule", "user", "crm", "system")
IMPLYING_ACTORS: Final = ("rule", "crm", "system")
"""Actors whose move may stand for several steps (recorded one by one)."""

FUNNEL: Final = ("known", "engaged", "sales_ready", "accepted", "opportunity", "won")
"""The forward path the conversion measures follow."""

MARKETING_STAGES: Final = ("engaged", "sales_ready")
"""The stages marketing is measured on: reached by what a lead read (a rule) or a person's
call. When a deal appears in the CRM first, the CRM's implied steps pass through them too."""

SALES_SOURCING_ACTOR: Final = "crm"
"""The actor whose steps into :data:`MARKETING_STAGES` mark a sales-sourced lead."""


def counts_for_marketing(to_state: str, actor_kind: str) -> bool:
    """False for the CRM's steps into marketing's stages (a sales-sourced lead).

    Counting them would credit marketing with leads it never qualified: engaged →
    sales_ready conversion and the nurture period would rise with every deal sales opened
    on its own.
    """
    return not (actor_kind == SALES_SOURCING_ACTOR and to_state in MARKETING_STAGES)


assert set(TRANSITIONS) == set(LIFECYCLE_STATES)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who moved a lead: a rule version, a user (e-mail), the CRM or the system."""

    kind: str
    id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"unknown actor kind {self.kind!r}; allowed: {', '.join(ACTOR_KINDS)}")


@dataclass(frozen=True, slots=True)
class Transition:
    """One stored step of one lead's history."""

    contact_id: int
    from_state: str | None
    to_state: str
    at: datetime
    cycle: int
    actor: Actor
    reason: str | None = None
    rule_version: int | None = None


def allowed(state: str) -> tuple[str, ...]:
    """The states ``state`` may move to in one step."""
    return TRANSITIONS[state]


def path(contact_id: int, state: str, target: str, *, implied: bool) -> list[str]:
    """The states a lead passes through from ``state`` to ``target`` (``target`` last).

    Raises:
        IllegalTransitionError: no path, or more than one step when ``implied`` is False.
    """
    if state not in TRANSITIONS or target not in TRANSITIONS:
        bad = state if state not in TRANSITIONS else target
        raise IllegalTransitionError(
            f"lead {contact_id}: unknown state {bad!r}; allowed: {', '.join(LIFECYCLE_STATES)}",
            contact_id=contact_id,
        )
    if target in TRANSITIONS[state]:
        return [target]
    route = _shortest(state, target) if implied else None
    if route is None:
        options = ", ".join(TRANSITIONS[state]) or "none (final state)"
        raise IllegalTransitionError(
            f"lead {contact_id} cannot go from {state} to {target}; allowed: {options}",
            contact_id=contact_id,
            from_state=state,
            to_state=target,
            allowed=list(TRANSITIONS[state]),
        )
    return route


def _shortest(state: str, target: str) -> list[str] | None:
    """Breadth-first search over forward moves, never through ``recycled`` (a new cycle)."""
    queue: deque[list[str]] = deque([[state]])
    seen = {state}
    while queue:
        route = queue.popleft()
        for nxt in TRANSITIONS[route[-1]]:
            if nxt == target:
                return [*route[1:], nxt]
            if nxt not in seen and nxt != "recycled":
                seen.add(nxt)
                queue.append([*route, nxt])
    return None


def plan(
    contact_id: int,
    state: str,
    cycle: int,
    target: str,
    *,
    at: datetime,
    actor: Actor,
    reason: str | None = None,
    rule_version: int | None = None,
) -> list[Transition]:
    """The transitions that move a lead from ``state`` to ``target``, implied steps included."""
    route = path(contact_id, state, target, implied=actor.kind in IMPLYING_ACTORS)
    steps: list[Transition] = []
    current = state
    for nxt in route:
        cycle = cycle + 1 if nxt == "recycled" else cycle
        last = nxt == target
        steps.append(
            Transition(
                contact_id=contact_id,
                from_state=current,
                to_state=nxt,
                at=at,
                cycle=cycle,
                actor=actor,
                reason=reason if last else f"implied on the way to {target}",
                rule_version=rule_version,
            )
        )
        current = nxt
    return steps


def check_history(transitions: list[Transition]) -> None:
    """Raise when a lead's stored history (in order) contains a move the table refuses."""
    previous: Transition | None = None
    for t in transitions:
        if previous is not None and t.from_state != previous.to_state:
            raise IllegalTransitionError(
                f"lead {t.contact_id}: history jumps from {previous.to_state} to {t.from_state}",
                contact_id=t.contact_id,
            )
        if t.from_state is not None and t.to_state not in TRANSITIONS[t.from_state]:
            path(t.contact_id, t.from_state, t.to_state, implied=False)
        previous = t
