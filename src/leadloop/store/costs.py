"""The cost ledger in the operational store: idempotent upserts and listing.

A line is keyed by (workspace, month, kind, program, campaign, component). Loading it
again with the same amount and currency changes nothing; with a new amount it replaces
the old one (a corrected invoice), so reloading a whole file never doubles a cost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, select, tuple_

from leadloop.domain.costs import CostLine
from leadloop.store.directory import SqlDirectory
from leadloop.store.engine import utcnow, write_transaction
from leadloop.store.ingest import Rejected
from leadloop.store.tables import cost_entries

logger = logging.getLogger(__name__)

_KEY = ("month", "kind", "program", "campaign", "component")


@dataclass(frozen=True, slots=True)
class LedgerResult:
    """What one write did: new lines, changed amounts, lines already there."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _row(workspace_id: int, line: CostLine, source: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "workspace_id": workspace_id, "month": line.month, "kind": line.kind,
        "program": line.program, "campaign": line.campaign, "channel": line.channel,
        "component": line.component, "amount": line.amount, "currency": line.currency,
        "source": source, "created_at": now, "updated_at": now,
    }  # fmt: skip


def _line(row: Any) -> CostLine:
    return CostLine(
        month=row.month, kind=row.kind, program=row.program, amount=float(row.amount),
        campaign=row.campaign, channel=row.channel, component=row.component,
        currency=row.currency,
    )  # fmt: skip


class SqlCostLedger:
    """Cost lines per workspace; rejects of an import go to quarantine in the same write."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._directory = SqlDirectory(engine)

    def apply(
        self,
        workspace_id: int,
        lines: Sequence[CostLine],
        source: str,
        rejected: Iterable[Rejected] = (),
    ) -> LedgerResult:
        """Upsert ``lines`` (the last one wins within a batch) in one transaction."""
        latest = {line.key: line for line in lines}
        with write_transaction(self.engine) as conn:
            stored = self._stored(conn, workspace_id, list(latest))
            new = [line for key, line in latest.items() if key not in stored]
            changed = [
                (stored[key][0], line)
                for key, line in latest.items()
                if key in stored and stored[key][1] != (line.amount, line.currency, line.channel)
            ]
            if new:
                conn.execute(cost_entries.insert(), [_row(workspace_id, x, source) for x in new])
            for row_id, line in changed:
                conn.execute(
                    cost_entries.update()
                    .where(cost_entries.c.id == row_id)
                    .values(amount=line.amount, currency=line.currency, channel=line.channel,
                            source=source, updated_at=utcnow())
                )  # fmt: skip
            if rejected:
                self._directory._quarantine(conn, workspace_id, list(rejected))
        result = LedgerResult(len(new), len(changed), len(lines) - len(new) - len(changed))
        logger.info("costs.applied", extra={"fields": {"workspace_id": workspace_id,
                    "created": result.created, "updated": result.updated}})  # fmt: skip
        return result

    def _stored(
        self, conn: Any, workspace_id: int, keys: list[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], tuple[int, tuple[float, str, str]]]:
        out: dict[tuple[Any, ...], tuple[int, tuple[float, str, str]]] = {}
        c = cost_entries.c
        columns = [getattr(c, k) for k in _KEY]
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = conn.execute(
                select(c.id, *columns, c.amount, c.currency, c.channel).where(
                    and_(c.workspace_id == workspace_id, tuple_(*columns).in_(part))
                )
            )
            for r in rows:
                key = (r.month, r.kind, r.program, r.campaign, r.component)
                out[key] = (int(r.id), (float(r.amount), r.currency, r.channel))
        return out

    def lines(
        self,
        workspace_id: int,
        *,
        since: date | None = None,
        until: date | None = None,
        kind: str | None = None,
        program: str | None = None,
    ) -> list[CostLine]:
        """Lines of a workspace, oldest month first, filtered by month range, kind, program."""
        c = cost_entries.c
        query = select(cost_entries).where(c.workspace_id == workspace_id)
        if since is not None:
            query = query.where(c.month >= since)
        if until is not None:
            query = query.where(c.month <= until)
        if kind is not None:
            query = query.where(c.kind == kind)
        if program is not None:
            query = query.where(c.program == program)
        query = query.order_by(c.month, c.kind, c.program, c.campaign, c.component)
        with self.engine.connect() as conn:
            return [_line(r) for r in conn.execute(query)]
