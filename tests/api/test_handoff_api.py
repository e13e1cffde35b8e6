"""Hand-off admin routes: webhook endpoints, the outbox with replay, SLA breaches."""

from __future__ import annotations

from datetime import timedelta

from api_helpers import Api, assert_error

from handoff_helpers import Receiver, make_contact, request_for
from leadloop.bootstrap import Container
from leadloop.services.handoff import hand_off


def admin(workspace) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {workspace.admin_key}"}


def test_webhook_secrets_are_shown_once_and_never_listed(api: Api, workspace) -> None:  # type: ignore[no-untyped-def]
    created = api.post(
        "/v1/webhooks", json={"url": "https://crm.example/hooks"}, headers=admin(workspace)
    )
    assert created.status_code == 201, created.text
    assert created.json()["secret"].startswith("whsec_")
    listed = api.request("GET", "/v1/webhooks", headers=admin(workspace)).json()["items"]
    assert [e["url"] for e in listed] == ["https://crm.example/hooks"]
    assert "secret" not in listed[0]
    own = api.post("/v1/webhooks", json={"url": "https://crm.example/2", "secret": "x" * 20},
                   headers=admin(workspace))  # fmt: skip
    assert own.json()["secret"] is None  # the caller already has it
    gone = api.request("DELETE", f"/v1/webhooks/{created.json()['id']}", headers=admin(workspace))
    assert gone.status_code == 204
    assert_error(
        api.post("/v1/webhooks", json={"url": "ftp://x"}, headers=admin(workspace)), 400, "invalid"
    )
    assert_error(
        api.post("/v1/webhooks", json={"url": "https://x.example"}, auth=(api.write_key, "")),
        401,
        "unauthorized",
    )


def test_a_dead_letter_is_listed_and_replayed_through_the_api(
    api: Api, workspace, container: Container, receiver: Receiver
) -> None:  # type: ignore[no-untyped-def]
    container.reps.add(workspace.id, "rita@sales.example")
    container.webhooks.add(workspace.id, receiver.url, secret=receiver.secret)
    contact, account = make_contact(container.engine, workspace.id, "Ana", "ana@acme.example")
    with container.engine.begin() as conn:
        hand_off(conn, request_for(workspace.id, contact, account, hot=True))
    receiver.statuses.append(410)  # permanent: straight to the dead letters
    container.delivery_worker().run_once()
    dead = api.request("GET", "/v1/outbox?status=dead", headers=admin(workspace)).json()["items"]
    assert [(d["channel"], d["attempts"], d["leads"]) for d in dead] == [("webhook", 1, 1)]
    assert dead[0]["last_error"].startswith("HTTP 410")
    replayed = api.post(f"/v1/outbox/{dead[0]['id']}/replay", headers=admin(workspace))
    assert replayed.json() == {"replayed": [dead[0]["id"]]}
    assert_error(api.post(f"/v1/outbox/{dead[0]['id']}/replay", headers=admin(workspace)),
                 409, "conflict")  # fmt: skip
    assert_error(api.post("/v1/outbox/999999/replay", headers=admin(workspace)), 404, "not_found")
    container.delivery_worker().run_once()
    assert [r.delivery_id for r in receiver.delivered()] == [dead[0]["delivery_id"]]


def test_sla_breaches_per_rep(api: Api, workspace, container: Container) -> None:  # type: ignore[no-untyped-def]
    container.reps.add(workspace.id, "maria@sales.example")
    container.reps.add(workspace.id, "rita@sales.example", manager="maria@sales.example")
    container.reps.set_active(workspace.id, "maria@sales.example", False)
    contact, account = make_contact(container.engine, workspace.id, "Ana", "ana@acme.example")
    with container.engine.begin() as conn:
        stored = hand_off(conn, request_for(workspace.id, contact, account))
    worker = container.delivery_worker()
    assert worker.check_service_levels(stored.due_at + timedelta(seconds=1)) == 1
    body = api.request("GET", "/v1/sla/breaches", headers=admin(workspace)).json()
    reps = {r["email"]: r for r in body["reps"]}
    assert reps["rita@sales.example"]["breaches"] == 1
    assert reps["rita@sales.example"]["escalated"] == 1
    [breach] = body["breaches"]
    assert (breach["contact_id"], breach["rep_email"]) == (contact, "rita@sales.example")
    later = (stored.due_at + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    none = api.request("GET", "/v1/sla/breaches", params={"since": later}, headers=admin(workspace))
    assert none.json()["breaches"] == []
