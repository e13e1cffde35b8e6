"""``GET /v1/content/influence``: pipeline and won revenue of the deals each asset touched.

Mounted before the catalog router, so ``influence`` is never read as an ``asset_id``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from leadloop.api.deps import AdminKey, ContainerDep
from leadloop.api.schemas import ErrorBody
from leadloop.services.content_influence import influence_report

router = APIRouter(prefix="/v1/content", tags=["content"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Deals in several currencies: pass `currency`."},
    401: {"model": ErrorBody, "description": "Missing or unknown key, or not an admin key."},
    422: {"model": ErrorBody, "description": "A query parameter is not allowed."},
}


class InfluencePublic(BaseModel):
    """One asset in one period (influence: every asset gets each deal's whole amount)."""

    period: str = Field(description="`2026-Q2`, `2026-05`, `2026`, or `all`.")
    asset_id: str
    title: str | None = Field(description="From the content catalog; null when not catalogued.")
    buying_stage: str | None
    format: str | None
    opportunities: int = Field(description="Opportunities created in the period it touched.")
    pipeline: float = Field(description="Their amount (pipeline influenced).")
    won_deals: int = Field(description="Deals it touched that were won in the period.")
    won_revenue: float = Field(description="Their amount (won revenue influenced).")


class InfluencesPublic(BaseModel):
    data: list[InfluencePublic]
    count: int = Field(description="Rows before `limit`.")


@router.get("/influence", response_model=InfluencesPublic, responses=RESPONSES)
def content_influence(
    container: ContainerDep,
    key: AdminKey,
    by: Literal["month", "quarter", "year"] | None = Query(
        None, description="Period grain; all time when left out."
    ),
    stage: str | None = Query(None, description="Only assets of this buying stage."),
    fmt: str | None = Query(None, alias="format", description="Only assets of this format."),
    currency: str | None = Query(None, description="Only deals in this currency (`USD`)."),
    limit: int = Query(100, ge=1, le=10_000, description="Rows to return."),
) -> InfluencesPublic:
    """Per asset: deals its readers were on, pipeline and won revenue (tagged content)."""
    rows = influence_report(
        container.engine, key.workspace_id, grain=by, stage=stage, fmt=fmt, currency=currency
    )
    data = [InfluencePublic.model_validate(r, from_attributes=True) for r in rows[:limit]]
    return InfluencesPublic(data=data, count=len(rows))
