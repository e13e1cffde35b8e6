"""Leads over HTTP: their lifecycle state and history, and the sales actions."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from leadloop.api.deps import AdminKey, ContainerDep
from leadloop.api.lifecycle_schemas import (
    FunnelPublic,
    LeadActionBody,
    LeadActionResult,
    LeadPublic,
    LeadsPublic,
    LeadStatePublic,
    UserCreate,
    UserPublic,
    UsersPublic,
)
from leadloop.api.schemas import ErrorBody
from leadloop.bootstrap import Container
from leadloop.domain.stages import LIFECYCLE_STATES
from leadloop.errors import ValidationError
from leadloop.services.funnel import funnel_report
from leadloop.services.leads import ACTIONS
from leadloop.store.workspaces import KeyInfo

router = APIRouter(prefix="/v1", tags=["leads"])

ADMIN: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or non-admin key."},
    422: {"model": ErrorBody, "description": "Invalid body or parameters."},
}
ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    **ADMIN,
    400: {"model": ErrorBody, "description": "No acting user given."},
    403: {"model": ErrorBody, "description": "The user's role may not do this."},
    404: {"model": ErrorBody, "description": "Unknown lead or user."},
    409: {
        "model": ErrorBody,
        "description": "Illegal transition: `detail.allowed` lists where the lead may go.",
    },
    422: {"model": ErrorBody, "description": "Reject reason outside the configured list."},
}

DESCRIPTIONS = {
    "accept": "Sales accepts a sales-ready lead.",
    "reject": "Sales rejects a sales-ready lead, with a reason from the configured list.",
    "convert": "Convert an accepted lead into an opportunity.",
    "won": "Mark the opportunity won.",
    "lost": "Mark the opportunity lost; the lead is recycled into nurture at once.",
    "recycle": "Recycle a rejected (or accepted, stalled) lead into nurture: a new cycle.",
}


@router.get("/leads", response_model=LeadsPublic, summary="List leads", responses=ADMIN)
def list_leads(
    container: ContainerDep,
    key: AdminKey,
    state: str | None = Query(default=None, description="Only leads in this lifecycle state."),
    limit: int = Query(default=100, ge=1, le=10_000),
) -> LeadsPublic:
    """Leads with a lifecycle, by id, optionally in one state."""
    if state is not None and state not in LIFECYCLE_STATES:
        raise ValidationError(
            f"unknown state {state!r}; allowed: {', '.join(LIFECYCLE_STATES)}", state=state
        )
    rows = container.leads.list(key.workspace_id, state, limit)
    return LeadsPublic(leads=[LeadStatePublic.of(r) for r in rows])


@router.get(
    "/leads/{lead_id}",
    response_model=LeadPublic,
    summary="One lead",
    responses={**ADMIN, 404: {"model": ErrorBody, "description": "Unknown lead."}},
)
def show_lead(lead_id: int, container: ContainerDep, key: AdminKey) -> LeadPublic:
    """State, cycle, every transition and every qualification with its reasons."""
    return LeadPublic.of(container.leads.show(key.workspace_id, lead_id))


@router.get("/funnel", response_model=FunnelPublic, summary="Funnel measures", responses=ADMIN)
def funnel(
    container: ContainerDep,
    key: AdminKey,
    period: Literal["month", "quarter"] = Query(default="month"),
) -> FunnelPublic:
    """Conversion between stages, nurture period and time in stage, per month or quarter."""
    return FunnelPublic.of(funnel_report(container.lead_store, key.workspace_id, period))


def _action_route(action: str) -> None:
    def act(
        lead_id: int, body: LeadActionBody, container: ContainerDep, key: AdminKey
    ) -> LeadActionResult:
        return _act(container, key, lead_id, action, body)

    act.__doc__ = DESCRIPTIONS[action] + " Repeating it is a no-op (`changed: false`)."
    router.post(
        f"/leads/{{lead_id}}/{action}",
        response_model=LeadActionResult,
        summary=f"{action.capitalize()} a lead",
        operation_id=f"lead_{action}",
        responses=ACTION_ERRORS,
    )(act)


def _act(
    container: Container, key: KeyInfo, lead_id: int, action: str, body: LeadActionBody
) -> LeadActionResult:
    result = container.leads.act(
        key.workspace_id, lead_id, action, user_email=body.user, reason=body.reason
    )
    return LeadActionResult(lead=LeadPublic.of(result.lead), changed=result.changed)


for _action in ACTIONS:
    _action_route(_action)


@router.post(
    "/users",
    response_model=UserPublic,
    status_code=201,
    summary="Add a user",
    tags=["users"],
    responses={
        **ADMIN,
        400: {"model": ErrorBody, "description": "Bad e-mail or role."},
        409: {"model": ErrorBody, "description": "The user exists."},
    },
)
def add_user(body: UserCreate, container: ContainerDep, key: AdminKey) -> UserPublic:
    """A person who signs rules (marketing, sales) or acts on leads (sales, admin)."""
    return UserPublic.of(container.users.add(key.workspace_id, body.email, body.role, body.name))


@router.get(
    "/users", response_model=UsersPublic, summary="List users", tags=["users"], responses=ADMIN
)
def list_users(container: ContainerDep, key: AdminKey) -> UsersPublic:
    """Every user of the workspace with their role."""
    return UsersPublic(users=[UserPublic.of(u) for u in container.users.list(key.workspace_id)])
