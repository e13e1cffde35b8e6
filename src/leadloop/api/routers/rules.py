"""The sales-ready agreement over HTTP: upload, approve, read and test rule versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from leadloop.api.deps import AdminKey, ContainerDep
from leadloop.api.errors import json_response
from leadloop.api.lifecycle_schemas import (
    ReplayPublic,
    RuleApprove,
    RuleApproved,
    RuleTest,
    RuleUpload,
    RuleUploaded,
    RuleVersionPublic,
    RuleVersionsPublic,
)
from leadloop.api.schemas import ErrorBody

router = APIRouter(prefix="/v1/rules", tags=["rules"])

ADMIN: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or non-admin key."},
    422: {"model": ErrorBody, "description": "Invalid body or parameters."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such version (or no active one)."}
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": "The rule file does not validate: `detail` has source, line and path.",
    }
}


@router.post(
    "",
    response_model=RuleUploaded,
    status_code=201,
    summary="Upload a rule version",
    responses={
        200: {"model": RuleUploaded, "description": "This exact text was already stored."},
        **ADMIN,
        404: {"model": ErrorBody, "description": "Unknown user."},
        409: {"model": ErrorBody, "description": "The version exists with other content."},
        **INVALID,
    },
)
def upload(body: RuleUpload, container: ContainerDep, key: AdminKey) -> Response:
    """Validate a rule file and store it as a draft; it is active once both sides approve."""
    result = container.rulebook.upload(key.workspace_id, body.yaml, body.user, body.source)
    out = RuleUploaded(version=RuleVersionPublic.of(result.record), created=result.created)
    return json_response(out.model_dump(mode="json"), 201 if result.created else 200)


@router.get("", response_model=RuleVersionsPublic, summary="List rule versions", responses=ADMIN)
def list_versions(container: ContainerDep, key: AdminKey) -> RuleVersionsPublic:
    """Every version, oldest first, and which one is active."""
    records = container.rulebook.list(key.workspace_id)
    active = next((r.version for r in records if r.status == "active"), None)
    return RuleVersionsPublic(
        versions=[RuleVersionPublic.of(r) for r in records], active_version=active
    )


@router.get(
    "/active",
    response_model=RuleVersionPublic,
    summary="The active rule version",
    responses={**ADMIN, **NOT_FOUND},
)
def show_active(container: ContainerDep, key: AdminKey) -> RuleVersionPublic:
    """The version in force."""
    return RuleVersionPublic.of(container.rulebook.show(key.workspace_id))


@router.get(
    "/{version}",
    response_model=RuleVersionPublic,
    summary="One rule version",
    responses={**ADMIN, **NOT_FOUND},
)
def show(version: int, container: ContainerDep, key: AdminKey) -> RuleVersionPublic:
    """A version's text, status and approvals (old versions stay readable)."""
    return RuleVersionPublic.of(container.rulebook.show(key.workspace_id, version))


@router.post(
    "/{version}/approve",
    response_model=RuleApproved,
    summary="Approve a rule version",
    responses={
        **ADMIN,
        400: {"model": ErrorBody, "description": "The user cannot sign for that side."},
        **NOT_FOUND,
        409: {"model": ErrorBody, "description": "The same person already signed the other side."},
    },
)
def approve(
    version: int, body: RuleApprove, container: ContainerDep, key: AdminKey
) -> RuleApproved:
    """Sign for marketing or sales; with both signatures the version becomes active."""
    result = container.rulebook.approve(key.workspace_id, version, body.user, body.role)
    return RuleApproved(
        version=RuleVersionPublic.of(result.record),
        recorded=result.recorded,
        activated=result.activated,
    )


@router.post(
    "/test",
    response_model=ReplayPublic,
    summary="Replay history under a draft",
    responses={**ADMIN, **INVALID},
)
def test(body: RuleTest, container: ContainerDep, key: AdminKey) -> ReplayPublic:
    """Who would qualify under the draft, and how many more or fewer than under the active one."""
    return ReplayPublic.of(container.rulebook.test(key.workspace_id, body.yaml, body.source))
