"""Bodies of the content catalog API (``/v1/content``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from leadloop.domain.stages import STAGES

_STAGE = f"One of {', '.join(STAGES)} (case and aliases such as `renewal` forgiven)."
_SIGNAL = "Intent weight in (0, 1], or `hot` (1.0) / `warm` (0.5); null for ordinary content."
_TERMS = "The workspace's own terms; once its taxonomy declares this kind, only declared ones."


class ContentCreate(BaseModel):
    """A new catalog item (also the full body of a replace)."""

    model_config = ConfigDict(extra="forbid")

    asset_id: str = Field(description="What tracking events carry as `properties.asset_id`.",
                          examples=["wp-cost-of-downtime"])  # fmt: skip
    url: str = Field(description="Absolute http(s) URL of the page the asset lives on.")
    title: str
    format: str = Field(description="article, white paper, video book, price list, ...")
    buying_stage: str = Field(description=_STAGE)
    topics: list[str] = Field(default_factory=list, description=_TERMS)
    personas: list[str] = Field(default_factory=list, description=_TERMS)
    segments: list[str] = Field(default_factory=list, description=_TERMS)
    signal: float | str | None = Field(default=None, description=_SIGNAL)


class ContentUpdate(BaseModel):
    """Fields to change; the fields left out keep their value (``null`` clears ``signal``)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    title: str | None = None
    format: str | None = None
    buying_stage: str | None = Field(default=None, description=_STAGE)
    topics: list[str] | None = None
    personas: list[str] | None = None
    segments: list[str] | None = None
    signal: float | str | None = Field(default=None, description=_SIGNAL)


class ContentPublic(BaseModel):
    """A catalog item as stored: tags normalised (stage canonical, terms as declared)."""

    asset_id: str
    url: str
    title: str
    format: str
    buying_stage: str
    topics: list[str]
    personas: list[str]
    segments: list[str]
    signal: float | None
    hot: bool = Field(description="Consuming it signals intent to buy now (signal 1.0).")
    created_at: datetime
    updated_at: datetime


class ContentsPublic(BaseModel):
    """One page of catalog items and how many match in all."""

    data: list[ContentPublic]
    count: int = Field(description="Items matching the filters, over every page.")
    limit: int
    offset: int
