"""Helpers for API tests: the real app in process, behind an httpx client, and store reads."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from anyio.from_thread import BlockingPortal, start_blocking_portal
from sqlalchemy import Engine, Row, Table, func, select

from leadloop.api.app import create_app
from leadloop.bootstrap import Container
from leadloop.store.tables import events, quarantine

CLIENT_IP = "203.0.113.5"


@dataclass
class Api:
    """Calls the app in process from synchronous tests (and from threads, concurrently)."""

    portal: BlockingPortal
    client: httpx.AsyncClient
    write_key: str
    engine: Engine
    workspace_id: int
    queued: bool = False
    """Through the ingest inbox: reads first drain it (what was answered 200 is stored)."""
    settle: Callable[[], object] = lambda: None

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        call = functools.partial(self.client.request, method, path, **kwargs)
        response: httpx.Response = self.portal.call(call)
        return response

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def send(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        """POST JSON the way the Python clients do: Basic auth with the write key."""
        kwargs.setdefault("auth", (self.write_key, ""))
        return self.post(path, content=orjson.dumps(body), **kwargs)

    def rows(self, table: Table = events) -> list[Row[Any]]:
        self.settle()
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(table)
                    .where(table.c.workspace_id == self.workspace_id)
                    .order_by(table.c.id)
                )
            )

    def count_everywhere(self, table: Table) -> int:
        self.settle()
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def event(self, message_id: str) -> Row[Any]:
        found = [e for e in self.rows() if e.message_id == message_id]
        assert len(found) == 1, f"{message_id}: {len(found)} rows"
        return found[0]

    def payload(self, message_id: str) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(self.event(message_id).payload_json)
        return body

    def quarantined(self) -> list[Row[Any]]:
        return self.rows(quarantine)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An error answer: the status, JSON ``{code, message, detail}``, a useful message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and len(body["message"]) > 10
    assert isinstance(body.get("detail", {}), dict)
    return body


@contextmanager
def in_process_api(container: Container, write_key: str, workspace_id: int) -> Iterator[Api]:
    """The real app around ``container``, called in process through httpx's ASGI transport."""
    transport = httpx.ASGITransport(app=create_app(container), client=(CLIENT_IP, 51000))
    with start_blocking_portal() as portal:
        client = httpx.AsyncClient(transport=transport, base_url="http://leadloop.test")
        try:
            yield Api(
                portal, client, write_key, container.engine, workspace_id,
                queued=container.uses_inbox,
                settle=container.drainer.drain if container.uses_inbox else lambda: None,
            )  # fmt: skip
        finally:
            portal.call(client.aclose)
