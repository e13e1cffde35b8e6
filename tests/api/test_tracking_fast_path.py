"""Tracking POSTs answer the same with and without the fast path past FastAPI's routing:
status, body, the headers clients read (CORS, Retry-After, content type) and what is stored."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import orjson
import pytest
from sqlalchemy import func, select

from leadloop.api.app import create_app
from leadloop.bootstrap import Container
from leadloop.store.tables import events, quarantine

if TYPE_CHECKING:
    from conftest import Workspace

HEADERS = ("content-type", "access-control-allow-origin", "retry-after", "allow")
Case = Callable[[str, str], dict[str, Any]]


def _batch(key: str, prefix: str, bad: int = 0) -> dict[str, Any]:
    items: list[Any] = [
        {"type": "track", "event": "Viewed", "anonymousId": "a-1", "messageId": f"{prefix}{i}"}
        for i in range(3)
    ]
    items += [{"type": "track", "anonymousId": "a-1"}] * bad + ["not an object"] * bad
    return {"writeKey": key, "batch": items}


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


CASES: dict[str, Case] = {
    "batch, Basic auth": lambda k, p: {
        "url": "/v1/batch", "json": {"batch": _batch(k, p)["batch"]}, "headers": _basic(k),
    },
    "browser: text/plain, writeKey in body, Origin": lambda k, p: {
        "url": "/v1/b", "content": orjson.dumps(_batch(k, p)),
        "headers": {"Content-Type": "text/plain", "Origin": "https://example.com"},
    },
    "gzip": lambda k, p: {
        "url": "/v1/batch", "content": gzip.compress(orjson.dumps(_batch(k, p))),
        "headers": {"Content-Encoding": "gzip", **_basic(k)},
    },
    "bad and good in one batch": lambda k, p: {"url": "/v1/batch", "json": _batch(k, p, bad=2)},
    "single track, short form": lambda k, p: {
        "url": "/v1/t", "json": {"writeKey": k, "event": "E", "userId": "u", "messageId": p},
    },
    "single identify, invalid": lambda k, p: {
        "url": "/v1/identify", "json": {"writeKey": k, "traits": {"email": "a@b.co"}},
    },
    "unknown key": lambda k, p: {"url": "/v1/batch", "json": _batch("nope", p)},
    "no key": lambda k, p: {"url": "/v1/batch", "json": {"batch": []}},
    "not JSON, key in header": lambda k, p: {
        "url": "/v1/batch", "content": b"{nope", "headers": _basic(k),
    },
    "body over 500 KB": lambda k, p: {
        "url": "/v1/batch", "content": b" " * 600_000, "headers": _basic(k),
    },
    "unsupported encoding": lambda k, p: {
        "url": "/v1/batch", "content": b"{}", "headers": {"Content-Encoding": "br", **_basic(k)},
    },
    "batch of an object": lambda k, p: {"url": "/v1/batch", "json": {"writeKey": k, "batch": {}}},
}  # fmt: skip


def _counts(container: Container) -> tuple[int, int]:
    with container.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(events)).scalar_one()
        held = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
    return stored, held


async def _send(container: Container, fast: bool, case: dict[str, Any]) -> httpx.Response:
    app = create_app(container, tracking_fast_path=fast)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadloop.test") as c:
        return await c.post(**case)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_path_answers_as_the_routed_app(
    container: Container, workspace: Workspace, name: str
) -> None:
    answers = []
    for fast in (False, True):
        before = _counts(container)
        case = CASES[name](workspace.write_key, f"{name}-{fast}-")
        response = anyio.run(_send, container, fast, case)
        after = _counts(container)
        headers = {h: response.headers.get(h) for h in HEADERS}
        stored = (after[0] - before[0], after[1] - before[1])
        answers.append((response.status_code, response.content, headers, stored))
    assert answers[0] == answers[1]


def test_other_methods_and_paths_go_the_usual_way(container: Container) -> None:
    anyio.run(_other_methods, container)


async def _other_methods(container: Container) -> None:
    app = create_app(container)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadloop.test") as c:
        preflight = await c.options(
            "/v1/batch",
            headers={"Origin": "https://example.com", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert (await c.get("/v1/batch")).status_code == 405
        assert (await c.post("/v1/batch/")).status_code in (307, 404)
