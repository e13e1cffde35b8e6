"""Request and response bodies as the OpenAPI spec shows them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SegmentMessage(BaseModel):
    """One Segment-format message. Other top-level fields are accepted but not stored."""

    model_config = ConfigDict(extra="allow")

    type: Literal["track", "identify", "page", "screen", "group", "alias"] | None = Field(
        default=None, description="Implied by the path on single-message endpoints."
    )
    messageId: str | None = Field(default=None, description="Dedup key; assigned when absent.")
    anonymousId: str | None = Field(default=None, description="Device id (cookie).")
    userId: str | None = Field(default=None, description="Your id for a known person.")
    previousId: str | None = Field(default=None, description="alias: the id being merged.")
    groupId: str | None = Field(default=None, description="group: the account's id.")
    event: str | None = Field(default=None, description="track: the event name.")
    name: str | None = Field(default=None, description="page/screen: the page name.")
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = Field(
        default=None,
        description="identify: only name, firstName, lastName, email, subscribe, topic(s) are "
        "kept; the names of the others are recorded as dropped (passive profiling).",
    )
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    timestamp: str | None = Field(default=None, description="ISO-8601 time on the device.")
    sentAt: str | None = Field(default=None, description="ISO-8601 time the device sent it.")


class SegmentBatch(BaseModel):
    """Body of ``/v1/batch`` and ``/v1/b``."""

    model_config = ConfigDict(extra="allow")

    batch: list[SegmentMessage] = Field(description="At most 2,500 messages, 500 KB in all.")
    writeKey: str | None = Field(default=None, description="Write key, if not in Basic auth.")
    sentAt: str | None = None
    context: dict[str, Any] | None = Field(default=None, description="Merged into every item.")
    integrations: dict[str, Any] | None = Field(default=None, description="Merged likewise.")


class TrackingAccepted(BaseModel):
    """Answer to an accepted request: every message is stored, known duplicate, or rejected."""

    success: bool = True
    accepted: int = Field(
        description="Valid messages: stored now, already stored earlier "
        "(duplicates), or (queued) in the inbox."
    )
    duplicates: int | None = Field(
        description="Messages already stored earlier (same messageId); null when queued: the "
        "inbox drain drops them later."
    )
    rejected: int = Field(description="Messages kept in quarantine with their reason.")
    errors: list[str] = Field(default_factory=list, description="One reason per reject.")
    queued: bool = Field(
        default=False,
        description="True with `LEADLOOP_INGEST_INBOX`: the request is durable in the ingest "
        "inbox and its events appear once the drain has stored them (moments later).",
    )


class ErrorBody(BaseModel):
    """Every error answer: a stable code, a message saying what to do, and the context."""

    code: str
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    version: str


class WorkspaceSummary(BaseModel):
    """Counts that show what the store holds for the caller's workspace."""

    contacts_known: int
    contacts_anonymous: int
    accounts: int
    events: int
    events_by_type: dict[str, int]
    quarantined: int
