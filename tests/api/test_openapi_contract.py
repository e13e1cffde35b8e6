"""The published OpenAPI document describes every tracking path, body and error answer."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
import rudderstack.analytics as rudder
import segment.analytics as segment

from leadloop.api.app import create_app
from leadloop.api.schemas import SegmentBatch, SegmentMessage
from leadloop.bootstrap import bootstrap
from leadloop.config import Settings
from leadloop.domain.messages import MESSAGE_TYPES

TRACKING = {
    "/v1/batch": "SegmentBatch",
    "/v1/b": "SegmentBatch",
    **{f"/v1/{kind}": "SegmentMessage" for kind in MESSAGE_TYPES},
    **{f"/v1/{kind[0]}": "SegmentMessage" for kind in MESSAGE_TYPES},
}
ERRORS = ("400", "401", "413", "429", "503")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document as the app serves it (it does not depend on the store kind)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'leadloop.db'}"
    container = bootstrap(Settings(database_url=url))
    transport = httpx.ASGITransport(app=create_app(container))

    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://leadloop.test") as c:
            return await c.get("/openapi.json")

    try:
        response = anyio.run(fetch)
    finally:
        container.close()
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/components/schemas/"), ref
    schema: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def all_refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in all_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in all_refs(v)]
    return []


def test_every_tracking_path_is_listed_with_its_body_and_errors(spec: dict[str, Any]) -> None:
    assert set(TRACKING) <= set(spec["paths"])
    for path, model in TRACKING.items():
        operation = spec["paths"][path]["post"]
        assert operation["summary"], path
        body = operation["requestBody"]
        assert body["required"] is True
        for media in ("application/json", "text/plain"):
            ref = body["content"][media]["schema"]["$ref"]
            assert ref == f"#/components/schemas/{model}", (path, media)
        responses = operation["responses"]
        accepted = responses["200"]["content"]["application/json"]["schema"]["$ref"]
        assert resolve(spec, accepted)["properties"].keys() >= {
            "accepted",
            "duplicates",
            "rejected",
            "errors",
        }
        for status in ERRORS:
            error = responses[status]
            assert error["description"], (path, status)
            ref = error["content"]["application/json"]["schema"]["$ref"]
            assert set(resolve(spec, ref)["required"]) >= {"code", "message"}


def test_every_reference_in_the_document_resolves(spec: dict[str, Any]) -> None:
    for ref in all_refs(spec):
        resolve(spec, ref)


def test_body_schemas_describe_the_segment_fields(spec: dict[str, Any]) -> None:
    message = resolve(spec, "#/components/schemas/SegmentMessage")
    fields = set(message["properties"])
    assert fields >= {
        "type",
        "messageId",
        "anonymousId",
        "userId",
        "previousId",
        "groupId",
        "event",
        "name",
        "properties",
        "traits",
        "context",
        "integrations",
        "timestamp",
        "sentAt",
    }
    types = {v for option in message["properties"]["type"]["anyOf"] for v in option.get("enum", [])}
    assert types == set(MESSAGE_TYPES)
    batch = resolve(spec, "#/components/schemas/SegmentBatch")
    assert batch["required"] == ["batch"]
    assert batch["properties"]["batch"]["items"]["$ref"] == "#/components/schemas/SegmentMessage"
    assert {"writeKey", "sentAt", "context", "integrations"} <= set(batch["properties"])


def _client_messages(client: Any) -> list[dict[str, Any]]:
    calls = [
        client.track("u-1", "White Paper Downloaded", {"asset": "wp-1"}),
        client.identify("u-1", {"email": "ana@acme.example"}),
        client.page("u-1", "Docs", "Pricing", {"url": "https://acme.example/pricing"}),
        client.screen("u-1", "App", "Coverage"),
        client.group("u-1", "acct-1", {"name": "Acme"}),
        client.alias("c-1", "u-1"),
    ]
    return [msg for _ok, msg in calls]


@pytest.mark.parametrize("library", ["segment", "rudderstack"])
def test_what_real_clients_send_fits_the_documented_schema(library: str) -> None:
    # send=False makes the libraries build their real messages without any network.
    if library == "segment":
        client: Any = segment.Client("k", send=False)
    else:
        client = rudder.Client("k", host="http://unused", send=False)
    batch = SegmentBatch.model_validate(
        {"batch": _client_messages(client), "writeKey": "k", "sentAt": "2026-03-01T00:00:00Z"}
    )
    assert [m.type for m in batch.batch] == [
        "track",
        "identify",
        "page",
        "screen",
        "group",
        "alias",
    ]
    assert all(isinstance(m, SegmentMessage) and m.messageId for m in batch.batch)


LIFECYCLE_ROUTES = {
    ("post", "/v1/rules"), ("get", "/v1/rules"), ("get", "/v1/rules/active"),
    ("get", "/v1/rules/{version}"), ("post", "/v1/rules/{version}/approve"),
    ("post", "/v1/rules/test"), ("get", "/v1/leads"), ("get", "/v1/leads/{lead_id}"),
    ("post", "/v1/users"), ("get", "/v1/users"), ("get", "/v1/funnel"),
    *{("post", f"/v1/leads/{{lead_id}}/{a}")
      for a in ("accept", "reject", "convert", "won", "lost", "recycle")},
}  # fmt: skip


def test_lifecycle_routes_document_their_bodies_and_errors(spec: dict[str, Any]) -> None:
    for method, path in LIFECYCLE_ROUTES:
        operation = spec["paths"][path][method]
        assert operation["summary"] and operation["security"] == [{"adminKey": []}], path
        ok = next(s for s in ("200", "201") if s in operation["responses"])
        assert "$ref" in operation["responses"][ok]["content"]["application/json"]["schema"]
        for status in ("401", "422"):
            ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorBody", (path, status)
    action = spec["paths"]["/v1/leads/{lead_id}/reject"]["post"]
    assert {"403", "404", "409"} <= set(action["responses"])
    body = resolve(spec, action["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    assert set(body["properties"]) == {"user", "reason"}
