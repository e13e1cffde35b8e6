"""Read-only counts of what a workspace holds (demo summary, admin API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from leadloop.store.engine import as_utc
from leadloop.store.tables import accounts, contacts, events, lead_states, quarantine


@dataclass(frozen=True, slots=True)
class Summary:
    contacts_known: int
    contacts_anonymous: int
    accounts: int
    events: int
    events_by_type: dict[str, int]
    quarantined: int


def workspace_summary(engine: Engine, workspace_id: int) -> Summary:
    with engine.connect() as conn:
        by_status: dict[str, int] = dict(
            conn.execute(
                select(contacts.c.status, func.count())
                .where(contacts.c.workspace_id == workspace_id, contacts.c.merged_into_id.is_(None))
                .group_by(contacts.c.status)
            ).all()
        )
        n_accounts = conn.execute(
            select(func.count()).where(accounts.c.workspace_id == workspace_id)
        ).scalar_one()
        by_type: dict[str, int] = dict(
            conn.execute(
                select(events.c.type, func.count())
                .where(events.c.workspace_id == workspace_id)
                .group_by(events.c.type)
                .order_by(events.c.type)
            ).all()
        )
        n_quarantine = conn.execute(
            select(func.count()).where(quarantine.c.workspace_id == workspace_id)
        ).scalar_one()
    return Summary(
        contacts_known=int(by_status.get("known", 0)),
        contacts_anonymous=int(by_status.get("anonymous", 0)),
        accounts=int(n_accounts),
        events=sum(by_type.values()),
        events_by_type={str(k): int(v) for k, v in by_type.items()},
        quarantined=int(n_quarantine),
    )


def latest_event_at(engine: Engine, workspace_id: int) -> datetime | None:
    """When the workspace's latest event happened (what "now" is for a loaded history)."""
    with engine.connect() as conn:
        value = conn.execute(
            select(func.max(events.c.timestamp)).where(events.c.workspace_id == workspace_id)
        ).scalar_one()
    return as_utc(value)


def lead_state_counts(engine: Engine, workspace_id: int) -> dict[str, int]:
    """How many leads are in each lifecycle state now."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(lead_states.c.state, func.count())
            .where(lead_states.c.workspace_id == workspace_id)
            .group_by(lead_states.c.state)
        ).all()
    return {str(state): int(n) for state, n in rows}
