"""The port every CRM connector implements, in the domain's terms.

Connectors hand back raw records (the CRM's own field names) page by page; the sync maps
each one with a :class:`~leadloop.domain.crm_mapping.FieldMapping`, so one bad record is
recorded and retried on its own instead of failing the page. Pages come in
last-modified order, so the cursor can be saved after each one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from leadloop.domain.crm import ContactRole, CrmAccount, CrmOwner, PushResult, SalesReadyLead

RawRecord = Mapping[str, Any]


class CrmConnector(Protocol):
    """What the sync and the hand-off need from a CRM."""

    name: str
    """``salesforce``, ``hubspot``, ...: stored with every record it brought in."""

    @property
    def rate_limit_waits(self) -> int:
        """How many times this connector waited out a rate limit (429, Retry-After)."""
        ...

    def push_lead(self, lead: SalesReadyLead) -> PushResult:
        """Create or update the lead (or contact) and attach its reasons and reading history."""
        ...

    def opportunities(
        self, since: datetime | None, *, bulk: bool = False
    ) -> Iterator[Sequence[RawRecord]]:
        """Pages of opportunities modified at or after ``since`` (all when None), oldest first."""
        ...

    def opportunities_by_id(self, crm_ids: Sequence[str]) -> Sequence[RawRecord]:
        """The opportunities with these ids (those still in the CRM)."""
        ...

    def contact_roles(self, opportunity_ids: Sequence[str]) -> Sequence[ContactRole]:
        """The contact roles of these opportunities, with the contacts' e-mails."""
        ...

    def accounts(self, crm_ids: Sequence[str]) -> Sequence[CrmAccount]: ...

    def owners(self) -> Sequence[CrmOwner]: ...
