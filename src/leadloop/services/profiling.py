"""The incremental profile updater: folds new events into profile state, in id order.

Each workspace has a cursor (the last ``events.id`` folded). A batch reads the events after
it, folds them into the per (identity, asset) states, recomputes the profile rows of the
contacts it touched and moves the cursor, all in one transaction: every event is folded
exactly once, whoever runs the updater (``profiles update``, the server's background thread,
the demo) and however often.

Why id order is safe: ingest writers of one workspace are serialised (PostgreSQL: an
advisory lock held from the first insert to commit; SQLite: ``BEGIN IMMEDIATE``), so a later
commit of the same workspace always carries larger ids; a reader therefore always sees a
prefix of the workspace's ids and never skips an id that commits later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from leadloop.domain.consumption import (
    AssetState,
    Observation,
    epoch_ms,
    fold,
    from_ms,
    observe,
)
from leadloop.domain.content import ContentItem, url_key
from leadloop.domain.profile import ProfileConfig, build_profile
from leadloop.services.gc_tuning import fewer_collections
from leadloop.store.content import read_content_items
from leadloop.store.engine import is_sqlite
from leadloop.store.profile_reads import contact_states
from leadloop.store.profile_state import EventRow, ProfileRow
from leadloop.store.profile_state_pg import profile_state_store
from leadloop.store.tables import workspaces

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Tagged content of a workspace and the url → asset look-up page views need."""

    items: Mapping[str, ContentItem]
    by_url: Mapping[str, str]

    def asset_for_url(self, url: str) -> str | None:
        return self.by_url.get(url_key(url))


def load_catalog(engine: Engine, workspace_id: int) -> Catalog:
    items = read_content_items(engine, workspace_id)
    return Catalog(items, {url_key(i.url): a for a, i in items.items()})


def observations(rows: Iterable[EventRow], catalog: Catalog) -> list[Observation]:
    """What each stored event says about an asset (events about none are skipped)."""
    out = []
    for r in rows:
        try:
            payload = orjson.loads(r.payload_json)
        except orjson.JSONDecodeError:
            continue
        props = payload.get("properties") if isinstance(payload, dict) else None
        obs = observe(
            r.id, r.identity_id, r.type, r.event, r.timestamp, props, catalog.asset_for_url
        )
        if obs is not None:
            out.append(obs)
    return out


def profile_row(
    contact_id: int,
    items: Sequence[tuple[str, AssetState]],
    catalog: Catalog,
    cfg: ProfileConfig,
) -> ProfileRow:
    """The list-filterable values of one contact's profile.

    Computed as of the contact's latest engagement, so the row is a pure function of the
    states; the values kept do not depend on the as-of time (docs/profiling.md).
    """
    if not items:
        return ProfileRow(contact_id, None, None, None, (), None, None, 0)
    as_of = from_ms(max(s.last_at_ms for _, s in items))
    p = build_profile([(a, s, None) for a, s in items], catalog.items, as_of, cfg, explained=False)
    return ProfileRow(
        contact_id=contact_id,
        buying_stage=p.buying_stage,
        persona=p.persona,
        segment=p.segment,
        interests=tuple(t for t, _ in p.interests),
        weight_log2=p.weight_log2,
        last_hot_at_ms=epoch_ms(p.last_hot_at) if p.last_hot_at else None,
        assets=len(p.evidence),
    )


@dataclass(frozen=True, slots=True)
class UpdateReport:
    events: int
    observations: int
    contacts: int
    cursor: int
    seconds: float


class ProfileUpdater:
    """Folds a workspace's new events into its profiles, one transaction per batch."""

    def __init__(
        self,
        engine: Engine,
        config: ProfileConfig,
        *,
        batch_events: int = 2000,
        max_batch_events: int | None = None,
        sqlite_yield: float = 0.0,
        sqlite_max_batch_events: int | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.batch_events = batch_events
        self.max_batch_events = max(batch_events, max_batch_events or batch_events)
        self.store = profile_state_store(engine)
        sqlite = is_sqlite(engine)
        self.yield_share = sqlite_yield if sqlite else 0.0
        if sqlite and sqlite_max_batch_events:
            self.max_batch_events = max(batch_events, min(self.max_batch_events,
                                                          sqlite_max_batch_events))  # fmt: skip
        self._listeners: list[Callable[[int, Sequence[int]], None]] = []

    def add_listener(self, listener: Callable[[int, Sequence[int]], None]) -> None:
        """Call ``listener(workspace_id, contact_ids)`` after each committed batch, with the
        contacts whose profiles it changed (the hook for real-time sales-ready checks)."""
        self._listeners.append(listener)

    def _notify(self, workspace_id: int, contact_ids: Sequence[int]) -> None:
        for listener in self._listeners:
            try:
                listener(workspace_id, contact_ids)
            except Exception:  # a listener must not undo a committed batch
                logger.exception("profiles.listener_failed")

    def _begin(self) -> Any:
        conn = self.engine.connect()
        conn.execution_options(sqlite_immediate=True)
        return conn

    def pending(self, workspace_id: int) -> int:
        with self.engine.connect() as conn:
            return self.store.pending(conn, workspace_id, self.store.cursor(conn, workspace_id))

    def update_batch(
        self, workspace_id: int, catalog: Catalog | None = None, limit: int | None = None
    ) -> UpdateReport:
        """Fold the next batch of events after the cursor (nothing to do: events == 0)."""
        started = time.perf_counter()
        if self.store.probe_before_lock:
            with self.engine.connect() as conn:  # no write lock while there is nothing to do
                after = self.store.cursor(conn, workspace_id)
                if not self.store.events_after(conn, workspace_id, after, 1):
                    return UpdateReport(0, 0, 0, after, time.perf_counter() - started)
        catalog = catalog or load_catalog(self.engine, workspace_id)
        with fewer_collections(), self._begin() as conn, conn.begin():
            self.store.lock(conn, workspace_id)
            after = self.store.cursor(conn, workspace_id)
            rows = self.store.events_after(conn, workspace_id, after, limit or self.batch_events)
            if not rows:
                return UpdateReport(0, 0, 0, after, time.perf_counter() - started)
            obs = observations(rows, catalog)
            self._fold(conn, workspace_id, obs)
            touched = self.store.contacts_of(conn, workspace_id, {r.identity_id for r in rows})
            self.refresh(conn, workspace_id, sorted(touched), catalog)
            self.store.set_cursor(conn, workspace_id, rows[-1].id)
        self._notify(workspace_id, sorted(touched))
        return UpdateReport(
            len(rows), len(obs), len(touched), rows[-1].id, time.perf_counter() - started
        )

    def _fold(self, conn: Connection, workspace_id: int, obs: list[Observation]) -> None:
        deltas = fold(obs)
        held = self.store.load_states(conn, workspace_id, deltas)
        merged = {k: (held[k].combine(d) if k in held else d) for k, d in deltas.items()}
        self.store.save_states(conn, workspace_id, merged)

    def refresh(
        self, conn: Connection, workspace_id: int, contact_ids: Sequence[int], catalog: Catalog
    ) -> None:
        """Recompute the profile rows of these contacts from their identities' states."""
        by_contact = contact_states(conn, workspace_id, contact_ids)
        rows = [profile_row(c, items, catalog, self.config) for c, items in by_contact.items()]
        self.store.write_profiles(conn, workspace_id, rows)
        self.store.drop_merged(conn, workspace_id, contact_ids)

    def catch_up(
        self,
        workspace_id: int,
        progress: Callable[[UpdateReport], None] | None = None,
        *,
        batch_events: int | None = None,
        stop: threading.Event | None = None,
    ) -> UpdateReport:
        """Fold every event after the cursor (or until ``stop`` is set); returns the totals.

        Larger batches refresh each contact less often (a bulk catch-up from the CLI); the
        server starts with short transactions beside the ingest writer, and while batches
        come back full (a backlog) each next one is twice as large, up to
        ``max_batch_events``, so a backlog shrinks instead of growing.
        """
        started = time.perf_counter()
        catalog = load_catalog(self.engine, workspace_id)
        n_events = n_obs = n_contacts = 0
        cursor = 0
        limit = batch_events or self.batch_events
        cap = max(limit, self.max_batch_events)
        while True:
            report = self.update_batch(workspace_id, catalog, limit)
            cursor = report.cursor
            if not report.events:
                break
            n_events += report.events
            n_obs += report.observations
            n_contacts += report.contacts
            if progress is not None:
                progress(report)
            if report.events < limit:
                break  # that was all there was; later commits notify the worker again
            limit = min(cap, 2 * limit)
            # The server's worker (it passes ``stop``) leaves SQLite's one write lock free
            # after each batch of a backlog: a waiting writer polls for it (up to 100 ms
            # apart), so back-to-back batches would starve the ingest writer for as long as
            # the backlog lasts. A catch-up from the command line runs at full speed.
            if stop is not None and stop.wait(report.seconds * self.yield_share):
                break
        total = UpdateReport(n_events, n_obs, n_contacts, cursor, time.perf_counter() - started)
        if n_events:
            logger.info(
                "profiles.updated",
                extra={"fields": {"workspace_id": workspace_id, "events": n_events,
                                  "contacts": n_contacts, "cursor": cursor}},
            )  # fmt: skip
        return total

    def workspaces(self) -> list[int]:
        with self.engine.connect() as conn:
            return sorted(int(w) for w in conn.execute(select(workspaces.c.id)).scalars())
