"""`sync_opportunities`: pull changed opportunities from a CRM into the store, safely.

- **Incremental.** The cursor (the newest last-modified time stored) is kept per connector
  and object and saved after every page, so an interrupted run continues where it stopped.
  The next run asks for records modified at or after it: the boundary second is fetched
  again and counted ``unchanged``.
- **Idempotent.** Equal records are not written; a re-sync reports ``updated == 0``.
- **Nothing silently dropped.** A record that fails validation is stored in
  ``crm_sync_errors`` with the reason and retried on every later run until it is stored.
- **Rate limits.** Connectors wait out short limits; a daily limit stops the run with
  status ``rate_limited``, cursor kept.
- **The loop.** Every created or changed opportunity goes to the ``on_opportunity_changed``
  hooks inside its write transaction (lifecycle moves, content tagged to the sale).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from leadloop.domain.connectors import CrmConnector, RawRecord
from leadloop.domain.crm_mapping import FieldMapping, StageMap, opportunity_from_record, parse_time
from leadloop.errors import ConnectorError, RateLimitedError, ValidationError
from leadloop.store.crm import Incoming, OpportunityHook, SqlCrmStore
from leadloop.store.crm_state import FailedRecord, SqlSyncState
from leadloop.store.engine import utcnow

logger = logging.getLogger(__name__)
OPPORTUNITIES = "opportunities"


@dataclass(slots=True)
class SyncReport:
    """What one run did. ``fetched == created + updated + unchanged + failed``."""

    connector: str
    object: str = OPPORTUNITIES
    status: str = "running"
    message: str | None = None
    cursor_before: str | None = None
    cursor_after: str | None = None
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    first_failures: list[FailedRecord] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        keys = ("fetched", "created", "updated", "unchanged", "failed", "rate_limited")
        return {k: getattr(self, k) for k in keys}


def _raw_id(raw: RawRecord, mapping: FieldMapping) -> str:
    found = mapping.record_id(raw)
    if found is not None:
        return found
    digest = hashlib.blake2b(orjson.dumps(raw, default=str), digest_size=6).hexdigest()
    return f"no-id:{digest}"


@dataclass
class _Run:
    crm: SqlCrmStore
    state: SqlSyncState
    connector: CrmConnector
    workspace_id: int
    mapping: FieldMapping
    stages: StageMap
    hooks: Sequence[OpportunityHook]
    now: Callable[[], datetime]
    report: SyncReport
    newest: datetime | None = None

    def page(self, raws: Sequence[RawRecord]) -> None:
        """Validate, write and record the failures of one page."""
        items: list[Incoming] = []
        failed: list[FailedRecord] = []
        for raw in raws:
            self._advance(raw)
            try:
                items.append(Incoming(opportunity_from_record(raw, self.mapping, self.stages), raw))
            except ValidationError as exc:
                failed.append(FailedRecord(_raw_id(raw, self.mapping), exc.message, dict(raw)))
        ids = [i.opportunity.crm_id for i in items]
        roles = self.connector.contact_roles(ids) if ids else []
        result = self.crm.apply(
            self.workspace_id, self.connector.name, items, roles, hooks=self.hooks
        )
        self.fail(failed)
        r = self.report
        r.fetched += len(raws)
        r.created, r.updated = r.created + result.created, r.updated + result.updated
        r.unchanged += result.unchanged

    def fail(self, failed: Sequence[FailedRecord]) -> None:
        if not failed:
            return
        self.state.record_errors(
            self.workspace_id, self.connector.name, OPPORTUNITIES, failed, self.now()
        )
        self.report.failed += len(failed)
        room = 5 - len(self.report.first_failures)
        self.report.first_failures.extend(failed[: max(room, 0)])

    def _advance(self, raw: Mapping[str, Any]) -> None:
        try:
            modified = parse_time(self.mapping.value(raw, "last_modified"))
        except (TypeError, ValueError):
            return
        if modified is not None and (self.newest is None or modified > self.newest):
            self.newest = modified
            self.report.cursor_after = modified.isoformat()

    def retry_due(self) -> None:
        """Fetch the records whose earlier failure is due for a retry, by id."""
        name = self.connector.name
        due = self.state.due(self.workspace_id, name, OPPORTUNITIES, self.now())
        if not due:
            return
        self.report.retried = len(due)
        raws = self.connector.opportunities_by_id(due)
        self.page(raws)
        gone = set(due) - {_raw_id(r, self.mapping) for r in raws}
        self.fail(
            [FailedRecord(i, f"opportunity {i} is no longer in {name} (deleted?)") for i in gone]
        )

    def execute(self, since: datetime | None, bulk: bool, before: str | None) -> None:
        """Retry due failures, pull every page, and always record how the run ended."""
        report = self.report
        try:
            check = getattr(self.connector, "check_limits", None)
            if check is not None:
                check()
            self.retry_due()
            for raws in self.connector.opportunities(since, bulk=bulk):
                self.page(raws)
                if not bulk:  # pages come oldest first: the cursor is safe to keep
                    self.save("running", report.cursor_after)
            report.status = "ok"
        except RateLimitedError as exc:
            report.status, report.message = "rate_limited", exc.message
        except ConnectorError as exc:
            report.status, report.message = "failed", exc.message
        finally:
            if report.status == "running":
                report.status = "failed"
            report.cursor_after = (
                report.cursor_after if report.status == "ok" or not bulk else before
            )
            self.save(report.status, report.cursor_after)
            _log(report)

    def save(self, status: str, cursor: str | None) -> None:
        self.report.rate_limited = self.connector.rate_limit_waits
        self.state.save(
            self.workspace_id, self.connector.name, OPPORTUNITIES,
            cursor=cursor, status=status, counts=self.report.counts(), now=self.now(),
        )  # fmt: skip


def sync_opportunities(
    crm: SqlCrmStore,
    state: SqlSyncState,
    connector: CrmConnector,
    *,
    workspace_id: int,
    mapping: FieldMapping,
    stages: StageMap,
    hooks: Sequence[OpportunityHook] = (),
    bulk: bool = False,
    full: bool = False,
    now: Callable[[], datetime] = utcnow,
) -> SyncReport:
    """Pull opportunities changed since the stored cursor (all with ``full``) into the store.

    ``hooks`` are ``on_opportunity_changed(conn, change)`` callbacks; see
    :data:`leadloop.store.crm.OpportunityHook`. Returns the report; its ``status`` is
    ``ok``, ``rate_limited`` (stopped by a daily limit) or ``failed`` (``message`` says why).
    """
    prior = state.get(workspace_id, connector.name, OPPORTUNITIES)
    before = prior.cursor if prior else None
    report = SyncReport(connector.name, cursor_before=before, cursor_after=before)
    run = _Run(crm, state, connector, workspace_id, mapping, stages, hooks, now, report)
    run.newest = parse_time(before) if before else None
    run.execute(None if full else run.newest, bulk, before)
    return report


def _log(report: SyncReport) -> None:
    fields = {"crm": report.connector, "status": report.status, **report.counts()}
    fields["cursor"] = report.cursor_after or "-"
    logger.info("crm.synced", extra={"fields": fields})
