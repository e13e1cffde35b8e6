"""The content catalog API: list, read, create, replace, patch and delete items (admin key).

Bodies are checked by the same domain validator as catalog files, so the messages match
what `leadloop content validate` says; bad fields answer 422 ``{code, message, detail}``
with ``detail.field`` naming the first bad field and ``detail.problems`` listing all.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from leadloop.api.content_schemas import (
    ContentCreate,
    ContentPublic,
    ContentsPublic,
    ContentUpdate,
)
from leadloop.api.deps import AdminKey, ContainerDep
from leadloop.api.schemas import ErrorBody
from leadloop.services import catalog
from leadloop.store.catalog import StoredContent

router = APIRouter(prefix="/v1/content", tags=["content"])

_401 = {"model": ErrorBody, "description": "Missing or unknown key, or not an admin key."}
_404 = {"model": ErrorBody, "description": "No catalog item with this asset_id."}
_409 = {"model": ErrorBody, "description": "The asset_id or url is already catalogued."}
_422 = {"model": ErrorBody, "description": "Invalid field(s); `detail.field` names the first."}
READ: dict[int | str, dict[str, Any]] = {401: _401, 422: _422}
ONE: dict[int | str, dict[str, Any]] = {401: _401, 404: _404, 422: _422}
CREATE: dict[int | str, dict[str, Any]] = {401: _401, 409: _409, 422: _422}
WRITE: dict[int | str, dict[str, Any]] = {401: _401, 404: _404, 409: _409, 422: _422}


def _public(stored: StoredContent) -> ContentPublic:
    i = stored.item
    return ContentPublic(
        asset_id=i.asset_id, url=i.url, title=i.title, format=i.format,
        buying_stage=i.buying_stage, topics=list(i.topics), personas=list(i.personas),
        segments=list(i.segments), signal=i.signal, hot=i.is_hot,
        created_at=stored.created_at, updated_at=stored.updated_at,
    )  # fmt: skip


@router.get("", response_model=ContentsPublic, responses=READ)
def list_content(
    container: ContainerDep,
    key: AdminKey,
    stage: str | None = Query(None, description="Only this buying stage."),
    topic: str | None = Query(None, description="Only items tagged with this topic."),
    persona: str | None = Query(None, description="Only items for this persona."),
    segment: str | None = Query(None, description="Only items for this segment."),
    fmt: str | None = Query(None, alias="format", description="Only this format (`video book`)."),
    limit: int = Query(100, ge=1, le=1000, description="Items per page."),
    offset: int = Query(0, ge=0, description="Items to skip."),
) -> ContentsPublic:
    """Catalog items ordered by asset_id, filtered by stage, topic, persona, segment, format."""
    found = catalog.find_content(
        container.engine, key.workspace_id, stage=stage, topic=topic, persona=persona,
        segment=segment, fmt=fmt,
    )  # fmt: skip
    page = [_public(s) for s in found[offset : offset + limit]]
    return ContentsPublic(data=page, count=len(found), limit=limit, offset=offset)


@router.get("/{asset_id}", response_model=ContentPublic, responses=ONE)
def get_content(asset_id: str, container: ContainerDep, key: AdminKey) -> ContentPublic:
    """One catalog item by asset_id."""
    return _public(catalog.get_content(container.engine, key.workspace_id, asset_id))


@router.post("", response_model=ContentPublic, status_code=201, responses=CREATE)
def create_content(body: ContentCreate, container: ContainerDep, key: AdminKey) -> ContentPublic:
    """Add an item; 409 when its asset_id or url is already catalogued."""
    values = body.model_dump()
    return _public(catalog.create_content(container.engine, key.workspace_id, values))


@router.put("/{asset_id}", response_model=ContentPublic, responses=WRITE)
def replace_content(
    asset_id: str, body: ContentCreate, container: ContainerDep, key: AdminKey
) -> ContentPublic:
    """Replace every field of an item (the body's asset_id must be the path's)."""
    values = body.model_dump()
    return _public(catalog.replace_content(container.engine, key.workspace_id, asset_id, values))


@router.patch("/{asset_id}", response_model=ContentPublic, responses=WRITE)
def patch_content(
    asset_id: str, body: ContentUpdate, container: ContainerDep, key: AdminKey
) -> ContentPublic:
    """Change the fields sent; the others keep their value."""
    changes = body.model_dump(exclude_unset=True)
    return _public(catalog.patch_content(container.engine, key.workspace_id, asset_id, changes))


@router.delete("/{asset_id}", status_code=204, response_class=Response, responses=ONE)
def delete_content(asset_id: str, container: ContainerDep, key: AdminKey) -> Response:
    """Remove an item from the catalog (events that name it are kept)."""
    catalog.delete_content(container.engine, key.workspace_id, asset_id)
    return Response(status_code=204)
