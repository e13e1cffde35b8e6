"""Reads of the leads handed to sales: who owns each, why it qualified, with what score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Engine, and_, func, select

from leadloop.store.engine import as_utc
from leadloop.store.tables import contacts, hand_offs, qualifications, sales_reps


@dataclass(frozen=True, slots=True)
class HandedOver:
    contact_id: int
    cycle: int
    name: str | None
    owner: str | None
    score: float
    hot: bool
    reasons: tuple[str, ...]
    qualified_at: datetime


@dataclass(frozen=True, slots=True)
class HandOverCounts:
    hand_offs: int
    hot: int
    per_owner: dict[str, int]


def top_handed_over(engine: Engine, workspace_id: int, limit: int = 10) -> list[HandedOver]:
    """The hand-offs with the highest qualification scores, best first."""
    h, q, c, r = hand_offs.c, qualifications.c, contacts.c, sales_reps.c
    query = (
        select(
            h.contact_id,
            h.cycle,
            h.hot,
            h.reasons_json,
            c.name,
            r.name.label("owner"),
            q.score,
            q.qualified_at,
        )
        .join(contacts, c.id == h.contact_id)
        .join(qualifications, and_(q.contact_id == h.contact_id, q.cycle == h.cycle))
        .outerjoin(sales_reps, r.id == h.rep_id)
        .where(h.workspace_id == workspace_id)
        .order_by(q.score.desc(), h.contact_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        HandedOver(
            int(x.contact_id),
            int(x.cycle),
            x.name,
            x.owner,
            float(x.score),
            bool(x.hot),
            tuple(orjson.loads(x.reasons_json)),
            as_utc(x.qualified_at),  # type: ignore[arg-type]
        )
        for x in rows
    ]


def hand_over_counts(engine: Engine, workspace_id: int) -> HandOverCounts:
    h, r = hand_offs.c, sales_reps.c
    owner = func.coalesce(r.name, "(unassigned)")
    with engine.connect() as conn:
        total, hot = conn.execute(
            select(func.count(), func.count().filter(h.hot.is_(True))).where(
                h.workspace_id == workspace_id
            )
        ).one()
        per = conn.execute(
            select(owner, func.count())
            .select_from(hand_offs.outerjoin(sales_reps, r.id == h.rep_id))
            .where(h.workspace_id == workspace_id)
            .group_by(owner)
            .order_by(owner)
        ).all()
    return HandOverCounts(int(total), int(hot), {str(o): int(n) for o, n in per})
