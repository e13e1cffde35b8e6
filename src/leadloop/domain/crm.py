"""CRM records in Leadloop's terms: opportunities, their contact roles, accounts, owners.

Every connector (Salesforce, HubSpot, a CSV file) turns its own records into these, so the
sync, the lifecycle and the revenue reports never see a CRM's field names. An opportunity's
``status`` is ours (``open``, ``won``, ``lost``); its ``stage`` is the CRM's own word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

OPEN: Final = "open"
WON: Final = "won"
LOST: Final = "lost"
OPPORTUNITY_STATUSES: Final = (OPEN, WON, LOST)
"""Where an opportunity stands for Leadloop, whatever the CRM calls its stages."""

NEW: Final = "new"
EXPANSION: Final = "expansion"
OPPORTUNITY_TYPES: Final = (NEW, EXPANSION)
"""Revenue from new customers or from existing ones (renewal, upsell, cross-sell)."""


@dataclass(frozen=True, slots=True)
class Opportunity:
    """One CRM opportunity (deal). Equal values mean nothing changed, so a re-sync is a no-op."""

    crm_id: str
    name: str
    stage: str
    status: str
    amount: float | None = None
    currency: str | None = None
    account_crm_id: str | None = None
    account_domain: str | None = None
    account_name: str | None = None
    created_at: datetime | None = None
    close_date: date | None = None
    owner: str | None = None
    type: str = NEW
    last_modified: datetime | None = None

    @property
    def is_closed(self) -> bool:
        return self.status != OPEN

    @property
    def is_won(self) -> bool:
        return self.status == WON


@dataclass(frozen=True, slots=True)
class ContactRole:
    """A person's part in an opportunity (decision maker, influencer, ...), matched by e-mail."""

    opportunity_crm_id: str
    contact_crm_id: str | None
    email: str | None
    role: str | None = None
    is_primary: bool = False

    @property
    def key(self) -> str:
        """What identifies the person within the opportunity: CRM id, else e-mail."""
        return self.contact_crm_id or (self.email or "").lower()


@dataclass(frozen=True, slots=True)
class CrmAccount:
    """A company as the CRM knows it; matched to our accounts by CRM id, then domain."""

    crm_id: str
    name: str | None = None
    domain: str | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class CrmOwner:
    """A salesperson who owns records in the CRM."""

    crm_id: str
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class ReadingItem:
    """One piece of content a lead consumed, as sales sees it in the CRM."""

    at: datetime
    title: str
    url: str | None = None
    buying_stage: str | None = None
    depth: str | None = None


@dataclass(frozen=True, slots=True)
class SalesReadyLead:
    """A sales-ready lead handed to the CRM with why it qualified and what it read."""

    contact_id: int
    email: str
    name: str | None = None
    account_domain: str | None = None
    account_name: str | None = None
    reasons: tuple[str, ...] = ()
    reading_history: tuple[ReadingItem, ...] = ()


@dataclass(frozen=True, slots=True)
class PushResult:
    """Where a pushed lead landed in the CRM."""

    crm_object: str
    crm_id: str
    created: bool
    activity_id: str | None = None


@dataclass(frozen=True, slots=True)
class MatchedContact:
    """An opportunity's contact role joined to our contact (``contact_id`` None: no match)."""

    contact_id: int | None
    email: str | None
    role: str | None
    is_primary: bool


@dataclass(frozen=True, slots=True)
class OpportunityChange:
    """What one sync did to one opportunity; handed to every ``on_opportunity_changed`` hook.

    ``before`` is None for a new opportunity. ``contacts`` are its contact roles matched to
    our contacts by e-mail; ``account_id`` is our account (by CRM id, then domain, then name).
    """

    workspace_id: int
    opportunity_id: int
    connector: str
    before: Opportunity | None
    after: Opportunity
    contacts: tuple[MatchedContact, ...] = field(default=())
    account_id: int | None = None

    @property
    def status_changed(self) -> bool:
        return self.before is None or self.before.status != self.after.status

    @property
    def became(self) -> str | None:
        """``open``/``won``/``lost`` when this change moved the status there, else None."""
        return self.after.status if self.status_changed else None


def contacts_to_recycle(change: OpportunityChange) -> tuple[int, ...]:
    """Our contacts to recycle into nurture: those of an opportunity that just became lost.

    >>> lost = Opportunity("006A", "Deal", "Closed Lost", LOST)
    >>> c = MatchedContact(7, "a@b.example", "Decision Maker", True)
    >>> contacts_to_recycle(OpportunityChange(1, 9, "salesforce", None, lost, (c,)))
    (7,)
    """
    if change.became != LOST:
        return ()
    return tuple(sorted({c.contact_id for c in change.contacts if c.contact_id is not None}))


def opportunity_type(value: object) -> str:
    """``new`` or ``expansion`` from the CRM's type words (Salesforce, HubSpot, free text).

    >>> opportunity_type("Existing Customer - Upgrade"), opportunity_type("newbusiness")
    ('expansion', 'new')
    """
    text = str(value or "").strip().lower()
    words = ("existing", "expansion", "upgrade", "upsell", "renewal", "cross")
    return EXPANSION if any(w in text for w in words) else NEW
