"""Which leads an opportunity moves, and the ledger of the moves it already made.

All reads and writes run on the caller's connection, inside the CRM page's transaction.
The ledger (``sale_lead_moves``, one row per opportunity, contact and status acted on) is
what makes the lifecycle side of a sync idempotent whatever the sync re-delivers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, exists, func, insert, select

from leadloop.store.tables import (
    contacts,
    lead_states,
    opportunities,
    opportunity_contacts,
    sale_lead_moves,
)

HANDED_TO_SALES = ("sales_ready", "accepted")
"""Lead states an opportunity on their account moves even without a contact role."""


def survivors(conn: Connection, contact_ids: Sequence[int]) -> list[int]:
    """The live contacts these ids are (a merged loser becomes its survivor)."""
    if not contact_ids:
        return []
    c = contacts.c
    rows = conn.execute(
        select(func.coalesce(c.merged_into_id, c.id)).where(c.id.in_(list(contact_ids)))
    )
    return sorted({int(i) for (i,) in rows})


def handed_to_sales(conn: Connection, workspace_id: int, account_id: int | None) -> list[int]:
    """The account's live contacts whose lead is sales_ready or accepted."""
    if account_id is None:
        return []
    c, s = contacts.c, lead_states.c
    rows = conn.execute(
        select(c.id)
        .join(lead_states, s.contact_id == c.id)
        .where(
            c.workspace_id == workspace_id,
            c.account_id == account_id,
            c.merged_into_id.is_(None),
            s.state.in_(HANDED_TO_SALES),
        )
    )
    return sorted(int(i) for (i,) in rows)


def moved_before(conn: Connection, opportunity_id: int) -> dict[tuple[int, str], str]:
    """(contact, status) → outcome of every move this opportunity already made."""
    m = sale_lead_moves.c
    rows = conn.execute(
        select(m.contact_id, m.status, m.outcome).where(m.opportunity_id == opportunity_id)
    )
    return {(int(c), str(s)): str(o) for c, s, o in rows}


def has_other_open(conn: Connection, contact_id: int, opportunity_id: int) -> bool:
    """Whether the contact (or a contact merged into it) has another open opportunity."""
    o, oc, c = opportunities.c, opportunity_contacts.c, contacts.c
    mine = select(c.id).where((c.id == contact_id) | (c.merged_into_id == contact_id))
    query = select(
        exists().where(
            and_(
                oc.opportunity_id == o.id,
                oc.contact_id.in_(mine),
                o.id != opportunity_id,
                o.status == "open",
            )
        )
    )
    return bool(conn.execute(query).scalar())


def record_move(
    conn: Connection,
    workspace_id: int,
    opportunity_id: int,
    contact_id: int,
    status: str,
    outcome: str,
    lead_state: str,
    detail: str | None,
    at: datetime,
) -> None:
    conn.execute(
        insert(sale_lead_moves).values(
            workspace_id=workspace_id, opportunity_id=opportunity_id, contact_id=contact_id,
            status=status, outcome=outcome, lead_state=lead_state, detail=detail, at=at,
        )
    )  # fmt: skip
