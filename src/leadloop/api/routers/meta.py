"""Health and the workspace summary."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from leadloop import __version__
from leadloop.api.deps import AdminKey, ContainerDep
from leadloop.api.schemas import ErrorBody, Health, WorkspaceSummary
from leadloop.store.summary import workspace_summary

router = APIRouter()


@router.get("/health", response_model=Health, tags=["meta"])
def health(container: ContainerDep) -> Health:
    """Liveness: the process answers and knows its store."""
    return Health(status="ok", database=container.engine.dialect.name, version=__version__)


@router.get(
    "/v1/summary",
    response_model=WorkspaceSummary,
    tags=["workspace"],
    responses={401: {"model": ErrorBody}},
)
def summary(container: ContainerDep, key: AdminKey) -> WorkspaceSummary:
    """Contacts, accounts, events by type and quarantined records of the key's workspace."""
    return WorkspaceSummary(**asdict(workspace_summary(container.engine, key.workspace_id)))
