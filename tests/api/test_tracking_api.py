"""The Segment-compatible tracking API, called in process on the real app and store."""

from __future__ import annotations

import gzip
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from api_helpers import CLIENT_IP, Api, assert_error, in_process_api

from leadloop.bootstrap import Container
from leadloop.store.engine import as_utc
from leadloop.store.tables import contacts, events, quarantine

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace

SHORT = {"t": "track", "i": "identify", "p": "page", "s": "screen", "g": "group", "a": "alias"}
BODIES: dict[str, dict[str, Any]] = {
    "track": {"anonymousId": "c-1", "event": "White Paper Downloaded"},
    "identify": {"anonymousId": "c-1", "userId": "u-1", "traits": {"email": "ana@acme.example"}},
    "page": {"anonymousId": "c-1", "name": "Pricing"},
    "screen": {"userId": "u-1", "name": "Coverage Map"},
    "group": {"userId": "u-1", "groupId": "acct-1", "traits": {"name": "Acme"}},
    "alias": {"previousId": "c-2", "userId": "u-1"},
}


@pytest.fixture(params=["direct", "inbox"])
def container(request: pytest.FixtureRequest, store: StoreHandle) -> Iterator[Container]:
    """Every test here runs twice on SQLite: messages stored before the answer, and through
    the ingest inbox (``LEADLOOP_INGEST_INBOX``), where reads first drain what was answered.
    On PostgreSQL the inbox's own tests (test_tracking_inbox.py, the SIGKILL test) cover it;
    all of these again would cost the suite time it does not have."""
    if request.param == "inbox" and store.kind == "postgresql":
        pytest.skip("the inbox on PostgreSQL: see test_tracking_inbox.py")
    c = store.container(ingest_inbox=request.param == "inbox")
    try:
        yield c
    finally:
        c.close()


def duplicates(api: Api, n: int) -> int | None:
    """What the answer says about duplicates: the inbox only learns them when it drains."""
    return None if api.queued else n


def item(kind: str = "page", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "messageId": str(uuid.uuid4()), **BODIES[kind], **extra}


def test_batch_with_basic_auth_is_stored_and_counted(api: Api) -> None:
    batch = [item(kind) for kind in BODIES]
    response = api.send("/v1/batch", {"batch": batch})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "accepted": 6,
        "duplicates": duplicates(api, 0),
        "rejected": 0,
        "errors": [],
        "queued": api.queued,
    }
    stored = {e.message_id: e.type for e in api.rows()}
    assert stored == {m["messageId"]: m["type"] for m in batch}


def test_write_key_in_the_body_is_enough(api: Api) -> None:
    response = api.post(
        "/v1/batch", content=orjson.dumps({"writeKey": api.write_key, "batch": [item()]})
    )
    assert response.status_code == 200, response.text
    assert len(api.rows()) == 1


@pytest.mark.parametrize("path", ["/v1/track", "/v1/identify", "/v1/page", "/v1/screen"])
def test_long_single_message_endpoints_imply_the_type(api: Api, path: str) -> None:
    kind = path.rsplit("/", 1)[1]
    body = {**BODIES[kind], "messageId": "m-1", "type": "ignored"}
    response = api.send(path, body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert api.event("m-1").type == kind


def test_browser_short_forms_with_text_plain_and_write_key_in_body(api: Api) -> None:
    sent = {}
    for short, kind in SHORT.items():
        body = {**BODIES[kind], "messageId": f"m-{short}", "writeKey": api.write_key}
        response = api.post(
            f"/v1/{short}",
            content=orjson.dumps(body),
            headers={"Content-Type": "text/plain", "Origin": "https://www.acme.example"},
        )
        assert response.status_code == 200, (short, response.text)
        assert response.headers["access-control-allow-origin"] == "*"
        sent[f"m-{short}"] = kind
    batch = {"writeKey": api.write_key, "batch": [item("track", messageId="m-b")]}
    response = api.post(
        "/v1/b", content=orjson.dumps(batch), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    sent["m-b"] = "track"
    assert {e.message_id: e.type for e in api.rows()} == sent


def test_group_and_alias_long_forms(api: Api) -> None:
    assert api.send("/v1/group", {**BODIES["group"], "messageId": "g"}).status_code == 200
    assert api.send("/v1/alias", {**BODIES["alias"], "messageId": "a"}).status_code == 200
    assert (api.event("g").type, api.event("a").type) == ("group", "alias")


def test_gzip_bodies_are_accepted(api: Api) -> None:
    body = gzip.compress(orjson.dumps({"batch": [item(messageId="gz-1")]}))
    response = api.post(
        "/v1/batch",
        content=body,
        auth=(api.write_key, ""),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    deflated = zlib.compress(orjson.dumps({"batch": [item(messageId="zz-1")]}))
    response = api.post(
        "/v1/batch",
        content=deflated,
        auth=(api.write_key, ""),
        headers={"Content-Encoding": "deflate"},
    )
    assert response.status_code == 200, response.text
    assert {e.message_id for e in api.rows()} == {"gz-1", "zz-1"}


def test_broken_gzip_and_unknown_encodings_are_400(api: Api) -> None:
    response = api.post(
        "/v1/batch",
        content=b"not gzip at all",
        auth=(api.write_key, ""),
        headers={"Content-Encoding": "gzip"},
    )
    assert_error(response, 400, "invalid")
    response = api.post(
        "/v1/batch",
        content=b"{}",
        auth=(api.write_key, ""),
        headers={"Content-Encoding": "br"},
    )
    assert "gzip" in assert_error(response, 400, "invalid")["message"]
    assert api.rows() == []


def test_cors_preflight_is_answered(api: Api) -> None:
    response = api.request(
        "OPTIONS",
        "/v1/t",
        headers={
            "Origin": "https://www.acme.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed and "authorization" in allowed
    assert int(response.headers["access-control-max-age"]) > 0


@pytest.mark.parametrize(
    "auth",
    [
        {"auth": ("ll_w_not-a-real-key", "")},
        {"headers": {"Authorization": "Basic !!!not-base64"}},
        {},
    ],
    ids=["unknown", "garbled", "missing"],
)
def test_bad_or_missing_write_key_is_401_and_stores_nothing(api: Api, auth: dict[str, Any]) -> None:
    body = orjson.dumps({"batch": [item(), item("identify")]})
    response = api.post("/v1/batch", content=body, **auth)
    assert_error(response, 401, "unauthorized")
    body_key = {"writeKey": "ll_w_wrong", **BODIES["track"]}
    assert_error(api.post("/v1/t", content=orjson.dumps(body_key)), 401, "unauthorized")
    for table in (events, quarantine, contacts):
        assert api.count_everywhere(table) == 0


def test_unreadable_bodies_are_400_and_kept_in_quarantine_for_a_known_key(api: Api) -> None:
    assert_error(api.post("/v1/batch", content=b"{nope", auth=(api.write_key, "")), 400, "invalid")
    assert_error(api.send("/v1/batch", [item()]), 400, "invalid")
    assert_error(api.send("/v1/batch", {"messages": [item()]}), 400, "invalid")
    # A NUL byte in the raw body must not stop the body from being quarantined.
    assert_error(api.post("/v1/batch", content=b"\x00{", auth=(api.write_key, "")), 400, "invalid")
    assert api.rows() == []
    reasons = [q.reason for q in api.quarantined()]
    assert len(reasons) == 2 and all("JSON" in r for r in reasons)


def test_oversize_request_is_413_and_stores_no_event(api: Api) -> None:
    batch = [item(properties={"pad": "x" * 20_000}) for _ in range(30)]  # ~600 KB
    response = api.send("/v1/batch", {"batch": batch})
    body = assert_error(response, 413, "too_large")
    assert body["detail"]["limit"] == 500 * 1024
    assert api.rows() == []
    (kept,) = api.quarantined()
    assert "limit" in kept.reason


def test_a_huge_streamed_body_is_413_without_being_read_to_its_end(api: Api) -> None:
    chunk = b" " * 65_536
    total = 2_000  # 131 MB, chunked (no Content-Length)
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(total):
            pulled += 1
            yield chunk

    response = api.post("/v1/batch", content=body(), auth=(api.write_key, ""))
    error = assert_error(response, 413, "too_large")
    assert error["detail"]["limit"] == 500 * 1024
    assert pulled < total // 4  # read and dropped up to the drain limit, then given up
    (kept,) = api.quarantined()
    assert "limit" in kept.reason and len(kept.raw) <= 64_000
    assert api.rows() == []


def test_a_declared_huge_body_is_refused_before_it_is_read(api: Api) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        pulled += 1
        yield b"{}"

    response = api.post(
        "/v1/batch",
        content=body(),
        auth=(api.write_key, ""),
        headers={"Content-Length": str(100 * 1024 * 1024)},
    )
    assert_error(response, 413, "too_large")
    assert pulled == 0


def test_a_gzip_body_a_little_larger_than_its_content_is_accepted(api: Api) -> None:
    batch = [item(properties={"pad": uuid.uuid4().hex * 900}) for _ in range(17)]
    short = 500 * 1024 - 10 - len(orjson.dumps({"batch": batch}))
    for i, message in enumerate(batch):  # spread, so that every message stays under 32 KB
        message["properties"]["pad"] += "y" * (short // 17 + (i < short % 17))
    raw = orjson.dumps({"batch": batch})
    assert len(raw) == 500 * 1024 - 10
    packed = zlib.compress(raw, 0)  # stored blocks: larger than the raw body and the limit
    assert len(packed) > 500 * 1024
    response = api.post(
        "/v1/batch", content=packed, auth=(api.write_key, ""), headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 17


def test_a_gzip_bomb_is_413(api: Api) -> None:
    bomb = gzip.compress(b'{"batch": [' + b" " * 3_000_000 + b"]}")
    assert len(bomb) < 10_000
    response = api.post(
        "/v1/batch", content=bomb, auth=(api.write_key, ""), headers={"Content-Encoding": "gzip"}
    )
    assert_error(response, 413, "too_large")


def test_more_than_2500_messages_is_413(api: Api) -> None:
    batch = [{"type": "page", "anonymousId": "c"} for _ in range(2501)]
    assert_error(api.send("/v1/batch", {"batch": batch}), 413, "too_large")
    assert api.rows() == []
    response = api.send("/v1/batch", {"batch": batch[:2500]})
    assert response.status_code == 200 and response.json()["accepted"] == 2500


def test_oversize_single_message_is_413_and_quarantined(api: Api) -> None:
    body = {**BODIES["track"], "properties": {"pad": "x" * 33_000}}
    body = assert_error(api.send("/v1/track", body), 413, "too_large")
    assert "32768" in body["message"]
    assert api.rows() == []
    assert len(api.quarantined()) == 1


def test_oversize_message_in_a_batch_is_quarantined_and_the_rest_stored(api: Api) -> None:
    batch = [item(), item(properties={"pad": "x" * 33_000}), item()]
    response = api.send("/v1/batch", {"batch": batch})
    assert response.status_code == 200
    assert response.json()["accepted"] == 2 and response.json()["rejected"] == 1
    (kept,) = api.quarantined()
    assert kept.line == 1 and "limit" in kept.reason


def test_invalid_single_message_is_400_and_quarantined(api: Api) -> None:
    response = api.send("/v1/track", {"anonymousId": "c-1"})
    assert "event name" in assert_error(response, 400, "invalid_message")["message"]
    assert api.rows() == []
    (kept,) = api.quarantined()
    assert orjson.loads(kept.raw) == {"anonymousId": "c-1"}


def test_3_bad_and_97_good_stores_97_and_quarantines_3_with_reasons(api: Api) -> None:
    batch: list[Any] = [item("track", event=f"Step {i}") for i in range(97)]
    bad = {
        10: {"type": "track", "anonymousId": "c-1"},  # no event name
        50: {"type": "click", "anonymousId": "c-1"},  # unknown type
        99: {"type": "page", "timestamp": "yesterday", "userId": "u"},  # bad time
    }
    for index, message in sorted(bad.items()):
        batch.insert(index, message)
    response = api.send("/v1/batch", {"batch": batch})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (
        97, duplicates(api, 0), 3
    )  # fmt: skip
    assert len(answer["errors"]) == 3
    stored = api.rows()
    assert len(stored) == 97
    assert {e.message_id for e in stored} == {m["messageId"] for m in batch if "messageId" in m}
    kept = {q.line: q for q in api.quarantined()}
    assert set(kept) == set(bad)
    assert "event name" in kept[10].reason and "message 10" in kept[10].reason
    assert "type must be one of" in kept[50].reason
    assert "timestamp" in kept[99].reason
    for line, message in bad.items():
        assert orjson.loads(kept[line].raw) == message
        assert kept[line].source == "api:/v1/batch"


@pytest.mark.parametrize(
    "poison",
    [
        {"type": "identify", "userId": "u", "context": {"traits": "phone 555"}},
        {"type": "page", "anonymousId": "c", "timestamp": "0001-01-01T00:00:00+01:00"},
        {
            "type": "page",
            "anonymousId": "c",
            "timestamp": "0001-01-01T00:00:00Z",
            "sentAt": "9999-12-31T00:00:00Z",
        },
        {"type": "track", "anonymousId": "c", "event": "x" * 300},
        {"type": "page", "anonymousId": "c\x00"},
    ],
    ids=["context-traits-string", "year-0", "skew-overflow", "long-event", "nul-id"],
)
def test_one_odd_message_never_fails_its_batch(api: Api, poison: dict[str, Any]) -> None:
    # A 5xx would make every client retry the whole batch forever.
    response = api.send("/v1/batch", {"batch": [item(), poison, item()]})
    assert response.status_code == 200, response.text
    assert (response.json()["accepted"], response.json()["rejected"]) == (2, 1)
    assert len(api.rows()) == 2 and len(api.quarantined()) == 1


def test_a_retried_batch_is_stored_once(api: Api) -> None:
    body = {"batch": [item("identify"), item("track"), item("page")]}
    first = api.send("/v1/batch", body)
    retry = api.send("/v1/batch", body, headers={"X-Retry-Count": "1"})
    assert first.json()["duplicates"] == duplicates(api, 0)
    assert retry.status_code == 200
    assert retry.json() == {
        "success": True,
        "accepted": 3,
        "duplicates": duplicates(api, 3),
        "rejected": 0,
        "errors": [],
        "queued": api.queued,
    }
    assert len(api.rows()) == 3


def test_message_id_is_assigned_when_absent(api: Api) -> None:
    message = {"type": "page", "anonymousId": "c-1"}
    api.send("/v1/batch", {"batch": [message]})
    api.send("/v1/batch", {"batch": [message]})
    ids = [e.message_id for e in api.rows()]
    # Without a messageId there is nothing to recognise a resend by: stored twice.
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(uuid.UUID(i) for i in ids)


def test_received_at_is_stamped_and_clock_skew_corrected(api: Api) -> None:
    skew = timedelta(days=2, minutes=7)  # the device clock is 2 days 7 minutes fast
    device_now = datetime.now(UTC) + skew
    body = {
        "sentAt": device_now.isoformat(),
        "batch": [
            item(messageId="queued", timestamp=(device_now - timedelta(minutes=10)).isoformat()),
            item(messageId="no-time"),
        ],
    }
    before = datetime.now(UTC)
    assert api.send("/v1/batch", body).status_code == 200
    after = datetime.now(UTC)
    queued = api.event("queued")
    received = as_utc(queued.received_at)
    assert received is not None and before <= received <= after
    assert as_utc(queued.timestamp) == received - timedelta(minutes=10)
    original = datetime.fromisoformat(api.payload("queued")["originalTimestamp"])
    assert original == device_now - timedelta(minutes=10)
    assert as_utc(api.event("no-time").timestamp) == as_utc(api.event("no-time").received_at)


def test_batch_context_and_integrations_are_merged_and_ip_filled(api: Api) -> None:
    body = {
        "context": {"library": {"name": "custom-batcher"}, "locale": "en-US"},
        "integrations": {"All": False, "Salesforce": True},
        "batch": [
            item(messageId="plain"),
            item(messageId="own", context={"locale": "pt-BR", "ip": "198.51.100.4"}),
        ],
    }
    assert api.send("/v1/batch", body).status_code == 200
    plain, own = api.payload("plain"), api.payload("own")
    assert plain["context"] == {
        "library": {"name": "custom-batcher"},
        "locale": "en-US",
        "ip": CLIENT_IP,
    }
    assert plain["integrations"] == {"All": False, "Salesforce": True}
    assert own["context"]["locale"] == "pt-BR" and own["context"]["ip"] == "198.51.100.4"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(api: Api) -> None:
    headers = {"X-Forwarded-For": "192.0.2.44, 10.0.0.1"}
    assert api.send("/v1/page", {**BODIES["page"], "messageId": "m"}, headers=headers)
    assert api.payload("m")["context"]["ip"] == CLIENT_IP


def test_forwarded_for_names_the_client_behind_trusted_proxies(
    store: StoreHandle, workspace: Workspace
) -> None:
    # The test client connects from 203.0.113.5: trust its network and the inner proxy.
    container = store.container(trusted_proxies=["203.0.113.0/24", "10.0.0.0/8"])
    try:
        with in_process_api(container, workspace.write_key, workspace.id) as api:
            headers = {"X-Forwarded-For": "198.51.100.7, 192.0.2.44, 10.0.0.1"}
            assert api.send("/v1/page", {**BODIES["page"], "messageId": "m"}, headers=headers)
            # 10.0.0.1 is a trusted hop; 192.0.2.44 is the first untrusted one from the right.
            assert api.payload("m")["context"]["ip"] == "192.0.2.44"
    finally:
        container.close()


def test_identify_keeps_only_allowed_traits(api: Api) -> None:
    traits = {
        "email": "ana@initech.example",
        "name": "Ana",
        "phone": "+1-555-0100",
        "title": "VP Network Operations",
        "company": "Initech Holdings",
        "budget": "over 900000",
    }
    response = api.send("/v1/identify", {"userId": "u-9", "messageId": "i", "traits": traits})
    assert response.status_code == 200
    event = api.event("i")
    assert event.dropped_traits == "budget,company,phone,title"
    assert api.payload("i")["traits"] == {"email": "ana@initech.example", "name": "Ana"}
    (person,) = api.rows(contacts)
    assert (person.email, person.name) == ("ana@initech.example", "Ana")
    trace = repr(tuple(person)) + event.payload_json
    for secret in ("555-0100", "VP Network", "Initech Holdings", "900000"):
        assert secret not in trace


def test_errors_are_json_for_every_tracking_path(api: Api) -> None:
    for path in ["/v1/batch", "/v1/b", *(f"/v1/{k}" for k in BODIES), *(f"/v1/{s}" for s in SHORT)]:
        assert_error(api.post(path, content=b"[", auth=(api.write_key, "")), 400, "invalid")


def test_unlisted_top_level_fields_are_not_stored(api: Api) -> None:
    # Passive profiling cannot be side-stepped by putting personal data beside `traits`.
    body = {**BODIES["identify"], "messageId": "i", "phone": "+1-555-0100", "category": "x"}
    body["writeKey"] = api.write_key
    assert api.post("/v1/i", content=orjson.dumps(body)).status_code == 200
    stored = api.event("i").payload_json
    assert "555-0100" not in stored
    assert api.write_key not in stored  # nor is the key that came in the body


def test_dedup_is_per_source_of_the_workspace(
    api: Api, container: Container, workspace: Workspace
) -> None:
    mobile_key = container.workspaces.create_key(workspace.id, scope="write", source="mobile")
    body = {"batch": [item(messageId="same")]}
    assert api.send("/v1/batch", body).json()["duplicates"] == duplicates(api, 0)
    mobile = [api.send("/v1/batch", body, auth=(mobile_key, "")) for _ in range(2)]
    assert [r.json()["duplicates"] for r in mobile] == [duplicates(api, 0), duplicates(api, 1)]
    assert len({e.source_id for e in api.rows()}) == 2  # one row per source
    assert len(api.rows()) == 2


@pytest.mark.parametrize("path", ["/v1/page", "/v1/p"])
def test_single_message_status_does_not_depend_on_client_text(api: Api, path: str) -> None:
    # The reason quotes the bad value; a value mentioning "limit" is still a 400.
    body = {"anonymousId": "c-1", "timestamp": "past the limit"}
    assert_error(api.send(path, body), 400, "invalid_message")
