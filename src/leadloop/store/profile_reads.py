"""Reads behind the profile API and CLI: contacts, accounts, states, filtered lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, not_, or_, select

from leadloop.domain.consumption import AssetState
from leadloop.store import profile_state_pg, profile_state_sqlite
from leadloop.store.engine import as_utc
from leadloop.store.profile_state import chunks, state_from_row
from leadloop.store.tables import (
    accounts,
    contacts,
    events,
    identities,
    profile_interests,
    profile_states,
    profiles,
)


@dataclass(frozen=True, slots=True)
class ContactRecord:
    id: int
    status: str
    email: str | None
    name: str | None
    persona: str | None
    account_id: int | None
    merged_into_id: int | None


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: int
    name: str | None
    domain: str | None


@dataclass(frozen=True, slots=True)
class ListFilter:
    """What ``GET /v1/profiles`` filters on; thresholds already turned into log weights."""

    stage: str | None = None
    interest: str | None = None
    persona: str | None = None
    engagement: str | None = None
    hot_since_ms: int = 0
    hot_log2: float = 0.0
    warm_log2: float = 0.0


@dataclass(frozen=True, slots=True)
class ListedProfile:
    contact: ContactRecord
    buying_stage: str | None
    inferred_persona: str | None
    segment: str | None
    interests: tuple[str, ...]
    weight_log2: float | None
    last_hot_at_ms: int | None


_CONTACT_COLS = (
    contacts.c.id, contacts.c.status, contacts.c.email, contacts.c.name, contacts.c.persona,
    contacts.c.account_id, contacts.c.merged_into_id,
)  # fmt: skip


def _contact(r: Any) -> ContactRecord:
    return ContactRecord(
        int(r.id), r.status, r.email, r.name, r.persona,
        None if r.account_id is None else int(r.account_id),
        None if r.merged_into_id is None else int(r.merged_into_id),
    )  # fmt: skip


def contact_record(conn: Connection, workspace_id: int, contact_id: int) -> ContactRecord | None:
    query = select(*_CONTACT_COLS).where(
        contacts.c.workspace_id == workspace_id, contacts.c.id == contact_id
    )
    row = conn.execute(query).first()
    return None if row is None else _contact(row)


def contact_by_email(conn: Connection, workspace_id: int, email: str) -> ContactRecord | None:
    query = select(*_CONTACT_COLS).where(
        contacts.c.workspace_id == workspace_id,
        func.lower(contacts.c.email) == email.strip().lower(),
    )
    row = conn.execute(query).first()
    return None if row is None else _contact(row)


def account_record(conn: Connection, workspace_id: int, account_id: int) -> AccountRecord | None:
    a = accounts.c
    query = select(a.id, a.name, a.domain).where(a.workspace_id == workspace_id, a.id == account_id)
    row = conn.execute(query).first()
    return None if row is None else AccountRecord(int(row.id), row.name, row.domain)


def account_contacts(conn: Connection, workspace_id: int, account_id: int) -> list[ContactRecord]:
    query = (
        select(*_CONTACT_COLS)
        .where(
            contacts.c.workspace_id == workspace_id,
            contacts.c.account_id == account_id,
            contacts.c.merged_into_id.is_(None),
        )
        .order_by(contacts.c.id)
    )
    return [_contact(r) for r in conn.execute(query)]


def contact_states(
    conn: Connection, workspace_id: int, contact_ids: Sequence[int]
) -> dict[int, list[tuple[str, AssetState]]]:
    """Every identity state of each contact (identities re-pointed by merges included)."""
    if conn.dialect.name == "postgresql":
        return profile_state_pg.contact_states(conn, workspace_id, contact_ids)
    return profile_state_sqlite.contact_states(conn, workspace_id, contact_ids)


def contact_states_portable(
    conn: Connection, workspace_id: int, contact_ids: Sequence[int]
) -> dict[int, list[tuple[str, AssetState]]]:
    """:func:`contact_states` in SQL that runs on every store (500-id ``IN`` lists)."""
    s, i = profile_states.c, identities.c
    out: dict[int, list[tuple[str, AssetState]]] = {c: [] for c in contact_ids}
    for batch in chunks(sorted(set(contact_ids))):
        query = (
            select(i.contact_id, profile_states)
            .join(identities, (i.id == s.identity_id) & (i.workspace_id == s.workspace_id))
            .where(s.workspace_id == workspace_id, i.contact_id.in_(batch))
        )
        for r in conn.execute(query):
            out[int(r.contact_id)].append((str(r.asset_id), state_from_row(r)))
    return out


def identity_count(conn: Connection, workspace_id: int, contact_id: int) -> int:
    query = select(func.count()).where(
        identities.c.workspace_id == workspace_id, identities.c.contact_id == contact_id
    )
    return int(conn.execute(query).scalar_one())


def _engagement(f: ListFilter) -> Any:
    p = profiles.c
    hot = or_(
        func.coalesce(p.last_hot_at_ms, -1) >= f.hot_since_ms,
        func.coalesce(p.weight_log2, -1e300) >= f.hot_log2,
    )
    warm = func.coalesce(p.weight_log2, -1e300) >= f.warm_log2
    if f.engagement == "hot":
        return hot
    if f.engagement == "warm":
        return and_(not_(hot), warm)
    return and_(not_(hot), not_(warm))


def _conditions(workspace_id: int, f: ListFilter) -> list[Any]:
    p = profiles.c
    out: list[Any] = [p.workspace_id == workspace_id, contacts.c.merged_into_id.is_(None)]
    if f.stage:
        out.append(p.buying_stage == f.stage)
    if f.persona:
        out.append(func.coalesce(contacts.c.persona, p.persona) == f.persona)
    if f.interest:
        pi = profile_interests.c
        out.append(
            exists().where(
                pi.workspace_id == workspace_id,
                pi.contact_id == p.contact_id,
                pi.topic == f.interest,
            )
        )
    if f.engagement:
        out.append(_engagement(f))
    return out


def list_profiles(
    conn: Connection, workspace_id: int, f: ListFilter, limit: int, offset: int
) -> tuple[int, list[ListedProfile]]:
    """Profiles matching every given filter, heaviest first; and how many match in all."""
    p = profiles.c
    joined = profiles.join(
        contacts, (contacts.c.id == p.contact_id) & (contacts.c.workspace_id == p.workspace_id)
    )
    where = _conditions(workspace_id, f)
    total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
    query = (
        select(*_CONTACT_COLS, p.buying_stage, p.persona.label("inferred"), p.segment,
               p.weight_log2, p.last_hot_at_ms)
        .select_from(joined)
        .where(*where)
        .order_by(p.weight_log2.desc(), p.contact_id)
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    rows = conn.execute(query).all()
    topics = _interests(conn, workspace_id, [int(r.id) for r in rows])
    listed = [
        ListedProfile(
            _contact(r),
            r.buying_stage,
            r.inferred,
            r.segment,
            topics.get(int(r.id), ()),
            r.weight_log2,
            None if r.last_hot_at_ms is None else int(r.last_hot_at_ms),
        )
        for r in rows
    ]
    return int(total), listed


def _interests(conn: Connection, workspace_id: int, ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not ids:
        return {}
    pi = profile_interests.c
    query = (
        select(pi.contact_id, pi.topic)
        .where(pi.workspace_id == workspace_id, pi.contact_id.in_(ids))
        .order_by(pi.contact_id, pi.rank)
    )
    out: dict[int, list[str]] = {}
    for r in conn.execute(query):
        out.setdefault(int(r.contact_id), []).append(str(r.topic))
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class OverviewRow:
    account_id: int | None
    persona: str | None
    buying_stage: str | None
    top_interest: str | None
    weight_log2: float | None
    last_hot_at_ms: int | None


def overview_rows(conn: Connection, workspace_id: int) -> list[OverviewRow]:
    """Every live contact's stored profile values (for the workspace overview)."""
    p = profiles.c
    query = (
        select(contacts.c.account_id, func.coalesce(contacts.c.persona, p.persona),
               p.buying_stage, p.top_interest, p.weight_log2, p.last_hot_at_ms)
        .select_from(profiles.join(contacts, contacts.c.id == p.contact_id))
        .where(p.workspace_id == workspace_id, contacts.c.merged_into_id.is_(None))
    )  # fmt: skip
    return [
        OverviewRow(
            None if r[0] is None else int(r[0]),
            r[1],
            r[2],
            r[3],
            r[4],
            None if r[5] is None else int(r[5]),
        )
        for r in conn.execute(query)
    ]


def account_names(conn: Connection, workspace_id: int, ids: Sequence[int]) -> dict[int, str]:
    a = accounts.c
    query = select(a.id, a.name, a.domain).where(a.workspace_id == workspace_id, a.id.in_(ids))
    return {int(r.id): r.name or r.domain or str(r.id) for r in conn.execute(query)}


def last_event_time(conn: Connection, workspace_id: int) -> datetime | None:
    """When the workspace's latest event happened (None without events).

    A replayed history (the demo's simulated year) is judged as of its own end, not as of
    today, or every weight would have decayed away.
    """
    value = conn.execute(
        select(func.max(events.c.timestamp)).where(events.c.workspace_id == workspace_id)
    ).scalar()
    return as_utc(value)
