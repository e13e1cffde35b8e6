"""Content tagged to sales: the tagging queue, set-based reads per batch, and the writes.

``events`` has no index on ``identity_id``, so a batch of opportunities is read with one
join (events → identities → the batch's people) per batch, never one query per person or
per event. The people of a sale are its contact roles' contacts (merged losers followed
to their survivor) and every other live contact of its account.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadloop.domain.content import url_key
from leadloop.domain.sale_content import ACCOUNT, CONTACT_ROLE, ConsumedEvent, SaleConsumption
from leadloop.store.engine import as_utc, is_sqlite
from leadloop.store.tables import (
    contacts,
    content,
    events,
    identities,
    opportunities,
    opportunity_contacts,
    sale_content,
    sale_content_queue,
)


@dataclass(frozen=True, slots=True)
class SaleSubject:
    """One opportunity to tag: its status, close date and the people of the sale."""

    opportunity_id: int
    status: str
    close_date: date | None
    relations: dict[int, str]


def queue_opportunities(
    conn: Connection, workspace_id: int, opportunity_ids: Sequence[int], now: datetime
) -> None:
    """Mark opportunities for (re)tagging, in the caller's transaction."""
    if not opportunity_ids:
        return
    dialect_insert = sqlite_insert if is_sqlite(conn.engine) else pg_insert
    statement = dialect_insert(sale_content_queue)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["opportunity_id"], set_={"queued_at": statement.excluded.queued_at}
        ),
        [{"opportunity_id": i, "workspace_id": workspace_id, "queued_at": now}
         for i in opportunity_ids],
    )  # fmt: skip


def queue_all(conn: Connection, workspace_id: int, now: datetime) -> int:
    """Queue every opportunity of the workspace (``tag-sales --rebuild``)."""
    o = opportunities.c
    ids = [int(i) for (i,) in conn.execute(select(o.id).where(o.workspace_id == workspace_id))]
    for start in range(0, len(ids), 1000):
        queue_opportunities(conn, workspace_id, ids[start : start + 1000], now)
    return len(ids)


def pending(conn: Connection, workspace_id: int, limit: int) -> list[tuple[int, datetime]]:
    """Queued opportunities, account by account: a batch then reads few people's events."""
    q, o = sale_content_queue.c, opportunities.c
    rows = conn.execute(
        select(q.opportunity_id, q.queued_at)
        .join(opportunities, o.id == q.opportunity_id)
        .where(q.workspace_id == workspace_id)
        .order_by(o.account_id, o.id)
        .limit(limit)
    )
    return [(int(i), at) for i, at in rows]


def _people(ids: Sequence[int]) -> Select[Any]:
    """(opportunity, contact, relation) for the batch: contact roles, then the account."""
    o, oc, c = opportunities.c, opportunity_contacts.c, contacts.c
    roles = (
        select(oc.opportunity_id.label("opp"),
               func.coalesce(c.merged_into_id, c.id).label("contact"),
               literal(CONTACT_ROLE).label("relation"))
        .join(contacts, c.id == oc.contact_id)
        .where(oc.opportunity_id.in_(ids))
    )  # fmt: skip
    account = (
        select(o.id.label("opp"), c.id.label("contact"), literal(ACCOUNT).label("relation"))
        .join(contacts, and_(c.account_id == o.account_id, c.merged_into_id.is_(None)))
        .where(o.id.in_(ids))
    )
    return union(roles, account).subquery("people").select()


def read_subjects(conn: Connection, ids: Sequence[int]) -> list[SaleSubject]:
    o = opportunities.c
    relations: dict[int, dict[int, str]] = {i: {} for i in ids}
    for opp, contact, relation in conn.execute(_people(ids)):
        mine = relations[int(opp)]
        if mine.get(int(contact)) != CONTACT_ROLE:  # a contact role outranks the account
            mine[int(contact)] = str(relation)
    rows = conn.execute(select(o.id, o.status, o.close_date).where(o.id.in_(ids)))
    return [SaleSubject(int(i), str(s), d, relations[int(i)]) for i, s, d in rows]


def asset_urls(conn: Connection, workspace_id: int) -> dict[str, str]:
    """Catalogued page URL (as :func:`url_key` matches it) → asset id, for page views that
    carry only a URL; the same matching as profiling's."""
    k = content.c
    rows = conn.execute(
        select(k.url, k.asset_id).where(k.workspace_id == workspace_id, k.asset_id.is_not(None))
    )
    return {url_key(str(url)): str(asset) for url, asset in rows}


def read_consumed(
    conn: Connection,
    workspace_id: int,
    ids: Sequence[int],
    window: tuple[datetime, datetime],
    urls: dict[str, str],
) -> Iterator[ConsumedEvent]:
    """Page and track events about an asset by the batch's people inside ``window``."""
    e, i = events.c, identities.c
    people = _people(ids).subquery("p")
    query = (
        select(i.contact_id, e.type, e.event, e.timestamp, e.payload_json)
        .select_from(events)
        .join(identities, i.id == e.identity_id)
        .where(
            e.workspace_id == workspace_id,
            e.type.in_(("page", "track")),
            e.timestamp >= window[0],
            e.timestamp < window[1],
            i.contact_id.in_(select(people.c.contact).distinct()),
        )
    )
    for contact_id, kind, name, ts, payload in conn.execute(query):
        props = orjson.loads(payload).get("properties") or {}
        if not isinstance(props, dict):
            continue
        asset = props.get("asset_id")
        if not isinstance(asset, str) or not asset:
            url = props.get("url")
            asset = urls.get(url_key(url)) if kind == "page" and isinstance(url, str) else None
        if asset:
            yield ConsumedEvent(int(contact_id), asset[:255], kind, name, as_utc(ts) or ts, props)


def replace_tags(
    conn: Connection,
    workspace_id: int,
    tags: dict[int, list[SaleConsumption]],
    done: Sequence[tuple[int, datetime]],
    now: datetime,
) -> int:
    """Replace the tags of these opportunities and take them off the queue."""
    ids = list(tags)
    conn.execute(delete(sale_content).where(sale_content.c.opportunity_id.in_(ids)))
    rows = [
        {"workspace_id": workspace_id, "opportunity_id": opp, "asset_id": t.asset_id,
         "contact_id": t.contact_id, "relation": t.relation, "first_consumed_at": t.first_at,
         "last_consumed_at": t.last_at, "grade": t.grade, "visits": t.visits,
         "events": t.events, "tagged_at": now}
        for opp, found in tags.items() for t in found
    ]  # fmt: skip
    if rows:
        conn.execute(insert(sale_content), rows)
    q = sale_content_queue.c
    conn.execute(
        delete(sale_content_queue).where(
            q.opportunity_id == bindparam("b_id"), q.queued_at == bindparam("b_at")
        ),
        [{"b_id": i, "b_at": at} for i, at in done],
    )  # a change queued while we read keeps its newer row and is tagged next time
    return len(rows)


def tagged_assets(engine: Engine, workspace_id: int) -> dict[int, frozenset[str]]:
    """Opportunity id → the assets tagged as part of its sale."""
    s = sale_content.c
    out: dict[int, set[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.opportunity_id, s.asset_id).distinct().where(s.workspace_id == workspace_id)
        )
        for opp, asset in rows:
            out.setdefault(int(opp), set()).add(str(asset))
    return {k: frozenset(v) for k, v in out.items()}


def sale_tags(engine: Engine, workspace_id: int, opportunity_id: int) -> list[SaleConsumption]:
    """The stored tags of one opportunity, by asset then contact."""
    s = sale_content.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(sale_content)
            .where(s.workspace_id == workspace_id, s.opportunity_id == opportunity_id)
            .order_by(s.asset_id, s.contact_id)
        ).all()
    return [
        SaleConsumption(r.asset_id, r.contact_id, r.relation, as_utc(r.first_consumed_at)
                        or r.first_consumed_at, as_utc(r.last_consumed_at) or r.last_consumed_at,
                        r.grade, r.visits, r.events)
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredDeal:
    """An opportunity as the influence report reads it."""

    opportunity_id: int
    account_id: int | None
    created_at: datetime
    amount: float
    status: str
    close_date: date | None
    closed_hint: datetime
    """When a closed deal without a close date closed: its CRM modification time, else sync."""
    currency: str | None


def stored_deals(engine: Engine, workspace_id: int) -> list[StoredDeal]:
    o = opportunities.c
    query = select(
        o.id, o.account_id, o.created_at, o.first_synced_at, o.amount, o.status,
        o.close_date, o.last_modified, o.synced_at, o.currency,
    ).where(o.workspace_id == workspace_id)  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(o.id)).all()
    return [
        StoredDeal(
            int(r.id),
            r.account_id,
            as_utc(r.created_at or r.first_synced_at) or r.synced_at,
            float(r.amount or 0.0),
            str(r.status),
            r.close_date,
            as_utc(r.last_modified or r.synced_at) or r.synced_at,
            r.currency,
        )
        for r in rows
    ]


def catalog_tags(
    engine: Engine, workspace_id: int
) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Asset id → (title, buying stage, format) from the content catalog."""
    k = content.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(k.asset_id, k.title, k.buying_stage, k.format).where(
                k.workspace_id == workspace_id, k.asset_id.is_not(None)
            )
        )
        return {str(a): (t, s, f) for a, t, s, f in rows}
