"""Profiles: a contact's, an account's (the buying group), and filtered lists (admin key)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from leadloop.api.deps import AdminKey, ContainerDep
from leadloop.api.profile_schemas import (
    AccountProfilePublic,
    ProfilePublic,
    ProfilesPublic,
    account_public,
    contact_public,
    summary_public,
)
from leadloop.api.schemas import ErrorBody
from leadloop.services.profile_reads import (
    account_profile,
    contact_profile,
    list_filter,
    profiles_list,
)
from leadloop.store.engine import as_utc, utcnow

router = APIRouter(prefix="/v1", tags=["profiles"])

AUTH: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "Missing, unknown or non-admin key."},
}
ONE = {**AUTH, 404: {"model": ErrorBody, "description": "Not in this workspace."}}
LIST = {**AUTH, 400: {"model": ErrorBody, "description": "A filter value is not allowed."}}
AsOf = Annotated[
    datetime | None,
    Query(description="Decay weights to this time (ISO-8601; default: now)."),
]


def _when(as_of: datetime | None) -> datetime:
    return as_utc(as_of) or utcnow()


@router.get(
    "/contacts/{contact_id}/profile",
    response_model=ProfilePublic,
    responses=ONE,
    summary="A contact's profile, explained",
)
def get_contact_profile(
    contact_id: int, container: ContainerDep, key: AdminKey, as_of: AsOf = None
) -> ProfilePublic:
    """A contact's profile with every inferred value explained (merged ids resolve)."""
    cp = contact_profile(
        container.engine, key.workspace_id, contact_id, container.profile_config, _when(as_of)
    )
    return contact_public(cp)


@router.get(
    "/accounts/{account_id}/profile",
    response_model=AccountProfilePublic,
    responses=ONE,
    summary="An account's buying-group profile",
)
def get_account_profile(
    account_id: int, container: ContainerDep, key: AdminKey, as_of: AsOf = None
) -> AccountProfilePublic:
    """The buying group: every member's engagements together, and each member's level."""
    ap = account_profile(
        container.engine, key.workspace_id, account_id, container.profile_config, _when(as_of)
    )
    return account_public(ap)


@router.get(
    "/profiles", response_model=ProfilesPublic, responses=LIST, summary="List profiles by filter"
)
def get_profiles(
    container: ContainerDep,
    key: AdminKey,
    stage: Annotated[str | None, Query(description="Buying stage, e.g. consideration.")] = None,
    interest: Annotated[str | None, Query(description="A topic among the top interests.")] = None,
    persona: Annotated[str | None, Query(description="CRM persona, else inferred.")] = None,
    engagement: Annotated[
        Literal["cold", "warm", "hot"] | None, Query(description="Engagement level.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    as_of: AsOf = None,
) -> ProfilesPublic:
    """Contacts' profiles matching every filter given, heaviest (decayed weight) first."""
    when = _when(as_of)
    cfg = container.profile_config
    f = list_filter(
        cfg, when, stage=stage, interest=interest, persona=persona, engagement=engagement
    )
    total, rows = profiles_list(container.engine, key.workspace_id, cfg, f, when, limit, offset)
    return ProfilesPublic(
        data=[summary_public(r) for r in rows], count=total, limit=limit, offset=offset,
        as_of=when,
    )  # fmt: skip
