"""Who owns a sales-ready lead: round-robin, territory rules, or the account's owner.

A workspace's :class:`AssignmentPolicy` lists strategies in the order they are tried; the
first one that names an active rep wins, so "account owner, else territory, else
round-robin" is one policy. Everything here is pure and deterministic: round-robin keeps
its position as a cursor (the last rep it picked, per pool) that the store persists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

STRATEGIES: Final = ("account_owner", "territory", "round_robin")
"""The assignment strategies a policy may list, in any order."""

MATCH_FIELDS: Final = ("segment", "region", "persona")
"""What a territory rule may match on (the account's segment and region, the persona)."""

ALL_REPS: Final = "*"
"""The round-robin pool of every active rep (territory pools are named by their rule)."""


@dataclass(frozen=True, slots=True)
class SalesRep:
    """A person sales-ready leads are handed to; ``manager_id`` is whom SLA breaches reach."""

    id: int
    name: str
    email: str
    manager_id: int | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class TerritoryRule:
    """Leads matching every given field (case-insensitive) go to ``reps`` in rotation."""

    name: str
    reps: tuple[str, ...]
    """Rep e-mails; resolved to ids by the store."""
    match: Mapping[str, str] = field(default_factory=dict)

    def matches(self, spot: LeadSpot) -> bool:
        return all(
            (getattr(spot, key) or "").strip().lower() == value.strip().lower()
            for key, value in self.match.items()
        )


@dataclass(frozen=True, slots=True)
class AssignmentPolicy:
    """A workspace's assignment settings; the default is plain round-robin."""

    strategies: tuple[str, ...] = ("round_robin",)
    territories: tuple[TerritoryRule, ...] = ()


@dataclass(frozen=True, slots=True)
class LeadSpot:
    """The facts assignment looks at: where the lead sits, and its account's owner."""

    segment: str | None = None
    region: str | None = None
    persona: str | None = None
    account_owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """The chosen rep, why, and the round-robin cursor to store (pool, last rep id)."""

    rep_id: int
    strategy: str
    reason: str
    cursor: tuple[str, int] | None = None


class NoRepError(Exception):
    """No active rep can take the lead (the caller maps this to a Leadloop error)."""


def next_in_rotation(pool: Sequence[int], last: int | None) -> int:
    """The rep after ``last`` in id order, wrapping around; fair over any sequence.

    >>> next_in_rotation([3, 5, 9], 5)
    9
    >>> next_in_rotation([3, 5, 9], 9)
    3
    >>> next_in_rotation([3, 5, 9], None)
    3
    """
    ordered = sorted(set(pool))
    if not ordered:
        raise NoRepError("the rotation has no active rep")
    later = [rep for rep in ordered if last is not None and rep > last]
    return later[0] if later else ordered[0]


def assign(
    policy: AssignmentPolicy,
    reps: Sequence[SalesRep],
    spot: LeadSpot,
    cursors: Mapping[str, int],
    rep_ids: Mapping[str, int] | None = None,
) -> Assignment:
    """Choose the owner of one lead; never an inactive rep.

    Args:
        cursors: the last rep picked per round-robin pool.
        rep_ids: rep e-mail (lower case) to id, for territory rules.

    Raises:
        NoRepError: when no strategy yields an active rep.
    """
    active = {rep.id for rep in reps if rep.active}
    emails = rep_ids if rep_ids is not None else {r.email.lower(): r.id for r in reps}
    for strategy in policy.strategies:
        found = _try(strategy, policy, active, spot, cursors, emails)
        if found is not None:
            return found
    raise NoRepError(
        f"no active sales rep can take this lead (strategies tried: "
        f"{', '.join(policy.strategies)}); add one with `leadloop rep add EMAIL`"
    )


def _try(
    strategy: str,
    policy: AssignmentPolicy,
    active: set[int],
    spot: LeadSpot,
    cursors: Mapping[str, int],
    emails: Mapping[str, int],
) -> Assignment | None:
    if strategy == "account_owner":
        if spot.account_owner_id is not None and spot.account_owner_id in active:
            return Assignment(spot.account_owner_id, strategy, "owner of the lead's account")
        return None
    if strategy == "territory":
        return _territory(policy.territories, active, spot, cursors, emails)
    if not active:
        return None
    rep = next_in_rotation(sorted(active), cursors.get(ALL_REPS))
    return Assignment(rep, strategy, "round-robin over all active reps", (ALL_REPS, rep))


def _territory(
    rules: Sequence[TerritoryRule],
    active: set[int],
    spot: LeadSpot,
    cursors: Mapping[str, int],
    emails: Mapping[str, int],
) -> Assignment | None:
    """The first matching rule with an active rep wins; its reps take turns."""
    for rule in rules:
        if not rule.matches(spot):
            continue
        pool = [emails[e.lower()] for e in rule.reps if emails.get(e.lower()) in active]
        if not pool:
            continue
        pool_key = f"territory:{rule.name}"
        rep = next_in_rotation(pool, cursors.get(pool_key))
        return Assignment(rep, "territory", f"territory rule {rule.name!r}", (pool_key, rep))
    return None


def parse_policy(data: Mapping[str, Any] | None) -> AssignmentPolicy:
    """Validate a policy document (already parsed from YAML or JSON).

    >>> parse_policy({"strategies": ["territory", "round_robin"],
    ...     "territories": [{"name": "emea", "match": {"region": "EMEA"},
    ...                      "reps": ["ana@x.example"]}]}).strategies
    ('territory', 'round_robin')

    Raises:
        ValueError: saying which entry is wrong and what is allowed.
    """
    if not data:
        return AssignmentPolicy()
    if not isinstance(data, Mapping):
        raise ValueError("the assignment policy must be a mapping with `strategies`")
    unknown = set(data) - {"strategies", "territories"}
    if unknown:
        raise ValueError(f"unknown policy keys {sorted(unknown)}; allowed: strategies, territories")
    strategies = tuple(data.get("strategies") or ("round_robin",))
    for name in strategies:
        if name not in STRATEGIES:
            raise ValueError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGIES)}")
    rules = tuple(_rule(i, r) for i, r in enumerate(data.get("territories") or ()))
    if "territory" in strategies and not rules:
        raise ValueError("strategy `territory` needs at least one entry under `territories`")
    return AssignmentPolicy(strategies, rules)


def _rule(index: int, raw: Any) -> TerritoryRule:
    where = f"territories[{index}]"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping with name, match and reps")
    match = raw.get("match") or {}
    if not isinstance(match, Mapping) or set(match) - set(MATCH_FIELDS):
        raise ValueError(f"{where}.match may only use {', '.join(MATCH_FIELDS)}")
    reps = raw.get("reps")
    if not reps or not isinstance(reps, list) or not all(isinstance(r, str) for r in reps):
        raise ValueError(f"{where}.reps must be a non-empty list of rep e-mails")
    name = str(raw.get("name") or f"rule-{index + 1}")
    return TerritoryRule(name, tuple(reps), {str(k): str(v) for k, v in match.items()})
