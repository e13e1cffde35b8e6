"""Reads behind the profile-store ``FactsSource``: known contacts, account members, states.

Only known, unmerged contacts have lead facts (an anonymous visitor cannot be handed to
sales; a merged loser's history lives with the winner). Account members are every unmerged
contact of the account, anonymous ones included, as in the account profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import ColumnElement, Connection, select

from leadloop.domain.consumption import AssetState
from leadloop.domain.handoff import AccountRef
from leadloop.domain.lead_context import Party
from leadloop.domain.profile import merge_states
from leadloop.errors import NotFoundError
from leadloop.logging import mask_email
from leadloop.store.engine import as_utc
from leadloop.store.profile_reads import contact_states
from leadloop.store.profile_state import chunks
from leadloop.store.tables import accounts, contacts, lead_states


@dataclass(frozen=True, slots=True)
class KnownContact:
    id: int
    persona: str | None
    account_id: int | None


def _known(workspace_id: int) -> ColumnElement[bool]:
    c = contacts.c
    return (c.workspace_id == workspace_id) & (c.status == "known") & c.merged_into_id.is_(None)


def known_contacts(
    conn: Connection, workspace_id: int, contact_ids: Iterable[int] | None = None
) -> list[KnownContact]:
    """The known, unmerged contacts among ``contact_ids`` (all of them when None), by id."""
    c = contacts.c
    base = select(c.id, c.persona, c.account_id).where(_known(workspace_id))
    if contact_ids is None:
        rows = list(conn.execute(base.order_by(c.id)))
    else:
        rows = []
        for batch in chunks(sorted(set(contact_ids))):
            rows.extend(conn.execute(base.where(c.id.in_(batch))))
    out = [KnownContact(int(r.id), r.persona, _int(r.account_id)) for r in rows]
    return sorted(out, key=lambda k: k.id)


def account_members(
    conn: Connection, workspace_id: int, account_ids: Iterable[int]
) -> dict[int, list[int]]:
    """Unmerged contact ids of each account."""
    c = contacts.c
    out: dict[int, list[int]] = {}
    for batch in chunks(sorted(set(account_ids))):
        query = select(c.id, c.account_id).where(
            c.workspace_id == workspace_id, c.account_id.in_(batch), c.merged_into_id.is_(None)
        )
        for r in conn.execute(query):
            out.setdefault(int(r.account_id), []).append(int(r.id))
    return out


def merged_states(
    conn: Connection, workspace_id: int, contact_ids: Sequence[int]
) -> dict[int, dict[str, AssetState]]:
    """Each contact's per-asset states, its identities' states combined."""
    raw = contact_states(conn, workspace_id, contact_ids)
    return {c: merge_states({a: s} for a, s in items) for c, items in raw.items()}


def lead_party(conn: Connection, workspace_id: int, contact_id: int) -> Party:
    """The lead's name, masked e-mail, account and the account's region and segment."""
    c, a = contacts.c, accounts.c
    row = conn.execute(
        select(c.name, c.email, a.id, a.name.label("account_name"), a.domain, a.traits_json)
        .select_from(contacts.outerjoin(accounts, a.id == c.account_id))
        .where(c.workspace_id == workspace_id, c.id == contact_id)
    ).first()
    if row is None:
        raise NotFoundError(f"contact {contact_id} does not exist", contact_id=contact_id)
    if row.id is None:
        return Party(row.name, mask_email(row.email))
    traits = orjson.loads(row.traits_json or "{}")
    return Party(
        name=row.name,
        email_masked=mask_email(row.email),
        account=AccountRef(int(row.id), row.account_name, row.domain),
        region=_text(traits.get("region")),
        segment=_text(traits.get("segment")),
    )


def lead_states_of(
    conn: Connection, workspace_id: int, contact_ids: Iterable[int]
) -> dict[int, tuple[str, datetime]]:
    """(state, since) of the contacts that have a lifecycle row; one query per chunk."""
    ls = lead_states.c
    out: dict[int, tuple[str, datetime]] = {}
    for batch in chunks(sorted(set(contact_ids))):
        query = select(ls.contact_id, ls.state, ls.since).where(
            ls.workspace_id == workspace_id, ls.contact_id.in_(batch)
        )
        for r in conn.execute(query):
            out[int(r.contact_id)] = (r.state, as_utc(r.since) or r.since)
    return out


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))
