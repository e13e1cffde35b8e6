"""What a lead read, for the CRM record sales opens: the contact and its recent content.

This is the plain reading list (newest first, content titles and buying stages from the
catalog). Profiling's graded engagement (issue 3) can replace it through
``services.crm_push.push_sales_ready`` without touching the connectors.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, select

from leadloop.domain.crm import ReadingItem, SalesReadyLead
from leadloop.errors import NotFoundError
from leadloop.store.engine import as_utc
from leadloop.store.tables import accounts, contacts, content, events, identities

HISTORY_LIMIT = 50


def _depth(props: dict[str, Any]) -> str | None:
    for key, unit in (("read_depth", "% read"), ("percent", "% watched")):
        if isinstance(props.get(key), int | float):
            return f"{props[key]:g}{unit}"
    return None


def sales_ready_lead(
    engine: Engine, workspace_id: int, email: str, reasons: tuple[str, ...]
) -> SalesReadyLead:
    """The contact with this e-mail, its account and its last reads, ready to push."""
    c, a = contacts.c, accounts.c
    with engine.connect() as conn:
        row = conn.execute(
            select(c.id, c.email, c.name, a.domain, a.name.label("account"))
            .select_from(contacts.outerjoin(accounts, a.id == c.account_id))
            .where(c.workspace_id == workspace_id, c.email == email.strip().lower())
        ).first()
        if row is None:
            raise NotFoundError(f"no contact with e-mail {email!r} in this workspace")
        ids = [
            i
            for (i,) in conn.execute(
                select(identities.c.id).where(identities.c.contact_id == row.id)
            )
        ]
        e = events.c
        rows = (
            conn.execute(
                select(e.timestamp, e.event, e.type, e.payload_json)
                .where(
                    e.workspace_id == workspace_id,
                    e.identity_id.in_(ids),
                    e.type.in_(("page", "track")),
                )
                .order_by(e.timestamp.desc())
                .limit(HISTORY_LIMIT)
            ).all()
            if ids
            else []
        )
        catalog = {
            (r.asset_id or r.url): (r.title, r.buying_stage)
            for r in conn.execute(
                select(
                    content.c.asset_id, content.c.url, content.c.title, content.c.buying_stage
                ).where(content.c.workspace_id == workspace_id)
            )
        }
    history = []
    for ts, name, kind, payload in rows:
        props = (orjson.loads(payload).get("properties") or {}) if payload else {}
        key = props.get("asset_id") or props.get("url")
        title, stage = catalog.get(key, (None, None))
        history.append(
            ReadingItem(
                at=as_utc(ts),  # type: ignore[arg-type]
                title=str(title or props.get("title") or name or kind)[:200],
                url=props.get("url"),
                buying_stage=stage,
                depth=_depth(props),
            )
        )
    return SalesReadyLead(
        row.id, row.email, row.name, row.domain, row.account, reasons, tuple(history)
    )
