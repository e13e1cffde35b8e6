"""The content catalog API: CRUD with an admin key, the domain validator's 422s, 404, 409."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from api_helpers import Api, assert_error

from leadloop.bootstrap import Container
from leadloop.services.catalog import load_catalog_file
from leadloop.store.content import read_content_items

if TYPE_CHECKING:
    from conftest import Workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "catalog.yaml"
MAP = {
    "asset_id": "map-coverage",
    "url": "https://www.northpeak.example/coverage",
    "title": "Fibre coverage map",
    "format": "Coverage Map",
    "buying_stage": "Consideration",
    "topics": ["business continuity"],
    "personas": ["IT Manager"],
    "signal": "hot",
}


class Admin:
    """Calls with the workspace's admin key."""

    def __init__(self, api: Api, key: str) -> None:
        self.api, self.headers = api, {"Authorization": f"Bearer {key}"}

    def __call__(self, method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return self.api.request(method, f"/v1/content{path}", headers=self.headers, **kw)


@pytest.fixture
def admin(api: Api, workspace: Workspace) -> Admin:
    return Admin(api, workspace.admin_key)


def test_create_read_replace_patch_delete(
    admin: Admin, container: Container, workspace: Any
) -> None:
    created = admin("POST", "", MAP)
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in ("format", "buying_stage", "signal", "hot", "segments")} == {
        "format": "coverage map", "buying_stage": "consideration", "signal": 1.0, "hot": True,
        "segments": [],
    }  # fmt: skip
    assert admin("GET", "/map-coverage").json() == body
    assert read_content_items(container.engine, workspace.id)["map-coverage"].is_hot

    replaced = admin("PUT", "/map-coverage", {**MAP, "title": "Coverage", "signal": None})
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["title"], replaced.json()["hot"]) == ("Coverage", False)
    assert replaced.json()["created_at"] == body["created_at"]

    patched = admin("PATCH", "/map-coverage", {"signal": 0.75, "segments": ["SMB"]})
    assert patched.status_code == 200, patched.text
    assert {k: patched.json()[k] for k in ("title", "signal", "segments")} == {
        "title": "Coverage", "signal": 0.75, "segments": ["SMB"],
    }  # fmt: skip

    assert admin("DELETE", "/map-coverage").status_code == 204
    assert_error(admin("GET", "/map-coverage"), 404, "not_found")
    assert_error(admin("DELETE", "/map-coverage"), 404, "not_found")
    assert read_content_items(container.engine, workspace.id) == {}


def test_duplicates_conflict_and_missing_items_are_not_found(admin: Admin) -> None:
    assert admin("POST", "", MAP).status_code == 201
    again = assert_error(admin("POST", "", MAP), 409, "conflict")
    assert again["detail"]["field"] == "asset_id"
    same_url = assert_error(admin("POST", "", {**MAP, "asset_id": "other"}), 409, "conflict")
    assert same_url["detail"] == {"field": "url", "asset_id": "other", "other": "map-coverage"}
    second = {**MAP, "asset_id": "price", "url": "https://www.northpeak.example/price"}
    assert admin("POST", "", second).status_code == 201
    assert_error(admin("PUT", "/price", {**second, "url": MAP["url"]}), 409, "conflict")
    assert_error(admin("PUT", "/nope", {**MAP, "asset_id": "nope"}), 404, "not_found")
    assert_error(admin("PATCH", "/nope", {"title": "x"}), 404, "not_found")


def test_invalid_fields_answer_422_naming_the_field(admin: Admin) -> None:
    bad = assert_error(admin("POST", "", {**MAP, "buying_stage": "considerate"}), 422,
                       "invalid_content")  # fmt: skip
    assert bad["detail"]["field"] == "buying_stage"
    assert bad["message"].startswith(
        "request body is not a valid catalog: buying_stage: unknown buying stage"
        " 'considerate' (did you mean 'consideration'?); allowed: epiphany"
    )
    several = admin("POST", "", {**MAP, "url": "not a url", "signal": 3})
    problems = assert_error(several, 422, "invalid_content")["detail"]["problems"]
    assert [p["field"] for p in problems] == ["url", "signal"]
    typed = assert_error(admin("POST", "", {**MAP, "topics": "x", "colour": 1}), 422,
                         "invalid_request")  # fmt: skip
    assert typed["detail"]["field"] == "topics"
    assert {p["field"] for p in typed["detail"]["problems"]} == {"topics", "colour"}
    assert_error(
        admin("POST", "", {k: v for k, v in MAP.items() if k != "url"}), 422, "invalid_request"
    )
    assert admin("POST", "", MAP).status_code == 201
    renamed = assert_error(admin("PUT", "/map-coverage", {**MAP, "asset_id": "x"}), 422,
                           "invalid_content")  # fmt: skip
    assert "cannot be changed" in renamed["message"]
    cleared = assert_error(admin("PATCH", "/map-coverage", {"title": None}), 422,
                           "invalid_content")  # fmt: skip
    assert cleared["detail"]["field"] == "title"
    assert_error(admin("GET", "", params={"limit": 0}), 422, "invalid_request")
    assert_error(admin("GET", "", params={"stage": "later"}), 422, "invalid_content")


def test_the_stored_taxonomy_applies_to_api_writes(
    admin: Admin, container: Container, workspace: Workspace
) -> None:
    load_catalog_file(container.engine, workspace.id, EXAMPLE)
    body = {**MAP, "asset_id": "n", "url": "https://x.example/n", "personas": ["Fuction Head"]}
    bad = assert_error(admin("POST", "", body), 422, "invalid_content")
    assert "(did you mean 'Function Head'?)" in bad["message"]
    ok = admin("POST", "", {**body, "personas": ["function head"]})
    assert ok.json()["personas"] == ["Function Head"]


def test_lists_filter_and_paginate(admin: Admin, container: Container, workspace: Any) -> None:
    load_catalog_file(container.engine, workspace.id, EXAMPLE)
    page = admin("GET", "", params={"limit": 3, "offset": 0}).json()
    assert (page["count"], len(page["data"]), page["limit"]) == (10, 3, 3)
    rest = admin("GET", "", params={"limit": 100, "offset": 3}).json()["data"]
    ids = [i["asset_id"] for i in page["data"] + rest]
    assert ids == sorted(ids) and len(set(ids)) == 10

    def only(**params: str) -> list[str]:
        answer = admin("GET", "", params=params)
        assert answer.status_code == 200, answer.text
        return [i["asset_id"] for i in answer.json()["data"]]

    assert only(stage="Consideration") == ["map-coverage", "tool-tco-calculator"]
    assert only(format="Video Book") == ["vb-secure-hybrid-work"]
    assert only(persona="turnaround artist", topic="network security") == [
        "webinar-security-best-practices", "wp-zero-trust-branches",
    ]  # fmt: skip
    assert only(segment="enterprise", stage="purchase") == ["price-managed-sdwan-2025"]
    assert only(persona="nobody") == []


def test_write_keys_and_strangers_get_401(api: Api, workspace: Workspace) -> None:
    write = Admin(api, workspace.write_key)
    for method, path, body in [
        ("GET", "", None),
        ("POST", "", MAP),
        ("GET", "/x", None),
        ("PUT", "/x", MAP),
        ("PATCH", "/x", {}),
        ("DELETE", "/x", None),
    ]:
        answer = assert_error(write(method, path, body), 401, "unauthorized")
        assert "admin key" in answer["message"]
    assert_error(api.request("GET", "/v1/content"), 401, "unauthorized")
