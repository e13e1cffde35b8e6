"""A local HTTPS server that speaks the documented Salesforce and HubSpot REST endpoints.

The real client libraries (simple-salesforce, hubspot-api-client) talk to it over TLS
(a trustme CA), so the tests see exactly the requests the libraries send: every request
is recorded with method, path, query, headers and body. Failures (429, limits) are
scripted per path prefix and answered once each.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
import trustme
import uvicorn
from fake_hubspot import FakeHubSpot
from fake_salesforce import FakeSalesforce
from fastapi import FastAPI, Request, Response


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Scripted:
    method: str
    prefix: str
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class CrmState:
    """Everything the fake CRMs hold; reset per test."""

    salesforce: FakeSalesforce = field(default_factory=FakeSalesforce)
    hubspot: FakeHubSpot = field(default_factory=FakeHubSpot)
    requests: list[Recorded] = field(default_factory=list)
    script: list[Scripted] = field(default_factory=list)

    def fail_next(
        self,
        method: str,
        prefix: str,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.script.append(Scripted(method, prefix, status, body, headers or {}))

    def calls(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and contains in r.path
        ]


def build_app(state_ref: dict[str, CrmState], base_url: str) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        state = state_ref["state"]
        body = await request.body()
        state.requests.append(
            Recorded(
                request.method,
                request.url.path,
                parse_qs(request.url.query),
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
        )
        for item in list(state.script):
            if item.method == request.method and request.url.path.startswith(item.prefix):
                state.script.remove(item)
                return Response(
                    orjson.dumps(item.body),
                    item.status,
                    item.headers,
                    media_type="application/json",
                )
        return await call_next(request)

    @app.post("/services/oauth2/token")
    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        return state_ref["state"].salesforce.token(form, base_url)

    @app.api_route("/services/data/{version}/{rest:path}", methods=["GET", "POST", "PATCH"])
    async def salesforce(version: str, rest: str, request: Request) -> Response:
        return state_ref["state"].salesforce.handle(request, version, rest, await request.body())

    @app.api_route("/crm/{rest:path}", methods=["GET", "POST", "PATCH"])
    async def hubspot(rest: str, request: Request) -> Response:
        return state_ref["state"].hubspot.handle(request, rest, await request.body())

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CrmServer:
    """uvicorn over TLS in a background thread."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = workdir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        cert_path = workdir / "server.pem"
        cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
        self.ref: dict[str, CrmState] = {"state": CrmState()}
        config = uvicorn.Config(
            build_app(self.ref, self.url),
            host="127.0.0.1",
            port=self.port,
            ssl_certfile=str(cert_path),
            log_level="warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def state(self) -> CrmState:
        return self.ref["state"]

    def reset(self) -> CrmState:
        self.ref["state"] = CrmState()
        return self.state

    def start(self) -> CrmServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake CRM server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
