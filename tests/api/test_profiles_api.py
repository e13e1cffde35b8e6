"""Profile routes on the real app: the background updater, contact/account profiles, lists."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
from api_helpers import Api, assert_error
from sqlalchemy import select

from leadloop.bootstrap import Container
from leadloop.store.tables import contacts, identities, profiles
from profiling_helpers import (
    T0,
    coverage_map_downloader,
    msg,
    tag_content,
    video_book_reader,
)

if TYPE_CHECKING:
    from conftest import Workspace

AS_OF = (T0.replace(day=8)).isoformat()


def admin(api: Api, workspace: Workspace, path: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {workspace.admin_key}"}
    return api.request("GET", path, headers=headers, params=params)


def contact_of(container: Container, ws: int, kind: str, value: str) -> int:
    with container.engine.connect() as conn:
        query = select(identities.c.contact_id).where(
            identities.c.workspace_id == ws, identities.c.kind == kind, identities.c.value == value
        )
        return int(conn.execute(query).scalar_one())


def profiled(container: Container, ws: int, contact_id: int, timeout: float = 5.0) -> float:
    """Seconds until the background updater has a profile row for the contact."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with container.engine.connect() as conn:
            row = conn.execute(
                select(profiles.c.contact_id).where(
                    profiles.c.workspace_id == ws, profiles.c.contact_id == contact_id
                )
            ).first()
        if row is not None:
            return time.perf_counter() - started
        time.sleep(0.005)
    raise AssertionError(f"contact {contact_id} not profiled within {timeout} s")


def send(api: Api, raws: list[dict[str, Any]]) -> None:
    response = api.send("/v1/batch", {"batch": raws})
    assert response.status_code == 200, response.text


def test_a_tracked_event_is_profiled_within_a_second_and_served(
    api: Api, container: Container, workspace: Workspace
) -> None:
    tag_content(container.engine, workspace.id)
    send(api, [msg("identify", T0, {"userId": "u1"}, traits={"email": "ada@bank.example"}),
               *video_book_reader({"userId": "u1"})])  # fmt: skip
    ada = contact_of(container, workspace.id, "user", "u1")
    assert profiled(container, workspace.id, ada) < 1.0
    body = admin(api, workspace, f"/v1/contacts/{ada}/profile", as_of=AS_OF).json()
    assert (body["contact_id"], body["email"], body["engagement_level"]) == (
        ada, "ada@bank.example", "warm",
    )  # fmt: skip
    assert body["buying_stage"] == "awareness"
    assert body["evidence"][0]["grade"] == "deep_read"
    assert body["evidence"][0]["sentence"].startswith("Read 4 of 7 sections of the video book")
    why = {x["name"]: x for x in body["explanations"]}
    assert why["engagement_level"]["sentence"].startswith("Warm:")
    assert why["buying_stage"]["evidence"][0]["asset_id"] == "vb-1"


def test_account_profile_and_filtered_lists(
    api: Api, container: Container, workspace: Workspace
) -> None:
    tag_content(container.engine, workspace.id)
    for user, email, journey in (
        ("u1", "ada@bank.example", video_book_reader),
        ("u2", "bob@bank.example", coverage_map_downloader),
    ):
        who = {"userId": user}
        send(api, [msg("identify", T0, who, traits={"email": email}), *journey(who)])
    bob = contact_of(container, workspace.id, "user", "u2")
    profiled(container, workspace.id, bob)
    profiled(container, workspace.id, contact_of(container, workspace.id, "user", "u1"))
    with container.engine.connect() as conn:
        account = conn.execute(select(contacts.c.account_id).where(contacts.c.id == bob))
        account_id = account.scalar_one()
    body = admin(api, workspace, f"/v1/accounts/{account_id}/profile", as_of=AS_OF).json()
    assert body["engagement_level"] == "hot" and body["active_contacts"] == 2
    assert [m["engagement_level"] for m in body["members"]] == ["hot", "warm"]

    def listed(**params: Any) -> list[str | None]:
        answer = admin(api, workspace, "/v1/profiles", as_of=AS_OF, **params)
        assert answer.status_code == 200, answer.text
        return [r["email"] for r in answer.json()["data"]]

    assert listed() == ["bob@bank.example", "ada@bank.example"]
    assert listed(engagement="hot") == ["bob@bank.example"]
    assert listed(engagement="warm") == ["ada@bank.example"]
    assert listed(engagement="cold") == []
    assert listed(stage="Awareness") == ["ada@bank.example"]
    assert listed(interest="coverage") == ["bob@bank.example"]
    assert listed(persona="Function Head") == ["ada@bank.example"]
    assert listed(limit=1, offset=1) == ["ada@bank.example"]
    # Much later, the same profiles have cooled down.
    later = admin(api, workspace, "/v1/profiles", as_of="2027-06-01T00:00:00Z").json()
    assert {r["engagement_level"] for r in later["data"]} == {"cold"}


def test_profile_errors_say_what_and_which(api: Api, workspace: Workspace) -> None:
    assert_error(admin(api, workspace, "/v1/contacts/999999/profile"), 404, "not_found")
    assert_error(admin(api, workspace, "/v1/accounts/999999/profile"), 404, "not_found")
    assert_error(admin(api, workspace, "/v1/profiles", stage="shopping"), 400, "invalid")
    written = api.request(
        "GET", "/v1/profiles", headers={"Authorization": f"Bearer {workspace.write_key}"}
    )
    assert_error(written, 401, "unauthorized")
