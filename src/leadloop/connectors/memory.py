"""An in-memory CRM for service-level tests: raw records in, pages out, pushes recorded."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from leadloop.domain.connectors import RawRecord
from leadloop.domain.crm import ContactRole, CrmAccount, CrmOwner, PushResult, SalesReadyLead
from leadloop.domain.crm_mapping import FILE_FIELDS, parse_time


class MemoryConnector:
    """Opportunities as dicts in our own field names (the ``FILE_FIELDS`` mapping)."""

    mapping_fields: Mapping[str, str] = FILE_FIELDS

    def __init__(self, name: str = "memory", page_size: int = 100) -> None:
        self.name = name
        self.page_size = page_size
        self.waits = 0
        self.records: dict[str, dict[str, Any]] = {}
        self.roles: list[ContactRole] = []
        self.pushed: list[SalesReadyLead] = []

    @property
    def rate_limit_waits(self) -> int:
        return self.waits

    def put(self, **record: Any) -> None:
        self.records[str(record["crm_id"])] = record

    def opportunities(
        self, since: datetime | None, *, bulk: bool = False
    ) -> Iterator[Sequence[RawRecord]]:
        rows = sorted(
            self.records.values(), key=lambda r: (str(r.get("last_modified")), r["crm_id"])
        )
        if since is not None:
            rows = [r for r in rows if (parse_time(r.get("last_modified")) or since) >= since]
        for start in range(0, len(rows), self.page_size):
            yield rows[start : start + self.page_size]

    def opportunities_by_id(self, crm_ids: Sequence[str]) -> list[RawRecord]:
        return [self.records[i] for i in crm_ids if i in self.records]

    def contact_roles(self, opportunity_ids: Sequence[str]) -> list[ContactRole]:
        wanted = set(opportunity_ids)
        return [r for r in self.roles if r.opportunity_crm_id in wanted]

    def accounts(self, crm_ids: Sequence[str]) -> list[CrmAccount]:
        return []

    def owners(self) -> list[CrmOwner]:
        return []

    def push_lead(self, lead: SalesReadyLead) -> PushResult:
        self.pushed.append(lead)
        return PushResult("lead", f"mem-{lead.contact_id}", True, None)
