"""/v1/rules, /v1/leads and /v1/users: the same use cases as the CLI, over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from api_helpers import Api, assert_error

from leadloop.bootstrap import Container
from lifecycle_helpers import RULES_V1, add_contact, put_in_state

if TYPE_CHECKING:
    from conftest import Workspace

MIA, SAM = "mia@seller.example", "sam@seller.example"


@pytest.fixture
def admin(api: Api, workspace: Workspace) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {workspace.admin_key}"}
    for email, role in ((MIA, "marketing"), (SAM, "sales")):
        r = api.request("POST", "/v1/users", json={"email": email, "role": role}, headers=headers)
        assert r.status_code == 201, r.text
    return headers


def call(api: Api, admin: dict[str, str], method: str, path: str, **kw: Any) -> Any:
    return api.request(method, path, headers=admin, **kw)


def test_upload_approve_and_read_rule_versions(api: Api, admin: dict[str, str]) -> None:
    up = call(api, admin, "POST", "/v1/rules", json={"yaml": RULES_V1, "user": MIA})
    assert up.status_code == 201, up.text
    assert up.json()["created"] is True and up.json()["version"]["status"] == "draft"
    again = call(api, admin, "POST", "/v1/rules", json={"yaml": RULES_V1, "user": MIA})
    assert again.status_code == 200 and again.json()["created"] is False
    assert_error(call(api, admin, "GET", "/v1/rules/active"), 404, "not_found")
    first = call(api, admin, "POST", "/v1/rules/1/approve", json={"user": MIA}).json()
    assert (first["recorded"], first["activated"]) == (True, False)
    second = call(api, admin, "POST", "/v1/rules/1/approve", json={"user": SAM}).json()
    assert second["activated"] is True and second["version"]["status"] == "active"
    assert [a["role"] for a in second["version"]["approvals"]] == ["marketing", "sales"]
    listing = call(api, admin, "GET", "/v1/rules").json()
    assert listing["active_version"] == 1 and len(listing["versions"]) == 1
    assert call(api, admin, "GET", "/v1/rules/active").json()["yaml"] == RULES_V1
    assert call(api, admin, "GET", "/v1/rules/1").json()["sha256"] == second["version"]["sha256"]
    assert_error(call(api, admin, "GET", "/v1/rules/7"), 404, "not_found")


def test_an_invalid_rule_file_answers_422_with_the_line(api: Api, admin: dict[str, str]) -> None:
    bad = RULES_V1.replace("engagement: hot", "engagement: boiling")
    r = call(api, admin, "POST", "/v1/rules", json={"yaml": bad, "user": MIA, "source": "v1.yaml"})
    body = assert_error(r, 422, "invalid_rules")
    assert body["message"].startswith("v1.yaml:7: qualify_when.all[1].any[0].engagement")
    assert body["detail"]["line"] == 7


def test_a_body_without_its_fields_answers_in_the_error_shape(
    api: Api, admin: dict[str, str]
) -> None:
    body = assert_error(
        call(api, admin, "POST", "/v1/rules", json={"user": MIA}), 422, "invalid_request"
    )
    assert body["detail"]["field"] == "yaml"
    assert "yaml" in body["message"]


def test_rules_test_replays_without_storing(api: Api, admin: dict[str, str]) -> None:
    r = call(api, admin, "POST", "/v1/rules/test", json={"yaml": RULES_V1})
    assert r.status_code == 200, r.text
    assert r.json()["candidate_version"] == 1 and r.json()["active_version"] is None
    assert call(api, admin, "GET", "/v1/rules").json()["versions"] == []


def test_sales_actions_over_http(
    api: Api, admin: dict[str, str], container: Container, workspace: Workspace
) -> None:
    lead = add_contact(container.engine, workspace.id)
    put_in_state(container, workspace.id, lead, "sales_ready")
    ok = call(api, admin, "POST", f"/v1/leads/{lead}/accept", json={"user": SAM})
    assert ok.status_code == 200, ok.text
    assert ok.json()["changed"] is True and ok.json()["lead"]["state"] == "accepted"
    same = call(api, admin, "POST", f"/v1/leads/{lead}/accept", json={"user": SAM})
    assert same.status_code == 200 and same.json()["changed"] is False
    refused = call(
        api, admin, "POST", f"/v1/leads/{lead}/reject", json={"user": SAM, "reason": "no budget"}
    )
    body = assert_error(refused, 409, "illegal_transition")
    assert (
        body["message"]
        == f"lead {lead} cannot go from accepted to rejected; allowed: opportunity, recycled"
    )
    assert body["detail"]["allowed"] == ["opportunity", "recycled"]
    shown = call(api, admin, "GET", f"/v1/leads/{lead}").json()
    assert shown["state"] == "accepted"
    assert [t["to_state"] for t in shown["history"]][-2:] == ["sales_ready", "accepted"]
    assert shown["history"][-1]["actor_kind"] == "user" and shown["history"][-1]["actor_id"] == SAM
    listed = call(api, admin, "GET", "/v1/leads", params={"state": "accepted"}).json()
    assert [x["id"] for x in listed["leads"]] == [lead]
    assert_error(call(api, admin, "GET", "/v1/leads", params={"state": "mql"}), 400, "invalid")


def test_reject_reasons_and_roles(
    api: Api, admin: dict[str, str], container: Container, workspace: Workspace
) -> None:
    lead = add_contact(container.engine, workspace.id)
    put_in_state(container, workspace.id, lead, "sales_ready")
    bad = call(api, admin, "POST", f"/v1/leads/{lead}/reject", json={"user": SAM, "reason": "meh"})
    body = assert_error(bad, 422, "invalid_choice")
    assert "no budget" in body["detail"]["allowed"]
    forbidden = call(api, admin, "POST", f"/v1/leads/{lead}/accept", json={"user": MIA})
    assert_error(forbidden, 403, "forbidden")
    assert_error(call(api, admin, "GET", "/v1/leads/99999"), 404, "not_found")


def test_the_lifecycle_routes_need_an_admin_key(api: Api, workspace: Workspace) -> None:
    write = {"Authorization": f"Bearer {workspace.write_key}"}
    assert_error(api.request("GET", "/v1/leads", headers=write), 401, "unauthorized")
    assert_error(api.request("GET", "/v1/rules"), 401, "unauthorized")


def test_funnel_measures_over_http(
    api: Api, admin: dict[str, str], container: Container, workspace: Workspace
) -> None:
    lead = add_contact(container.engine, workspace.id)  # known on 1 Mar 09:00
    put_in_state(container, workspace.id, lead, "sales_ready")  # 2 Mar 09:00, via engaged
    body = call(api, admin, "GET", "/v1/funnel", params={"period": "quarter"}).json()
    assert body["period"] == "quarter"
    steps = {(c["from_state"], c["to_state"]): (c["entered"], c["converted"], c["rate"])
             for c in body["conversion"]}  # fmt: skip
    assert steps[("known", "engaged")] == (1, 1, 1.0)
    assert steps[("sales_ready", "accepted")] == (1, 0, 0.0)
    assert body["nurture_period"] == [
        {"period": "2026-Q1", "count": 1, "mean_days": 1.0, "median_days": 1.0}
    ]
    known = next(f for f in body["time_in_stage"] if f["period"] == "known")
    assert known["mean_days"] == 1.0
    assert_error(
        call(api, admin, "GET", "/v1/funnel", params={"period": "week"}), 422, "invalid_request"
    )
