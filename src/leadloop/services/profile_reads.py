"""Reading profiles: one contact, one account (the buying group), filtered lists, LeadFacts.

Profiles are computed on read from the stored states, as of the time asked (default now),
so the weights shown are always decayed to that moment. Lists filter on the stored,
as-of-independent profile rows (docs/profiling.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from leadloop.domain.consumption import AssetState, epoch_ms
from leadloop.domain.facts import ENGAGEMENT_LEVELS, LeadFacts
from leadloop.domain.profile import (
    DAY_MS,
    WEIGHT_EPOCH_MS,
    Profile,
    ProfileConfig,
    active_contacts,
    build_profile,
    engagement_level,
    merge_states,
    person_items,
    to_lead_facts,
)
from leadloop.domain.stages import normalise_stage
from leadloop.errors import NotFoundError, ValidationError
from leadloop.services.profiling import load_catalog
from leadloop.store.engine import utcnow
from leadloop.store.profile_reads import (
    AccountRecord,
    ContactRecord,
    ListedProfile,
    ListFilter,
    account_contacts,
    account_record,
    contact_by_email,
    contact_record,
    contact_states,
    identity_count,
    list_profiles,
)


@dataclass(frozen=True, slots=True)
class ContactProfile:
    contact: ContactRecord
    identities: int
    profile: Profile


@dataclass(frozen=True, slots=True)
class MemberSummary:
    contact: ContactRecord
    engagement_level: str
    buying_stage: str | None
    total_weight: float


@dataclass(frozen=True, slots=True)
class AccountProfile:
    account: AccountRecord
    members: tuple[MemberSummary, ...]
    active_contacts: int
    profile: Profile


@dataclass(frozen=True, slots=True)
class ProfileSummary:
    """One row of a profile list, its engagement and weight as of the list's time."""

    listed: ListedProfile
    engagement_level: str
    total_weight: float

    @property
    def persona(self) -> str | None:
        return self.listed.contact.persona or self.listed.inferred_persona


def _resolve(conn: Connection, workspace_id: int, contact_id: int) -> ContactRecord:
    """The contact, or the one it was merged into (its history lives there now)."""
    record = contact_record(conn, workspace_id, contact_id)
    if record is not None and record.merged_into_id is not None:
        record = contact_record(conn, workspace_id, record.merged_into_id)
    if record is None:
        raise NotFoundError(
            f"contact {contact_id} does not exist in this workspace", contact_id=contact_id
        )
    return record


def _merged(items: list[tuple[str, AssetState]]) -> dict[str, AssetState]:
    return merge_states({a: s} for a, s in items)


def contact_profile(
    engine: Engine, workspace_id: int, contact_id: int, cfg: ProfileConfig,
    as_of: datetime | None = None,
) -> ContactProfile:  # fmt: skip
    """A contact's profile as of ``as_of`` (now by default); merged losers resolve."""
    catalog = load_catalog(engine, workspace_id)
    with engine.connect() as conn:
        record = _resolve(conn, workspace_id, contact_id)
        states = _merged(contact_states(conn, workspace_id, [record.id])[record.id])
        n = identity_count(conn, workspace_id, record.id)
    profile = build_profile(
        person_items(states), catalog.items, as_of or utcnow(), cfg, crm_persona=record.persona
    )
    return ContactProfile(record, n, profile)


def contact_id_for_email(engine: Engine, workspace_id: int, email: str) -> int:
    with engine.connect() as conn:
        record = contact_by_email(conn, workspace_id, email)
    if record is None:
        raise NotFoundError("no contact with that e-mail in this workspace")
    return record.id


def account_profile(
    engine: Engine, workspace_id: int, account_id: int, cfg: ProfileConfig,
    as_of: datetime | None = None,
) -> AccountProfile:  # fmt: skip
    """The buying group's profile: every member's engagements together."""
    when = as_of or utcnow()
    catalog = load_catalog(engine, workspace_id)
    with engine.connect() as conn:
        account = account_record(conn, workspace_id, account_id)
        if account is None:
            raise NotFoundError(
                f"account {account_id} does not exist in this workspace", account_id=account_id
            )
        people = account_contacts(conn, workspace_id, account_id)
        raw = contact_states(conn, workspace_id, [p.id for p in people])
    per_contact = {c: _merged(items) for c, items in raw.items()}
    items = [i for c, states in sorted(per_contact.items()) for i in person_items(states, c)]
    group = build_profile(items, catalog.items, when, cfg)
    members = []
    for person in people:
        p = build_profile(person_items(per_contact[person.id]), catalog.items, when, cfg)
        members.append(MemberSummary(person, p.engagement_level, p.buying_stage, p.total_weight))
    members.sort(key=lambda m: (-m.total_weight, m.contact.id))
    return AccountProfile(account, tuple(members), active_contacts(per_contact, when, cfg), group)


def lead_facts(
    engine: Engine, workspace_id: int, contact_id: int, cfg: ProfileConfig,
    as_of: datetime | None = None,
) -> LeadFacts:  # fmt: skip
    """What the sales-ready rules read about a contact, its account's engagement included."""
    when = as_of or utcnow()
    person = contact_profile(engine, workspace_id, contact_id, cfg, when)
    account_id = person.contact.account_id
    if account_id is None:
        return to_lead_facts(person.contact.id, person.profile)
    group = account_profile(engine, workspace_id, account_id, cfg, when)
    return to_lead_facts(
        person.contact.id, person.profile, account_id=account_id, account=group.profile,
        account_active=group.active_contacts,
    )  # fmt: skip


def _threshold(weight: float, as_of_ms: int, cfg: ProfileConfig) -> float:
    return math.log2(weight) + (as_of_ms - WEIGHT_EPOCH_MS) / (cfg.half_life_days * DAY_MS)


def stored_total(weight_log2: float | None, as_of_ms: int, cfg: ProfileConfig) -> float:
    """The decayed total weight as of ``as_of_ms`` from a stored ``weight_log2``."""
    if weight_log2 is None:
        return 0.0
    return float(
        2.0 ** (weight_log2 - (as_of_ms - WEIGHT_EPOCH_MS) / (cfg.half_life_days * DAY_MS))
    )


def list_filter(
    cfg: ProfileConfig, as_of: datetime, *, stage: str | None = None, interest: str | None = None,
    persona: str | None = None, engagement: str | None = None,
) -> ListFilter:  # fmt: skip
    """Validate the filters and turn engagement thresholds into stored-weight comparisons."""
    if engagement is not None and engagement not in ENGAGEMENT_LEVELS:
        raise ValidationError(
            f"unknown engagement level {engagement!r}; allowed: {', '.join(ENGAGEMENT_LEVELS)}"
        )
    try:
        stage = normalise_stage(stage) if stage else None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    at = epoch_ms(as_of)
    return ListFilter(
        stage=stage, interest=interest or None, persona=persona or None, engagement=engagement,
        hot_since_ms=int(at - cfg.hot_window_days * DAY_MS),
        hot_log2=_threshold(cfg.hot_weight, at, cfg),
        warm_log2=_threshold(cfg.warm_weight, at, cfg),
    )  # fmt: skip


def profiles_list(
    engine: Engine, workspace_id: int, cfg: ProfileConfig, f: ListFilter, as_of: datetime,
    limit: int = 50, offset: int = 0,
) -> tuple[int, list[ProfileSummary]]:  # fmt: skip
    """Matching profiles, heaviest first, each with its engagement as of ``as_of``."""
    at = epoch_ms(as_of)
    with engine.connect() as conn:
        total, rows = list_profiles(conn, workspace_id, f, limit, offset)
    out = []
    for r in rows:
        weight = stored_total(r.weight_log2, at, cfg)
        level = engagement_level(weight, r.last_hot_at_ms, at, cfg)
        out.append(ProfileSummary(r, level, weight))
    return total, out
