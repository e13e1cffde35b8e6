"""Tag content as part of each sale, set-based per batch of queued opportunities.

The CRM hook (:mod:`leadloop.services.sale_loop`) queues every created or changed
opportunity inside the sync's own write transaction; :meth:`SaleContentTagger.tag_pending`
runs right after the sync or import (and from ``leadloop content tag-sales``). Reading is
done outside any write transaction (SQLite keeps one writer); each batch's tags are then
replaced and its queue rows removed in one short transaction, so a crash between the two
only leaves opportunities queued, and tagging twice gives the same rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from sqlalchemy import Connection, Engine

from leadloop.domain.consumption import DepthThresholds
from leadloop.domain.sale_content import ConsumedEvent, SaleConsumption, sale_window, tag_sale
from leadloop.store import sale_content as store
from leadloop.store.engine import utcnow

logger = logging.getLogger(__name__)


@dataclass
class TagReport:
    """What one tagging run did."""

    opportunities: int = 0
    tags: int = 0
    batches: int = 0
    queued: int = 0


class SaleContentTagger:
    """Computes ``sale_content`` for queued opportunities, ``batch_size`` at a time."""

    def __init__(
        self,
        engine: Engine,
        lookback_days: int,
        *,
        batch_size: int = 2000,
        now: Callable[[], datetime] = utcnow,
        thresholds: DepthThresholds | None = None,
    ) -> None:
        self.engine = engine
        self.lookback_days = lookback_days
        self.batch_size = batch_size
        self.now = now
        self.thresholds = thresholds or DepthThresholds()
        """Profiling's depth thresholds: a "deep read" is the same in profiles and sales."""

    def tag_pending(self, workspace_id: int) -> TagReport:
        """Tag every queued opportunity of the workspace; returns the counts."""
        report = TagReport()
        seen: set[tuple[int, datetime]] = set()
        while batch := self._pending(workspace_id):
            if seen.issuperset(batch):  # never loop on rows that would not leave the queue
                logger.warning("sale_content.queue_stuck", extra={"fields": {"rows": len(batch)}})
                break
            seen.update(batch)
            tags = self._compute(workspace_id, [i for i, _ in batch])
            with self._write() as conn:
                report.tags += store.replace_tags(conn, workspace_id, tags, batch, self.now())
            report.opportunities += len(batch)
            report.batches += 1
        logger.info(
            "sale_content.tagged",
            extra={"fields": {"workspace_id": workspace_id, "opportunities":
                              report.opportunities, "tags": report.tags}},
        )  # fmt: skip
        return report

    def rebuild(self, workspace_id: int) -> TagReport:
        """Queue every opportunity again and tag them all (after late events or a new lookback)."""
        with self._write() as conn:
            queued = store.queue_all(conn, workspace_id, self.now())
        report = self.tag_pending(workspace_id)
        report.queued = queued
        return report

    def _pending(self, workspace_id: int) -> list[tuple[int, datetime]]:
        with self.engine.connect() as conn:
            return store.pending(conn, workspace_id, self.batch_size)

    def _compute(self, workspace_id: int, ids: list[int]) -> dict[int, list[SaleConsumption]]:
        now = self.now()
        with self.engine.connect() as conn:
            subjects = store.read_subjects(conn, ids)
            windows = {
                s.opportunity_id: sale_window(s.status, s.close_date, now, self.lookback_days)
                for s in subjects
            }
            tags: dict[int, list[SaleConsumption]] = {i: [] for i in ids}
            if not any(s.relations for s in subjects):
                return tags
            span = (min(w[0] for w in windows.values()), max(w[1] for w in windows.values()))
            urls = store.asset_urls(conn, workspace_id)
            by_contact: dict[int, list[ConsumedEvent]] = defaultdict(list)
            for event in store.read_consumed(conn, workspace_id, ids, span, urls):
                by_contact[event.contact_id].append(event)
        for s in subjects:
            mine = chain.from_iterable(by_contact.get(c, ()) for c in s.relations)
            tags[s.opportunity_id] = tag_sale(
                mine, windows[s.opportunity_id], s.relations, self.thresholds
            )
        return tags

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction (the write lock up front on SQLite)."""
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                yield conn
