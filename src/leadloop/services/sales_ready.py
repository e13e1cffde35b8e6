"""Closing the loop: a profile change → the sales-ready rule → a hand-off to sales.

:class:`SalesReadyFlow` is the profile updater's listener. After each committed profile
batch it reads the facts of the contacts that changed (only known ones have any), runs
``qualify`` under the active rule, and for every lead that became sales-ready builds the
hand-off request (reading history with catalog titles and links, the rule's sentences, a
fresh hot signal) and calls ``hand_off`` **inside the qualifying transaction**, so the state
change, the owner and the outbox rows commit together or not at all. After that commit it
rings the outbox bell, so this process's delivery worker claims the notification at once.

It runs in the profile worker's thread, never on the ingest path. On SQLite every write
here opens with ``BEGIN IMMEDIATE`` (``SqlLeadStore.write_connection``), so it queues
behind the group-commit writer and the delivery worker instead of failing on a lock
upgrade. A contact whose qualification failed (a lock timeout, a bug) is retried with the
workspace's next batch rather than forgotten.

:meth:`SalesReadyFlow.response_hook` is the other direction: registered on
:class:`~leadloop.services.leads.LeadService`, it stops the hand-off's service-level clock
in the same transaction as sales' accept or reject.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import groupby

from sqlalchemy import Connection, Engine

from leadloop.domain.content import ContentItem
from leadloop.domain.facts import LeadFacts
from leadloop.domain.handoff import HandOffRequest
from leadloop.domain.lead_context import is_hot, lead_context
from leadloop.domain.lifecycle import Transition
from leadloop.domain.profile import ProfileConfig
from leadloop.domain.qualification import FactsSource, evaluate
from leadloop.domain.rules import RuleSet
from leadloop.errors import NotFoundError
from leadloop.services.handoff import HandOffConfig, hand_off, mark_responded
from leadloop.services.handoff.wakeup import OUTBOX_BELL, Bell
from leadloop.services.qualify import QUALIFIABLE, QualifyResult, SalesReadyLead, qualify
from leadloop.services.rules import RuleBook
from leadloop.store import handoffs
from leadloop.store.content import read_content_items
from leadloop.store.engine import utcnow
from leadloop.store.lead_facts import lead_party, lead_states_of
from leadloop.store.leads import SqlLeadStore

logger = logging.getLogger(__name__)


@dataclass
class ReplayQualified:
    """What qualifying a workspace's recorded history did."""

    contacts: int = 0
    engaged: int = 0
    sales_ready: list[QualifyResult] = field(default_factory=list)


class SalesReadyFlow:
    """Qualifies changed contacts under the active rule and hands the sales-ready to sales."""

    def __init__(
        self,
        engine: Engine,
        lead_store: SqlLeadStore,
        rulebook: RuleBook,
        facts: FactsSource,
        handoff_config: HandOffConfig,
        profile_config: ProfileConfig,
        bell: Bell = OUTBOX_BELL,
    ) -> None:
        self.engine = engine
        self.lead_store = lead_store
        self.rulebook = rulebook
        self.facts = facts
        self.handoff_config = handoff_config
        self.profile_config = profile_config
        self.bell = bell
        self._lock = threading.Lock()
        self._retry: dict[int, set[int]] = {}
        self._idle: set[int] = set()

    def on_profiles_changed(self, workspace_id: int, contact_ids: Sequence[int]) -> None:
        """The profile updater's listener: qualify these contacts as of now."""
        with self._lock:
            wanted = sorted(self._retry.pop(workspace_id, set()) | set(contact_ids))
        rules = self.active_rules(workspace_id)
        if rules is None or not wanted:
            return
        try:
            facts = self.facts.facts_for(workspace_id, wanted, utcnow())
        except Exception as exc:  # keep them for the next batch; never lose a lead
            self._failed(workspace_id, wanted, exc)
            return
        self.qualify(workspace_id, facts, rules)

    def active_rules(self, workspace_id: int) -> RuleSet | None:
        """The rule in force, or None (logged once until one becomes active)."""
        try:
            rules = self.rulebook.active_rules(workspace_id)
        except NotFoundError:
            if workspace_id not in self._idle:
                self._idle.add(workspace_id)
                fields = {"workspace_id": workspace_id}
                logger.info("sales_ready.no_active_rule", extra={"fields": fields})
            return None
        self._idle.discard(workspace_id)
        return rules

    def qualify(
        self,
        workspace_id: int,
        facts: Iterable[LeadFacts],
        rules: RuleSet,
        *,
        now: datetime | None = None,
        content: Mapping[str, ContentItem] | None = None,
    ) -> list[QualifyResult]:
        """``qualify`` each lead in its own transaction, with the hand-off as its hook."""
        movable = self._movable(workspace_id, list(facts), rules)
        if not movable:
            return []
        if content is None:
            content = read_content_items(self.engine, workspace_id)
        hook = partial(self.hand_off, content)
        out: list[QualifyResult] = []
        for f in movable:
            try:
                results = qualify(
                    self.lead_store, workspace_id, [f], rules, on_sales_ready=[hook], now=now
                )
            except Exception as exc:  # one bad lead must not stop the others
                self._failed(workspace_id, [f.contact_id], exc)
                continue
            if any(r.moved for r in results):
                self.bell.ring()  # committed: this process's delivery worker claims it now
            out += results
        return out

    def _movable(
        self, workspace_id: int, facts: list[LeadFacts], rules: RuleSet
    ) -> list[LeadFacts]:
        """Leave out, with one read for all, the leads no move can come of (most of a busy
        batch: engaged readers who still do not qualify); ``qualify`` re-checks under lock."""
        with self.engine.connect() as conn:
            states = lead_states_of(conn, workspace_id, [f.contact_id for f in facts])
        return [f for f in facts if _may_move(states.get(f.contact_id), f, rules)]

    def hand_off(
        self, content: Mapping[str, ContentItem], conn: Connection, lead: SalesReadyLead
    ) -> None:
        """The ``on_sales_ready`` hook: assign, store and enqueue, in the caller's transaction."""
        request = hand_off_request(conn, lead, content, self.profile_config)
        hand_off(conn, request, self.handoff_config, now=lead.qualification.qualified_at)

    def replay(self, workspace_id: int, rules: RuleSet) -> ReplayQualified:
        """Qualify every known contact at the first recorded moment it met ``rules``.

        For a store loaded with history (an import, the demo): a contact that consumed
        content becomes ``engaged`` at its first snapshot and ``sales_ready`` at its first
        qualifying one, so nurture periods and conversion are those of the recorded history.
        """
        report = ReplayQualified()
        content = read_content_items(self.engine, workspace_id)
        for steps in _first_moves(self.facts.history(workspace_id), rules):
            report.contacts += 1
            for result in self.qualify(workspace_id, steps, rules, content=content):
                report.engaged += result.state == "engaged"
                if result.moved:
                    report.sales_ready.append(result)
        return report

    def response_hook(self, conn: Connection, workspace_id: int, step: Transition) -> None:
        """Sales answered (a move into accepted or rejected): stop the hand-off's clock."""
        if handoffs.find(conn, workspace_id, step.contact_id, step.cycle) is None:
            return  # qualified without a hand-off (e.g. before hand-offs were wired)
        mark_responded(conn, step.contact_id, step.cycle, step.to_state, step.at)

    def _failed(self, workspace_id: int, contact_ids: Sequence[int], exc: Exception) -> None:
        with self._lock:
            self._retry.setdefault(workspace_id, set()).update(contact_ids)
        logger.warning(
            "sales_ready.failed",
            extra={"fields": {"workspace_id": workspace_id, "contacts": len(contact_ids),
                              "error": f"{exc.__class__.__name__}: {str(exc)[:200]}"}},
        )  # fmt: skip


def _may_move(state: tuple[str, datetime] | None, facts: LeadFacts, rules: RuleSet) -> bool:
    """Could ``qualify`` move this lead? (No lifecycle row yet: let it decide.)"""
    if state is None:
        return True
    current, since = state
    if current in QUALIFIABLE and evaluate(rules, facts).qualified:
        return True
    if current == "known":
        return bool(facts.engagements)
    return current == "recycled" and any(e.at > since for e in facts.engagements)


def _first_moves(history: Iterable[LeadFacts], rules: RuleSet) -> Iterable[list[LeadFacts]]:
    """Per contact: its first snapshot, and its first qualifying one when later.

    A source yields each contact's snapshots together; were they not, a contact would just
    be qualified twice, which changes nothing the second time.
    """
    for _, group in groupby(history, key=lambda f: f.contact_id):
        snapshots = sorted(group, key=lambda f: f.as_of)
        hit = next((f for f in snapshots if evaluate(rules, f).qualified), None)
        yield [snapshots[0]] if hit is None or hit is snapshots[0] else [snapshots[0], hit]


def hand_off_request(
    conn: Connection,
    lead: SalesReadyLead,
    content: Mapping[str, ContentItem],
    cfg: ProfileConfig,
) -> HandOffRequest:
    """The request ``hand_off`` takes, from the qualified lead and the directory."""
    party = lead_party(conn, lead.workspace_id, lead.contact_id)
    q = lead.qualification
    return HandOffRequest(
        workspace_id=lead.workspace_id,
        contact_id=lead.contact_id,
        cycle=lead.cycle,
        reasons=tuple(q.reasons),
        rule_version=f"v{q.rule_version}",
        lead=lead_context(lead.facts, party, content),
        hot=is_hot(lead.facts, cfg.hot_window_days),
        qualified_at=q.qualified_at,
    )
