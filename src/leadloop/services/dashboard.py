"""What the web dashboard shows, read through the same services as the CLI's reports.

One page for marketing and sales together: leads by lifecycle stage, conversion and
nurture period per quarter, CPOD and pipeline per quarter, the content that influenced
revenue, the leads handed to sales with why each qualified, and each rep's service level.
A lead page shows one lead as a sales rep needs it: what it read, why it qualified, its
lifecycle history. Nothing here computes a figure of its own: every number comes from the
function that also feeds ``leadloop report``, ``leadloop lead show`` or the API.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Engine

from leadloop.analytics.reports import Filters, Report
from leadloop.analytics.run import build_report
from leadloop.analytics.warehouse import open_warehouse
from leadloop.domain.facts import LeadFacts
from leadloop.domain.handoff import ReadingItem
from leadloop.domain.lead_context import Party, reading_history, top_interests
from leadloop.domain.profile import ProfileConfig
from leadloop.domain.qualification import FactsSource
from leadloop.services.content_influence import InfluenceRow, influence_report
from leadloop.services.funnel import FunnelReport, funnel_report
from leadloop.services.leads import LeadService, LeadView, available_actions
from leadloop.services.profile_overview import Overview, overview
from leadloop.store import handoffs
from leadloop.store.content import read_content_items
from leadloop.store.engine import utcnow
from leadloop.store.handed_over import HandedOver, HandOverCounts, hand_over_counts
from leadloop.store.handed_over import top_handed_over as top_handed
from leadloop.store.lead_facts import lead_party
from leadloop.store.leads import SqlLeadStore
from leadloop.store.summary import Summary, latest_event_at, lead_state_counts, workspace_summary

TOP = 10
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the overview page draws, as of one moment."""

    as_of: datetime
    summary: Summary
    lead_states: dict[str, int]
    profiles: Overview
    funnel: FunnelReport
    cpod: Report
    pipeline: Report
    revenue: Report
    influence: list[InfluenceRow]
    handed: list[HandedOver]
    handed_counts: HandOverCounts
    service_levels: list[handoffs.RepServiceLevel]


@dataclass(frozen=True, slots=True)
class LeadPage:
    """One lead as a sales rep reads it."""

    contact_id: int
    party: Party
    facts: LeadFacts | None
    reading: tuple[ReadingItem, ...]
    interests: tuple[str, ...]
    lead: LeadView
    actions: tuple[str, ...] = ()
    """The sales actions the lead's state allows now."""
    reject_reasons: tuple[str, ...] = ()


def as_of(engine: Engine, workspace_id: int) -> datetime:
    """Now, or the latest event when the store holds only an older loaded history (the
    demo), so that decayed weights read as they did when the history was recorded."""
    now = utcnow()
    latest = latest_event_at(engine, workspace_id)
    return min(now, latest) if latest is not None else now


def dashboard(
    engine: Engine,
    lead_store: SqlLeadStore,
    profile_config: ProfileConfig,
    workspace_id: int,
    *,
    grain: str = "quarter",
    report_ttl_s: float = 0.0,
) -> Dashboard:
    """Gather the overview page; the revenue reports run on DuckDB over the store and are
    kept ``report_ttl_s`` seconds (reading the warehouse takes seconds on a real store)."""
    when = as_of(engine, workspace_id)
    cpod, pipeline, revenue = _REPORTS.get(
        engine, (workspace_id, grain), report_ttl_s,
        lambda: _revenue_reports(engine, workspace_id, grain),
    )  # fmt: skip
    influence = influence_report(engine, workspace_id)  # all time, largest first
    return Dashboard(
        as_of=when,
        summary=workspace_summary(engine, workspace_id),
        lead_states=lead_state_counts(engine, workspace_id),
        profiles=overview(engine, workspace_id, profile_config, when, top=TOP),
        funnel=funnel_report(lead_store, workspace_id, grain),
        cpod=cpod,
        pipeline=pipeline,
        revenue=revenue,
        influence=influence[:TOP],
        handed=top_handed(engine, workspace_id, TOP),
        handed_counts=hand_over_counts(engine, workspace_id),
        service_levels=handoffs.report(engine, workspace_id),
    )


def _revenue_reports(engine: Engine, workspace_id: int, grain: str) -> tuple[Report, ...]:
    wh = open_warehouse("duckdb", engine, workspace_id)
    try:
        filters = Filters(grain=grain)
        return tuple(build_report(wh, name, filters) for name in ("cpod", "pipeline", "revenue"))
    finally:
        wh.close()


class _TimedCache:
    """Values kept for a while per store (engine) and key; one builder at a time per key,
    the others wait for it. Held weakly by engine, so a disposed store's entries go too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stores: weakref.WeakKeyDictionary[Engine, dict[Hashable, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, engine: Engine, key: Hashable, ttl_s: float, build: Callable[[], T]) -> T:
        if ttl_s <= 0:
            return build()
        with self._lock:
            entries = self._stores.setdefault(engine, {})
            lock = entries.setdefault(("lock", key), threading.Lock())
        with lock:
            found = entries.get(("value", key))
            if found is not None and time.monotonic() - found[0] < ttl_s:
                return cast(T, found[1])
            value = build()
            entries[("value", key)] = (time.monotonic(), value)
            return value


_REPORTS = _TimedCache()


def lead_page(
    engine: Engine, facts: FactsSource, leads: LeadService, workspace_id: int, contact_id: int
) -> LeadPage:
    """The lead's party, whole reading history and lifecycle (NotFoundError when unknown)."""
    view = leads.show(workspace_id, contact_id)
    with engine.connect() as conn:
        party = lead_party(conn, workspace_id, contact_id)
    found = facts.facts_for(workspace_id, [contact_id], as_of(engine, workspace_id))
    lead_facts = found[0] if found else None
    content = read_content_items(engine, workspace_id)
    reading: tuple[ReadingItem, ...] = ()
    interests: tuple[str, ...] = ()
    if lead_facts is not None:
        reading = reading_history(lead_facts, content, limit=len(lead_facts.engagements))
        interests = top_interests(lead_facts)
    return LeadPage(contact_id, party, lead_facts, reading, interests, view,
                    available_actions(view.state), leads.reject_reasons)  # fmt: skip
