"""What a hand-off to sales carries: the lead, why it qualified, and what it has read.

The lifecycle's qualification builds a :class:`HandOffRequest` and passes it to
``leadloop.services.handoff.hand_off`` inside its own transaction. Everything a salesperson
sees in the alert comes from here, so the request is self-contained and JSON-ready.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Final

RESPONSES: Final = ("accepted", "rejected")
"""How sales answers a hand-off; an answer stops the service-level clock."""

EVENT_HANDED_OFF: Final = "lead.handed_off"
EVENT_ESCALATED: Final = "lead.escalated"


@dataclass(frozen=True, slots=True)
class ReadingItem:
    """One asset the lead consumed: what, how deeply (a ``facts.GRADES`` word) and when."""

    title: str
    url: str
    grade: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AccountRef:
    """The lead's account as sales knows it."""

    id: int
    name: str | None = None
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class LeadContext:
    """What the alert shows about the lead. ``email_masked`` is never the full address."""

    name: str | None
    email_masked: str
    buying_stage: str | None
    interests: tuple[str, ...] = ()
    account: AccountRef | None = None
    persona: str | None = None
    segment: str | None = None
    region: str | None = None
    reading: tuple[ReadingItem, ...] = ()


@dataclass(frozen=True, slots=True)
class HandOffRequest:
    """Contact ``contact_id`` became sales-ready in ``cycle`` for these ``reasons``.

    ``cycle`` counts sales-ready episodes (1 for the first, 2 after one recycle, ...);
    ``reasons`` are the rule's one-sentence explanations; ``hot`` skips batching.
    """

    workspace_id: int
    contact_id: int
    cycle: int
    reasons: tuple[str, ...]
    rule_version: str
    lead: LeadContext
    hot: bool = False
    qualified_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.cycle < 1:
            raise ValueError(
                f"contact {self.contact_id}: cycle must be 1 or more, got {self.cycle}"
            )
        if not self.reasons:
            raise ValueError(f"contact {self.contact_id}: a hand-off needs at least one reason")
        if "@" in self.lead.email_masked and "***" not in self.lead.email_masked:
            raise ValueError(
                f"contact {self.contact_id}: pass the masked e-mail (a***@acme.example)"
            )


def context_document(lead: LeadContext) -> dict[str, Any]:
    """The lead context as JSON-ready data (times as ISO-8601)."""
    doc = asdict(lead)
    doc["reading"] = [{**item, "at": item["at"].isoformat()} for item in doc["reading"]]
    doc["interests"] = list(lead.interests)
    return doc


@dataclass(frozen=True, slots=True)
class HandOff:
    """A stored hand-off; ``created`` is False when the cycle was already handed over."""

    id: int
    workspace_id: int
    contact_id: int
    cycle: int
    rep_id: int | None
    strategy: str
    status: str
    created_at: datetime
    due_at: datetime
    created: bool = True
    responded_at: datetime | None = None
    outbox_ids: tuple[int, ...] = field(default_factory=tuple)
