"""HubSpot through hubspot-api-client: contacts + notes pushed, deals pulled with search.

Deals are pulled with the CRM search API on ``hs_lastmodifieddate`` (``GTE`` the cursor,
ascending, paging with ``after``); a search stops at 10,000 results, so a long pull
restarts from the last timestamp it saw. Each page's companies and contacts come from
the v4 batch association endpoint and one batch read per object type. HubSpot answers a
burst with ``429`` and a ``policyName`` but usually no ``Retry-After``: back off and retry,
except for the ``DAILY`` policy, which stops the sync (cursor kept).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from hubspot import HubSpot

from leadloop.connectors.base import Backoff, RetryLater, retry_after_seconds
from leadloop.connectors.salesforce.connector import history_text
from leadloop.domain.connectors import RawRecord
from leadloop.domain.crm import ContactRole, CrmAccount, CrmOwner, PushResult, SalesReadyLead
from leadloop.domain.crm_mapping import FieldMapping, parse_time
from leadloop.errors import ConnectorError, RateLimitedError

logger = logging.getLogger(__name__)
T = TypeVar("T")
SEARCH_WINDOW = 10_000
"""HubSpot's search API returns at most this many results for one query."""
NOTE_TO_CONTACT = 202
"""HubSpot-defined association type id: note → contact."""


def _body(exc: Exception) -> dict[str, Any]:
    try:
        data = json.loads(getattr(exc, "body", None) or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _is_api_error(exc: Exception) -> bool:
    return type(exc).__name__ == "ApiException" and hasattr(exc, "status")


def classify(exc: Exception) -> RetryLater | None:
    """429 and 5xx are retried; the daily policy and every other error are not."""
    if not _is_api_error(exc):
        return None
    status = int(getattr(exc, "status", 0) or 0)
    if status == 429:
        policy = str(_body(exc).get("policyName", ""))
        if policy.upper() == "DAILY":
            raise RateLimitedError(
                "HubSpot daily API limit reached (policy DAILY); the sync kept its cursor: "
                "run it again after midnight in the portal's time zone",
                reason=policy,
            ) from exc
        headers = getattr(exc, "headers", None) or {}
        return RetryLater(
            f"429 {policy or 'rate limit'}", retry_after_seconds(headers.get("Retry-After"))
        )
    if status in (502, 503, 504):
        return RetryLater(f"HTTP {status}")
    return None


def _ms(value: datetime) -> str:
    return str(int(value.astimezone(UTC).timestamp() * 1000))


class HubSpotConnector:
    """:class:`~leadloop.domain.connectors.CrmConnector` for HubSpot."""

    name = "hubspot"

    def __init__(
        self,
        client: HubSpot,
        mapping: FieldMapping,
        *,
        backoff: Backoff | None = None,
        page_size: int = 100,
        lifecycle_stage: str = "marketingqualifiedlead",
    ) -> None:
        self.client, self.mapping = client, mapping
        self.backoff = backoff or Backoff()
        self.page_size = min(page_size, 200)
        self.lifecycle_stage = lifecycle_stage
        self._owners: dict[str, CrmOwner] | None = None

    @property
    def rate_limit_waits(self) -> int:
        return self.backoff.waits

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return self.backoff.run(call, classify, f"hubspot {what}")
        except Exception as exc:
            if not _is_api_error(exc):
                raise
            message = str(_body(exc).get("message", ""))[:200]
            raise ConnectorError(
                f"HubSpot {what} failed: HTTP {getattr(exc, 'status', '?')} {message}",
                status=getattr(exc, "status", None),
            ) from exc

    # -- deals ---------------------------------------------------------------------------

    def _properties(self) -> list[str]:
        props = [f for f in self.mapping.crm_fields() if "." not in f and f != "id"]
        return [*props, "hubspot_owner_id"] if "hubspot_owner_id" not in props else props

    def _search(self, since: datetime | None, after: str | None) -> Any:
        modified = self.mapping.crm_field("last_modified") or "hs_lastmodifieddate"
        request: dict[str, Any] = {
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
            "properties": self._properties(),
            "limit": self.page_size,
        }
        if since is not None:
            request["filterGroups"] = [
                {"filters": [{"propertyName": modified, "operator": "GTE", "value": _ms(since)}]}
            ]
        if after:
            request["after"] = after
        return self._call(
            "deal search", lambda: self.client.crm.deals.search_api.do_search(request)
        )

    def opportunities(
        self, since: datetime | None, *, bulk: bool = False
    ) -> Iterator[Sequence[RawRecord]]:
        """Pages of deals, oldest change first; ``bulk`` is the same search (no bulk API)."""
        after: str | None = None
        while True:
            page = self._search(since, after)
            deals = [{"id": d.id, **(d.properties or {})} for d in page.results or []]
            yield self._enrich(deals)
            nxt = page.paging.next.after if page.paging and page.paging.next else None
            if not nxt or not deals:
                return
            if int(nxt) >= SEARCH_WINDOW:  # the search window is full: restart from here
                last = parse_time(deals[-1].get("hs_lastmodifieddate"))
                since, after = last, None
            else:
                after = nxt

    def opportunities_by_id(self, crm_ids: Sequence[str]) -> Sequence[RawRecord]:
        if not crm_ids:
            return []
        body = {"inputs": [{"id": i} for i in crm_ids], "properties": self._properties()}
        page = self._call("deal read", lambda: self.client.crm.deals.batch_api.read(body))
        return self._enrich([{"id": d.id, **(d.properties or {})} for d in page.results or []])

    def _associated(self, ids: Sequence[str], to: str) -> dict[str, list[tuple[str, str | None]]]:
        """Deal id → [(associated id, label)] through the v4 batch read."""
        if not ids:
            return {}
        batch = {"inputs": [{"id": i} for i in ids]}
        api = self.client.crm.associations.v4.batch_api
        page = self._call(
            f"deal→{to} associations",
            lambda: api.get_page(
                from_object_type="deals",
                to_object_type=to,
                batch_input_public_fetch_associations_batch_request=batch,
            ),
        )
        out: dict[str, list[tuple[str, str | None]]] = {}
        for result in page.results or []:
            source = str(result._from.id)
            for target in result.to or []:
                labels = [t.label for t in target.association_types or [] if t.label]
                out.setdefault(source, []).append((str(target.to_object_id), (labels or [None])[0]))
        return out

    def _read(self, kind: str, ids: Sequence[str], props: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        api = getattr(self.client.crm, kind).batch_api
        body = {"inputs": [{"id": i} for i in sorted(set(ids))], "properties": props}
        page = self._call(f"{kind} read", lambda: api.read(body))
        return {str(r.id): dict(r.properties or {}) for r in page.results or []}

    def _enrich(self, deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add each deal's company (id, domain, name) and owner (id, name, email)."""
        ids = [str(d["id"]) for d in deals]
        companies = self._associated(ids, "companies")
        wanted = [c for links in companies.values() for c, _ in links[:1]]
        found = self._read("companies", wanted, ["domain", "name"])
        owners = self._owner_index() if deals else {}
        for deal in deals:
            links = companies.get(str(deal["id"])) or []
            if links:
                cid = links[0][0]
                deal["company"] = {"id": cid, **found.get(cid, {})}
            owner = owners.get(str(deal.get("hubspot_owner_id") or ""))
            if owner is not None:
                deal["owner"] = {"id": owner.crm_id, "name": owner.name, "email": owner.email}
        return deals

    def contact_roles(self, opportunity_ids: Sequence[str]) -> list[ContactRole]:
        links = self._associated(opportunity_ids, "contacts")
        emails = self._read("contacts", [c for ls in links.values() for c, _ in ls], ["email"])
        return [
            ContactRole(deal, cid, emails.get(cid, {}).get("email"), label, False)
            for deal, ls in links.items()
            for cid, label in ls
        ]

    def accounts(self, crm_ids: Sequence[str]) -> list[CrmAccount]:
        found = self._read("companies", crm_ids, ["domain", "name", "hubspot_owner_id"])
        return [
            CrmAccount(i, p.get("name"), p.get("domain"), p.get("hubspot_owner_id"))
            for i, p in found.items()
        ]

    def _owner_index(self) -> dict[str, CrmOwner]:
        if self._owners is None:
            self._owners = {o.crm_id: o for o in self.owners()}
        return self._owners

    def owners(self) -> list[CrmOwner]:
        out: list[CrmOwner] = []
        after: str | None = None
        api = self.client.crm.owners.owners_api
        while True:
            kwargs: dict[str, Any] = {"limit": 100, **({"after": after} if after else {})}
            page = self._call("owners", partial(api.get_page, **kwargs))
            for o in page.results or []:
                name = " ".join(p for p in (o.first_name, o.last_name) if p) or None
                out.append(CrmOwner(str(o.id), name, o.email))
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return out

    # -- push ----------------------------------------------------------------------------

    def push_lead(self, lead: SalesReadyLead) -> PushResult:
        """Upsert the contact by e-mail with its lifecycle stage, then a note on it."""
        first, _, last = (lead.name or "").strip().rpartition(" ")
        props = {"email": lead.email, "firstname": first, "lastname": last,
                 "lifecyclestage": self.lifecycle_stage}  # fmt: skip
        upsert = {"inputs": [{"id": lead.email, "idProperty": "email",
                              "properties": {k: v for k, v in props.items() if v}}]}  # fmt: skip
        api = self.client.crm.contacts.batch_api
        result = self._call("contact upsert", lambda: api.upsert(upsert)).results[0]
        body = history_text(lead).replace("\n", "<br>")
        note = {
            "properties": {"hs_timestamp": datetime.now(UTC).isoformat(), "hs_note_body": body},
            "associations": [
                {
                    "to": {"id": result.id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": NOTE_TO_CONTACT,
                        }
                    ],
                }
            ],
        }
        notes = self.client.crm.objects.notes.basic_api
        created = self._call("note create", lambda: notes.create(note))
        return PushResult(
            "contact", str(result.id), bool(getattr(result, "new", False)), str(created.id)
        )
