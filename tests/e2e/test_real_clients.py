"""The real `segment-analytics-python` and `rudder-sdk-python` clients, pointed at a real
`leadloop serve` process, send calls that land in the store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest
import rudderstack.analytics as rudder
import segment.analytics as segment
from e2e_helpers import LiveServer, rows
from rudderstack.analytics.request import APIError as RudderAPIError
from segment.analytics.request import APIError as SegmentAPIError
from sqlalchemy import Engine, select

from leadloop.bootstrap import Container
from leadloop.store.engine import as_utc
from leadloop.store.tables import accounts, contacts, events, identities, quarantine

if TYPE_CHECKING:
    from conftest import Workspace


def person_of(engine: Engine, message_id: str) -> int:
    """The contact an event's identity points at now."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(identities.c.contact_id)
                .join(events, events.c.identity_id == identities.c.id)
                .where(events.c.message_id == message_id)
            ).scalar_one()
        )


def by_id(engine: Engine) -> dict[str, Any]:
    found = {e.message_id: e for e in rows(engine)}
    assert len(found) == len(rows(engine)), "a message is stored twice"
    return found


def test_segment_client_calls_land_in_the_store(
    live_server: LiveServer, container: Container, workspace: Workspace
) -> None:
    client = segment.Client(workspace.write_key, host=live_server.url, sync_mode=True)
    sent_before = datetime.now(UTC)
    sent = [
        client.page(anonymous_id="cookie-1", name="Pricing", properties={"path": "/pricing"}),
        client.track(anonymous_id="cookie-1", event="Coverage Map Downloaded"),
        client.identify(
            user_id="u-ana",
            anonymous_id="cookie-1",
            traits={"email": "ana@acme.example", "name": "Ana", "phone": "+1-555-0100"},
        ),
        client.screen(user_id="u-ana", name="Coverage"),
        client.group(user_id="u-ana", group_id="sf-001", traits={"name": "Acme"}),
        client.alias(previous_id="cookie-2", user_id="u-ana"),
    ]
    ids = [msg["messageId"] for ok, msg in sent if ok]
    assert len(ids) == 6
    stored = by_id(container.engine)
    assert [stored[i].type for i in ids] == [
        "page",
        "track",
        "identify",
        "screen",
        "group",
        "alias",
    ]
    page = orjson.loads(stored[ids[0]].payload_json)
    assert page["context"]["ip"] == "127.0.0.1"  # filled from the connection
    assert page["context"]["library"]["name"] == "analytics-python"
    assert stored[ids[0]].event == "Pricing" and stored[ids[1]].event == "Coverage Map Downloaded"
    # The client's clock is ours: the corrected time is the time of the call.
    for i in ids:
        ts = as_utc(stored[i].timestamp)
        assert ts is not None and abs(ts - sent_before) < timedelta(seconds=10)
    # Anonymous history joined the person; only allowed traits were kept.
    assert len({person_of(container.engine, i) for i in ids}) == 1
    assert stored[ids[2]].dropped_traits == "phone"
    assert "555-0100" not in stored[ids[2]].payload_json
    (ana,) = [c for c in rows(container.engine, contacts) if c.merged_into_id is None]
    assert (ana.email, ana.name, ana.status) == ("ana@acme.example", "Ana", "known")
    (account,) = [a for a in rows(container.engine, accounts) if a.id == ana.account_id]
    assert (account.group_id, account.name) == ("sf-001", "Acme")  # group wins over e-mail


def test_segment_client_batches_with_gzip_and_flush(
    live_server: LiveServer, container: Container, workspace: Workspace
) -> None:
    errors: list[Exception] = []
    client = segment.Client(
        workspace.write_key,
        host=live_server.url,
        gzip=True,
        upload_size=100,
        upload_interval=0.05,
        on_error=lambda exc, _batch: errors.append(exc),
    )
    try:
        ids = [
            client.track(anonymous_id=f"c-{i % 7}", event="Section Viewed", properties={"n": i})[1][
                "messageId"
            ]
            for i in range(250)
        ]
        client.flush()
    finally:
        client.join()
    assert errors == []
    assert set(by_id(container.engine)) == set(ids)


def test_rudderstack_client_calls_land_in_the_store(
    live_server: LiveServer, container: Container, workspace: Workspace
) -> None:
    client = rudder.Client(workspace.write_key, host=live_server.url, sync_mode=True)  # gzip
    sent = [
        client.page(anonymous_id="r-cookie", name="Docs"),
        client.track(anonymous_id="r-cookie", event="Webinar Attended"),
        # RudderStack puts identify traits into context.traits.
        client.identify(
            user_id="u-bo",
            anonymous_id="r-cookie",
            traits={"email": "bo@beta.example", "title": "CTO"},
        ),
        client.group(user_id="u-bo", group_id="acct-7", traits={"name": "Beta"}),
        client.alias(previous_id="r-old", user_id="u-bo"),
    ]
    ids = [msg["messageId"] for ok, msg in sent if ok]
    stored = by_id(container.engine)
    assert [stored[i].type for i in ids] == ["page", "track", "identify", "group", "alias"]
    identify = orjson.loads(stored[ids[2]].payload_json)
    assert identify["context"]["traits"] == {"email": "bo@beta.example"}
    assert stored[ids[2]].dropped_traits == "title"
    assert len({person_of(container.engine, i) for i in ids}) == 1
    (bo,) = [c for c in rows(container.engine, contacts) if c.merged_into_id is None]
    assert bo.email == "bo@beta.example" and bo.account_id is not None

    batched = rudder.Client(workspace.write_key, host=live_server.url, upload_interval=0.05)
    try:
        more = [
            batched.track(user_id="u-bo", event="Demo Booked")[1]["messageId"] for _ in range(30)
        ]
        batched.flush()
    finally:
        batched.join()
    assert set(more) <= set(by_id(container.engine))


def test_an_invalid_write_key_gets_401_and_stores_nothing(
    live_server: LiveServer, container: Container, workspace: Workspace
) -> None:
    wrong = workspace.write_key[:-4] + "XXXX"
    with pytest.raises(SegmentAPIError) as seg:
        segment.Client(wrong, host=live_server.url, sync_mode=True).track("u-1", "Clicked")
    assert (seg.value.status, seg.value.code) == (401, "unauthorized")
    with pytest.raises(RudderAPIError) as rud:
        rudder.Client(wrong, host=live_server.url, sync_mode=True).identify("u-1", {"a": 1})
    assert (rud.value.status, rud.value.code) == (401, "unauthorized")
    for table in (events, quarantine, contacts):
        assert rows(container.engine, table) == []


@dataclass
class FlakyProxy:
    """Forwards each request to the server, but answers the first ``fail`` with a 500.

    That is a lost acknowledgement: the server stored the batch, the client never heard,
    so it retries the very same batch.
    """

    upstream: str
    fail: int = 1
    seen: list[tuple[int, dict[str, str], int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                answer = httpx.post(
                    proxy.upstream + self.path, content=body, headers=headers, timeout=10
                )
                status = 500 if len(proxy.seen) < proxy.fail else answer.status_code
                proxy.seen.append((answer.status_code, dict(self.headers), status))
                out = answer.content if status == answer.status_code else b'{"code":"x"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def flaky_proxy(live_server: LiveServer) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(live_server.url)
    try:
        yield proxy
    finally:
        proxy.close()


def test_a_batch_the_real_clients_retry_is_stored_once(
    flaky_proxy: FlakyProxy, container: Container, workspace: Workspace
) -> None:
    errors: list[Exception] = []
    client = segment.Client(
        workspace.write_key,
        host=flaky_proxy.url,
        upload_interval=0.05,
        on_error=lambda exc, _batch: errors.append(exc),
    )
    try:
        ids = [
            client.identify(user_id=f"u-{i}", traits={"email": f"p{i}@acme.example"})[1][
                "messageId"
            ]
            for i in range(20)
        ]
        client.flush()
    finally:
        client.join()
    assert errors == []
    # Both attempts reached the server, which stored the batch the first time.
    assert [(upstream, answered) for upstream, _h, answered in flaky_proxy.seen] == [
        (200, 500),
        (200, 200),
    ]
    assert "X-Retry-Count" not in flaky_proxy.seen[0][1]
    assert flaky_proxy.seen[1][1]["X-Retry-Count"] == "1"
    assert set(by_id(container.engine)) == set(ids)
    live = [c for c in rows(container.engine, contacts) if c.merged_into_id is None]
    assert len(live) == 20

    flaky_proxy.seen.clear()  # the next first attempt fails again
    rudder_client = rudder.Client(workspace.write_key, host=flaky_proxy.url, upload_interval=0.05)
    try:
        more = [
            rudder_client.page(anonymous_id="c-1", name=f"P{i}")[1]["messageId"] for i in range(10)
        ]
        rudder_client.flush()
    finally:
        rudder_client.join()
    assert [(upstream, answered) for upstream, _h, answered in flaky_proxy.seen] == [
        (200, 500),
        (200, 200),
    ]
    assert set(by_id(container.engine)) == set(ids) | set(more)
