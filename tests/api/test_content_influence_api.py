"""``GET /v1/content/influence``: the influence report over HTTP, with an admin key."""

from __future__ import annotations

from api_helpers import Api, assert_error

from sale_helpers import influence_world


def test_the_report_answers_per_asset_and_quarter(api: Api, container, workspace):
    influence_world(container, workspace.id)
    admin = {"Authorization": f"Bearer {workspace.admin_key}"}

    every = api.request("GET", "/v1/content/influence", headers=admin)
    quarter = api.request(
        "GET", "/v1/content/influence", params={"by": "quarter", "limit": 1}, headers=admin
    )
    purchase = api.request(
        "GET", "/v1/content/influence", params={"stage": "purchase"}, headers=admin
    )

    assert every.status_code == 200, every.text
    first = every.json()["data"][0]
    assert first == {
        "period": "all", "asset_id": "wp-need", "title": "The cost of downtime",
        "buying_stage": "awareness", "format": "white paper", "opportunities": 3,
        "pipeline": 16500.0, "won_deals": 1, "won_revenue": 10000.0,
    }  # fmt: skip
    assert (quarter.json()["count"], len(quarter.json()["data"])) == (4, 1)
    assert quarter.json()["data"][0]["period"] == "2026-Q1"
    assert [r["asset_id"] for r in purchase.json()["data"]] == ["price-list"]


def test_it_needs_an_admin_key_and_a_known_grain(api: Api, workspace):
    assert_error(
        api.request("GET", "/v1/content/influence", auth=(workspace.write_key, "")),
        401,
        "unauthorized",
    )
    admin = {"Authorization": f"Bearer {workspace.admin_key}"}
    bad = api.request("GET", "/v1/content/influence", params={"by": "week"}, headers=admin)
    assert_error(bad, 422, "invalid_request")


def test_the_route_is_documented(api: Api):
    spec = api.request("GET", "/openapi.json").json()
    operation = spec["paths"]["/v1/content/influence"]["get"]
    assert operation["summary"] and operation["security"] == [{"adminKey": []}]
    assert {"200", "400", "401", "422"} <= set(operation["responses"])
    params = {p["name"] for p in operation["parameters"]}
    assert params == {"by", "stage", "format", "currency", "limit"}
    row = spec["components"]["schemas"]["InfluencePublic"]
    assert set(row["properties"]) >= {"asset_id", "pipeline", "won_revenue", "won_deals"}
