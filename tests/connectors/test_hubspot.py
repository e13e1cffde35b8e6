"""hubspot-api-client against the local HubSpot endpoints: the requests it really sends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from crm_helpers import connect
from fake_hubspot import TOKEN

from leadloop.domain.crm import SalesReadyLead
from leadloop.domain.crm_mapping import opportunity_from_record
from leadloop.errors import RateLimitedError

RATE_LIMITED = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "correlationId": "c0ffee",
    "policyName": "TEN_SECONDLY_ROLLING",
}


def _deals(crm, count: int = 3) -> None:
    hs = crm.hubspot
    hs.owners.append(
        {
            "id": "77",
            "email": "rita@seller.example",
            "firstName": "Rita",
            "lastName": "Rep",
            "type": "PERSON",
            "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-01-01T00:00:00Z",
            "archived": False,
        }
    )
    hs.put("companies", "501", domain="acme.example", name="Acme")
    hs.put("contacts", "601", email="ana@acme.example")
    for n in range(1, count + 1):
        hs.put(
            "deals",
            str(n),
            dealname=f"Deal {n}",
            amount=str(500 * n),
            dealstage="closedlost" if n == 2 else "appointmentscheduled",
            hs_is_closed="true" if n == 2 else "false",
            hs_is_closed_won="false",
            createdate="2026-01-05T10:00:00.000Z",
            closedate="2026-04-30T00:00:00.000Z",
            hubspot_owner_id="77",
            dealtype="existingbusiness",
            deal_currency_code="EUR",
            hs_lastmodifieddate=f"2026-02-0{n}T12:00:00.000Z",
        )
        hs.link("companies", str(n), "501")
        hs.link("contacts", str(n), "601", "Champion")


def test_deal_search_pages_with_after_and_filters_on_hs_lastmodifieddate(crm_server, crm):
    _deals(crm, 3)
    connector, mapping, stages = connect(crm_server, "hubspot", crm_page_size=2)

    pages = list(connector.opportunities(datetime(2026, 2, 1, tzinfo=UTC)))

    assert [len(p) for p in pages] == [2, 1]
    first, second = crm.calls("POST", "/crm/v3/objects/deals/search")
    body = first.json()
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert body["filterGroups"] == [
        {
            "filters": [
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1769904000000"}
            ]
        }
    ]
    assert body["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    assert {"dealname", "amount", "dealstage", "hubspot_owner_id"} <= set(body["properties"])
    assert body["limit"] == 2 and "after" not in body
    assert second.json()["after"] == "2"
    lost = opportunity_from_record(pages[0][1], mapping, stages)
    assert (lost.status, lost.amount, lost.currency, lost.type) == (
        "lost",
        1000.0,
        "EUR",
        "expansion",
    )
    assert (lost.account_crm_id, lost.account_domain, lost.owner) == (
        "501",
        "acme.example",
        "rita@seller.example",
    )


def test_associations_use_the_v4_batch_read(crm_server, crm):
    _deals(crm, 2)
    connector, _, _ = connect(crm_server, "hubspot")

    roles = connector.contact_roles(["1", "2"])

    assert {(r.opportunity_crm_id, r.email, r.role) for r in roles} == {
        ("1", "ana@acme.example", "Champion"),
        ("2", "ana@acme.example", "Champion"),
    }
    (assoc,) = crm.calls("POST", "/crm/v4/associations/deals/contacts/batch/read")
    assert assoc.json() == {"inputs": [{"id": "1"}, {"id": "2"}]}
    (read,) = crm.calls("POST", "/crm/v3/objects/contacts/batch/read")
    assert read.json() == {"inputs": [{"id": "601"}], "properties": ["email"]}


def test_429_without_retry_after_backs_off_and_retries(crm_server, crm):
    _deals(crm, 1)
    connector, _, _ = connect(crm_server, "hubspot")
    waits: list[float] = []
    connector.backoff.sleep = waits.append
    crm.fail_next("POST", "/crm/v3/objects/deals/search", 429, RATE_LIMITED)
    crm.fail_next("POST", "/crm/v3/objects/deals/search", 429, RATE_LIMITED)

    (page,) = connector.opportunities(None)

    assert [d["id"] for d in page] == ["1"]
    assert connector.rate_limit_waits == 2 and waits == [0.01, 0.02]
    assert len(crm.calls("POST", "/crm/v3/objects/deals/search")) == 3


def test_429_with_retry_after_waits_that_long(crm_server, crm):
    connector, _, _ = connect(crm_server, "hubspot", crm_backoff_max_seconds=30)
    waits: list[float] = []
    connector.backoff.sleep = waits.append
    crm.fail_next("POST", "/crm/v3/objects/deals/search", 429, RATE_LIMITED, {"Retry-After": "7"})
    list(connector.opportunities(None))
    assert waits == [7.0]


def test_the_daily_policy_stops_without_retrying(crm_server, crm):
    connector, _, _ = connect(crm_server, "hubspot")
    crm.fail_next(
        "POST", "/crm/v3/objects/deals/search", 429, {**RATE_LIMITED, "policyName": "DAILY"}
    )
    with pytest.raises(RateLimitedError, match="daily"):
        list(connector.opportunities(None))
    assert connector.rate_limit_waits == 0


def test_push_upserts_the_contact_with_its_lifecycle_stage_and_a_note(crm_server, crm):
    connector, _, _ = connect(crm_server, "hubspot")
    lead = SalesReadyLead(7, "ana@acme.example", "Ana Silva", reasons=("hot: coverage map",))

    result = connector.push_lead(lead)

    (upsert,) = crm.calls("POST", "/crm/v3/objects/contacts/batch/upsert")
    assert upsert.json() == {
        "inputs": [
            {
                "id": "ana@acme.example",
                "idProperty": "email",
                "properties": {
                    "email": "ana@acme.example",
                    "firstname": "Ana",
                    "lastname": "Silva",
                    "lifecyclestage": "marketingqualifiedlead",
                },
            }
        ]
    }
    (note,) = crm.calls("POST", "/crm/v3/objects/notes")
    body = note.json()
    assert body["associations"] == [
        {
            "to": {"id": result.crm_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
        }
    ]
    assert "hot: coverage map" in body["properties"]["hs_note_body"]
    assert (result.crm_object, result.created) == ("contact", True)
    assert connector.push_lead(lead).created is False


def test_retries_read_deals_by_id_with_the_batch_endpoint(crm_server, crm):
    _deals(crm, 2)
    connector, _, _ = connect(crm_server, "hubspot")

    (deal,) = connector.opportunities_by_id(["2"])

    assert (deal["id"], deal["dealname"], deal["company"]["domain"]) == (
        "2",
        "Deal 2",
        "acme.example",
    )
    (read,) = crm.calls("POST", "/crm/v3/objects/deals/batch/read")
    assert read.json()["inputs"] == [{"id": "2"}]
    assert crm.calls("GET", "/crm/v3/owners")[0].query["limit"] == ["100"]
