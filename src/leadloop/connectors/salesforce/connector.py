"""Salesforce through simple-salesforce: Lead/Contact + Task push, Opportunity pulls.

Incremental pulls filter on ``SystemModstamp`` (it changes with every write, system ones
included) and follow ``nextRecordsUrl`` page by page; ``bulk=True`` runs a Bulk API 2.0
query job and reads its CSV results by locator, for first loads of millions of rows.
Daily limits are read from ``/limits`` before a sync and from every response's
``Sforce-Limit-Info`` header; the sync stops, cursor kept, before the org runs dry.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)
from simple_salesforce.format import format_soql

from leadloop.connectors.base import Backoff, RetryLater
from leadloop.domain.connectors import RawRecord
from leadloop.domain.crm import ContactRole, CrmAccount, CrmOwner, PushResult, SalesReadyLead
from leadloop.domain.crm_mapping import FieldMapping, parse_flag
from leadloop.errors import ConnectorError, RateLimitedError

logger = logging.getLogger(__name__)
T = TypeVar("T")
ID_CHUNK = 200
"""Ids per ``IN (...)`` clause: keeps every SOQL statement far below its length limit."""


def _errors(exc: SalesforceError) -> list[dict[str, Any]]:
    content = exc.content
    if isinstance(content, dict):
        content = [content]
    items: list[Any] = list(content) if isinstance(content, list) else []
    return [c for c in items if isinstance(c, dict)]


def _error_codes(exc: SalesforceError) -> set[str]:
    return {str(c.get("errorCode")) for c in _errors(exc)}


def classify(exc: Exception) -> RetryLater | None:
    """Retry 429/503; stop at once on a daily limit; anything else is a real error."""
    if isinstance(exc, SalesforceRefusedRequest) and "REQUEST_LIMIT_EXCEEDED" in _error_codes(exc):
        raise RateLimitedError(
            "Salesforce daily API request limit exceeded (REQUEST_LIMIT_EXCEEDED); the sync "
            "kept its cursor: run it again once the org's 24-hour window frees requests",
            reason="REQUEST_LIMIT_EXCEEDED",
        ) from exc
    if isinstance(exc, SalesforceGeneralError) and exc.status in (429, 503):
        return RetryLater(f"HTTP {exc.status}")
    return None


def clean(record: Mapping[str, Any]) -> dict[str, Any]:
    """A query record without Salesforce's ``attributes`` blocks (also in related records)."""
    return {
        k: clean(v) if isinstance(v, Mapping) else v for k, v in record.items() if k != "attributes"
    }


def soql_time(value: datetime) -> str:
    """A SOQL datetime literal: ``2026-01-02T03:04:05Z`` (UTC, whole seconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def history_text(lead: SalesReadyLead) -> str:
    """The Task body sales reads: why the lead qualified, then what it read, newest first."""
    lines = ["Why sales-ready:", *(f"- {r}" for r in lead.reasons), "", "Reading history:"]
    for item in sorted(lead.reading_history, key=lambda i: i.at, reverse=True):
        stage = f"[{item.buying_stage}] " if item.buying_stage else ""
        depth = f" ({item.depth})" if item.depth else ""
        url = f" {item.url}" if item.url else ""
        lines.append(f"{item.at:%Y-%m-%d %H:%M} {stage}{item.title}{depth}{url}")
    return "\n".join(lines)[:32000]


class SalesforceConnector:
    """:class:`~leadloop.domain.connectors.CrmConnector` for Salesforce."""

    name = "salesforce"

    def __init__(
        self,
        sf: Salesforce,
        mapping: FieldMapping,
        *,
        backoff: Backoff | None = None,
        page_size: int = 2000,
        daily_reserve: int = 1000,
        lead_external_id: str = "Leadloop_Contact_Id__c",
        campaign_id: str | None = None,
        bulk_wait: float = 2.0,
    ) -> None:
        self.sf: Any = sf  # simple-salesforce resolves sObjects dynamically
        self.mapping = mapping
        self.backoff = backoff or Backoff()
        self.page_size, self.daily_reserve = page_size, daily_reserve
        self.lead_external_id, self.campaign_id = lead_external_id, campaign_id
        self.bulk_wait = bulk_wait

    @property
    def rate_limit_waits(self) -> int:
        return self.backoff.waits

    # -- calls, limits -------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], T], *, raw_errors: bool = False) -> T:
        """One API call with backoff; Salesforce errors become :class:`ConnectorError`."""
        try:
            result = self.backoff.run(call, classify, f"salesforce {what}")
        except SalesforceError as exc:
            if raw_errors:
                raise
            first = (_errors(exc) or [{}])[0]
            raise ConnectorError(
                f"Salesforce {what} failed: HTTP {exc.status} {first.get('errorCode', '')} "
                f"{str(first.get('message', ''))[:200]}",
                status=exc.status,
            ) from exc
        self._check_usage()
        return result

    def _check_usage(self) -> None:
        usage = self.sf.api_usage.get("api-usage")
        if usage is None:
            return
        used, total = int(usage[0]), int(usage[1])
        if total - used < self.daily_reserve:
            raise RateLimitedError(
                f"Salesforce daily API requests nearly used up ({used:,} of {total:,}; "
                f"reserve {self.daily_reserve:,}); the sync stops and continues next run",
                used=used,
                total=total,
            )

    def check_limits(self) -> dict[str, int]:
        """``DailyApiRequests`` from ``/limits``; raise when fewer than the reserve remain."""
        limits = self._call("limits", self.sf.limits)
        daily = limits.get("DailyApiRequests") or {}
        remaining, maximum = int(daily.get("Remaining", 0)), int(daily.get("Max", 0))
        if remaining < self.daily_reserve:
            raise RateLimitedError(
                f"Salesforce has {remaining:,} of {maximum:,} daily API requests left, below "
                f"the reserve of {self.daily_reserve:,}; sync later or lower "
                "LEADLOOP_SALESFORCE_DAILY_RESERVE",
                remaining=remaining,
            )
        return {"remaining": remaining, "max": maximum}

    def _query(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of a SOQL query, following ``nextRecordsUrl``."""
        options = {"Sforce-Query-Options": f"batchSize={self.page_size}"}
        page = self._call("query", lambda: self.sf.query(soql, headers=options))
        while True:
            yield [clean(r) for r in page.get("records", [])]
            if page.get("done", True):
                return
            url: str = page["nextRecordsUrl"]
            page = self._call("query_more", partial(self._more, url, options))

    def _more(self, url: str, options: dict[str, str]) -> Any:
        return self.sf.query_more(url, identifier_is_url=True, headers=options)

    # -- pulls ---------------------------------------------------------------------------

    def _select(self) -> str:
        return f"SELECT {', '.join(self.mapping.crm_fields())} FROM Opportunity"

    def opportunities(
        self, since: datetime | None, *, bulk: bool = False
    ) -> Iterator[Sequence[RawRecord]]:
        modstamp = self.mapping.crm_field("last_modified") or "SystemModstamp"
        where = f" WHERE {modstamp} >= {soql_time(since)}" if since else ""
        if bulk:
            yield from self._bulk(self._select() + where)
            return
        yield from self._query(f"{self._select()}{where} ORDER BY {modstamp} ASC, Id ASC")

    def _bulk(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        job = self.sf.bulk2.Opportunity
        pages = job.query(soql, max_records=self.page_size, wait=self.bulk_wait)
        for text in pages:
            rows = csv.DictReader(io.StringIO(str(text)))
            yield [{k: (v if v != "" else None) for k, v in row.items()} for row in rows]

    def opportunities_by_id(self, crm_ids: Sequence[str]) -> list[RawRecord]:
        out: list[RawRecord] = []
        for start in range(0, len(crm_ids), ID_CHUNK):
            ids = list(crm_ids[start : start + ID_CHUNK])
            soql = format_soql(self._select() + " WHERE Id IN {ids}", ids=ids)
            for page in self._query(soql):
                out.extend(page)
        return out

    def contact_roles(self, opportunity_ids: Sequence[str]) -> list[ContactRole]:
        out: list[ContactRole] = []
        select = (
            "SELECT Id, OpportunityId, ContactId, Contact.Email, Role, IsPrimary "
            "FROM OpportunityContactRole WHERE OpportunityId IN {ids}"
        )
        for start in range(0, len(opportunity_ids), ID_CHUNK):
            ids = list(opportunity_ids[start : start + ID_CHUNK])
            for page in self._query(format_soql(select, ids=ids)):
                out.extend(
                    ContactRole(
                        opportunity_crm_id=str(r["OpportunityId"]),
                        contact_crm_id=r.get("ContactId"),
                        email=(r.get("Contact") or {}).get("Email"),
                        role=r.get("Role"),
                        is_primary=bool(parse_flag(r.get("IsPrimary"))),
                    )
                    for r in page
                )
        return out

    def accounts(self, crm_ids: Sequence[str]) -> list[CrmAccount]:
        out: list[CrmAccount] = []
        for start in range(0, len(crm_ids), ID_CHUNK):
            ids = list(crm_ids[start : start + ID_CHUNK])
            soql = format_soql(
                "SELECT Id, Name, Website, OwnerId FROM Account WHERE Id IN {ids}", ids=ids
            )
            for page in self._query(soql):
                out.extend(
                    CrmAccount(r["Id"], r.get("Name"), r.get("Website"), r.get("OwnerId"))
                    for r in page
                )
        return out

    def owners(self) -> list[CrmOwner]:
        soql = "SELECT Id, Name, Email FROM User WHERE IsActive = true"
        return [
            CrmOwner(r["Id"], r.get("Name"), r.get("Email"))
            for page in self._query(soql)
            for r in page
        ]

    # -- push ----------------------------------------------------------------------------

    def push_lead(self, lead: SalesReadyLead) -> PushResult:
        """Task on the existing Contact with that e-mail, else upsert a Lead by external id."""
        found = self._call(
            "query",
            lambda: self.sf.query(
                format_soql("SELECT Id FROM Contact WHERE Email = {e} LIMIT 1", e=lead.email)
            ),
        )
        records = found.get("records") or []
        if records:
            target, crm_id, created = "Contact", str(records[0]["Id"]), False
        else:
            target = "Lead"
            crm_id, created = self._upsert_lead(lead)
        task = self._call(
            "create Task",
            lambda: self.sf.Task.create(
                {
                    "WhoId": crm_id,
                    "Subject": f"Sales-ready lead: {(lead.reasons or ('Leadloop',))[0]}"[:255],
                    "Description": history_text(lead),
                    "Status": "Completed",
                    "Priority": "High",
                    "ActivityDate": datetime.now(UTC).date().isoformat(),
                }
            ),
        )
        if self.campaign_id:
            self._join_campaign(target, crm_id)
        return PushResult(target, crm_id, created, str(task.get("id")))

    def _upsert_lead(self, lead: SalesReadyLead) -> tuple[str, bool]:
        first, _, last = (lead.name or "").strip().rpartition(" ")
        body = {
            "FirstName": first or None,
            "LastName": (last or lead.email.split("@")[0])[:80],
            "Email": lead.email,
            "Company": (lead.account_name or lead.account_domain or "[not provided]")[:255],
            "LeadSource": "Leadloop",
            "Description": "\n".join(lead.reasons)[:32000] or None,
        }
        key = f"{self.lead_external_id}/{lead.contact_id}"
        response = self._call(
            "upsert Lead",
            lambda: self.sf.Lead.upsert(
                key, {k: v for k, v in body.items() if v}, raw_response=True
            ),
        )
        data = response.json() if getattr(response, "content", b"") else {}
        if data.get("id"):
            return str(data["id"]), bool(data.get("created", response.status_code == 201))
        found = self._call(
            "get Lead",
            lambda: self.sf.Lead.get_by_custom_id(self.lead_external_id, str(lead.contact_id)),
        )
        return str(found["Id"]), response.status_code == 201

    def _join_campaign(self, target: str, crm_id: str) -> None:
        member = {"CampaignId": self.campaign_id, f"{target}Id": crm_id, "Status": "Responded"}
        try:
            self._call(
                "create CampaignMember",
                lambda: self.sf.CampaignMember.create(member),
                raw_errors=True,
            )
        except SalesforceMalformedRequest as exc:
            if "DUPLICATE_VALUE" not in _error_codes(exc):
                raise ConnectorError(
                    f"Salesforce refused the campaign membership of {target} {crm_id}: "
                    f"{_errors(exc)[:1]}"
                ) from exc
