"""Admin endpoints: the summary needs an admin key; a write key only sends tracking data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api_helpers import Api, assert_error

if TYPE_CHECKING:
    from conftest import Workspace


def test_health_names_the_store(api: Api) -> None:
    body = api.request("GET", "/health").json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")


def test_summary_counts_what_was_sent(api: Api, workspace: Workspace) -> None:
    batch = {
        "batch": [
            {"type": "page", "anonymousId": "a1", "name": "Home"},
            {"type": "track", "anonymousId": "a1", "event": "Asset Downloaded"},
            {"type": "identify", "anonymousId": "a1", "userId": "u1",
             "traits": {"email": "ana@acme.example"}},
            {"type": "track", "anonymousId": "a2"},
        ]
    }  # fmt: skip
    assert api.send("/v1/batch", batch).status_code == 200
    response = api.request(
        "GET", "/v1/summary", headers={"Authorization": f"Bearer {workspace.admin_key}"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "contacts_known": 1,
        "contacts_anonymous": 0,
        "accounts": 1,
        "events": 3,
        "events_by_type": {"identify": 1, "page": 1, "track": 1},
        "quarantined": 1,
    }


def test_summary_refuses_write_keys_and_strangers(api: Api, workspace: Workspace) -> None:
    write = api.request(
        "GET", "/v1/summary", headers={"Authorization": f"Bearer {workspace.write_key}"}
    )
    assert_error(write, 401, "unauthorized")
    assert "admin key" in write.json()["message"]
    assert_error(api.request("GET", "/v1/summary"), 401, "unauthorized")
