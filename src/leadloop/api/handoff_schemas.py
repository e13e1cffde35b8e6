"""Bodies of the hand-off routes: outbox, webhook endpoints, service levels."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class OutboxItemPublic(BaseModel):
    """One notification and where its delivery stands."""

    id: int
    delivery_id: str = Field(description="Sent as `Leadloop-Delivery-Id`; stable across retries.")
    channel: Literal["webhook", "email"]
    event: str
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    leads: int = Field(description="Hand-offs carried (more than one when batched).")
    endpoint_id: int | None = None
    recipient: str | None = None
    available_at: datetime = Field(description="When the next attempt is due.")
    created_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None


class OutboxPublic(BaseModel):
    items: list[OutboxItemPublic]


class Replayed(BaseModel):
    replayed: list[int] = Field(description="Outbox ids queued again.")


class WebhookCreate(BaseModel):
    """A receiver URL and either a secret, the name of a variable holding it, or neither."""

    url: str = Field(description="http(s) URL that receives signed POSTs.")
    secret: str | None = Field(default=None, description="Signing secret, 16+ characters.")
    secret_env: str | None = Field(
        default=None, description="Environment variable the worker reads the secret from."
    )


class WebhookPublic(BaseModel):
    id: int
    url: str
    active: bool
    created_at: datetime
    secret_env: str | None = None


class WebhookCreated(WebhookPublic):
    secret: str | None = Field(
        default=None, description="The signing secret, returned only in this answer."
    )


class WebhooksPublic(BaseModel):
    items: list[WebhookPublic]


class RepServiceLevelPublic(BaseModel):
    rep_id: int
    name: str
    email: str
    handed_off: int = Field(description="Hand-offs the rep holds.")
    pending: int = Field(description="Of those, not yet accepted or rejected.")
    breaches: int = Field(description="Hand-offs the rep did not answer in time.")
    escalated: int = Field(description="Breaches that were escalated to the manager.")


class BreachPublic(BaseModel):
    hand_off_id: int
    contact_id: int
    cycle: int
    rep_id: int | None
    rep_email: str | None
    manager_id: int | None
    reassigned_to_id: int | None
    escalated: bool
    due_at: datetime
    detected_at: datetime


class SlaBreaches(BaseModel):
    """Per-rep summary and each breach, oldest first."""

    reps: list[RepServiceLevelPublic]
    breaches: list[BreachPublic]
    sla_response_s: float
    detail: dict[str, Any] = Field(default_factory=dict)
