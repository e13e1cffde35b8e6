"""What a lead read, for the CRM record sales opens: the contact and its recent content.

This is the plain reading list (newest first, content titles and buying stages from the
catalog). Profiling's graded engagement (issue 3) can replace it through
``services.crm_push.push_sales_ready`` without touching the connectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

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


def _reads(conn: Connection, workspace_id: int, contact_id: int) -> Sequence[Any]:
    """The contact's latest page and track events, newest first."""
    ids = [
        i
        for (i,) in conn.execute(
            select(identities.c.id).where(identities.c.contact_id == contact_id)
        )
    ]
    if not ids:
        return []
    e = events.c
    return conn.execute(
        select(e.timestamp, e.event, e.type, e.payload_json)
        .where(
            e.workspace_id == workspace_id, e.identity_id.in_(ids), e.type.in_(("page", "track"))
        )
        .order_by(e.timestamp.desc())
        .limit(HISTORY_LIMIT)
    ).all()


def _catalog(conn: Connection, workspace_id: int) -> dict[str, tuple[str | None, str | None]]:
    """Asset id and URL → (title, buying stage) from the content catalog."""
    k = content.c
    out: dict[str, tuple[str | None, str | None]] = {}
    rows = conn.execute(
        select(k.asset_id, k.url, k.title, k.buying_stage).where(k.workspace_id == workspace_id)
    )
    for asset_id, url, title, stage in rows:
        out[url] = (title, stage)
        if asset_id:
            out[asset_id] = (title, stage)
    return out


def _item(row: Any, catalog: dict[str, tuple[str | None, str | None]]) -> ReadingItem:
    ts, name, kind, payload = row
    props = (orjson.loads(payload).get("properties") or {}) if payload else {}
    if not isinstance(props, dict):
        props = {}
    title, stage = catalog.get(props.get("asset_id") or props.get("url") or "", (None, None))
    return ReadingItem(
        at=as_utc(ts) or ts,
        title=str(title or props.get("title") or name or kind)[:200],
        url=props.get("url"),
        buying_stage=stage,
        depth=_depth(props),
    )


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
        reads, catalog = _reads(conn, workspace_id, row.id), _catalog(conn, workspace_id)
    history = tuple(_item(r, catalog) for r in reads)
    return SalesReadyLead(row.id, row.email, row.name, row.domain, row.account, reasons, history)
