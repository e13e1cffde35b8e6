"""Replay recorded lead facts under a draft rule and under the active one, and compare.

A lead *would qualify* under a rule when any of its recorded fact snapshots meets it; the
report keeps the first snapshot that did, with its reasons, so marketing and sales can see
who a change lets in or keeps out before either of them signs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from leadloop.domain.facts import LeadFacts
from leadloop.domain.qualification import Qualification, evaluate
from leadloop.domain.rules import RuleSet


@dataclass(frozen=True, slots=True)
class ReplayRow:
    """One lead that qualifies under at least one of the two rules."""

    contact_id: int
    candidate: Qualification | None
    active: Qualification | None


@dataclass
class ReplayReport:
    candidate_version: int
    active_version: int | None
    leads: int = 0
    snapshots: int = 0
    newly: list[ReplayRow] = field(default_factory=list)
    no_longer: list[ReplayRow] = field(default_factory=list)
    both: list[ReplayRow] = field(default_factory=list)

    @property
    def candidate_total(self) -> int:
        return len(self.newly) + len(self.both)

    @property
    def active_total(self) -> int:
        return len(self.no_longer) + len(self.both)

    @property
    def delta(self) -> int:
        """How many more (positive) or fewer leads qualify under the candidate."""
        return self.candidate_total - self.active_total


def replay(
    candidate: RuleSet, active: RuleSet | None, history: Iterable[LeadFacts]
) -> ReplayReport:
    """Compare who qualifies under ``candidate`` and ``active`` over ``history``."""
    first: dict[int, list[Qualification | None]] = {}
    report = ReplayReport(candidate.version, None if active is None else active.version)
    for facts in sorted(history, key=lambda f: (f.contact_id, f.as_of)):
        report.snapshots += 1
        slot = first.setdefault(facts.contact_id, [None, None])
        for i, rules in enumerate((candidate, active)):
            if rules is not None and slot[i] is None:
                q = evaluate(rules, facts)
                slot[i] = q if q.qualified else None
    report.leads = len(first)
    for contact_id, (cand, act) in sorted(first.items()):
        row = ReplayRow(contact_id, cand, act)
        if cand is not None and act is not None:
            report.both.append(row)
        elif cand is not None:
            report.newly.append(row)
        elif act is not None:
            report.no_longer.append(row)
    return report
