"""Debian's Chromium driven by Playwright, a local web site to embed the snippet in, and the
request log that proves nothing left the machine."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from e2e_helpers import free_port
from sqlalchemy import Engine, select

from leadloop.store.engine import as_utc
from leadloop.store.tables import events, identities

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_DIR = Path(__file__).resolve().parent / "browser"
ANALYTICS_NEXT = BROWSER_DIR / "dist" / "analytics-next.js"


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"{CHROMIUM} missing: `make test` installs it (apt-get install -y chromium)"
    return None


class QuietServer(ThreadingHTTPServer):
    """A page that navigates away hangs up on its pending requests; that is no error."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def byte_range(header: str | None, body: bytes) -> tuple[int, bytes, dict[str, str]]:
    """Answer `Range: bytes=a-b` (media must be seekable), else the whole body."""
    if not header or not header.startswith("bytes="):
        return 200, body, {}
    first, _, last = header[6:].split(",")[0].partition("-")
    start = int(first or 0)
    end = min(int(last) if last else len(body) - 1, len(body) - 1)
    return 206, body[start : end + 1], {"Content-Range": f"bytes {start}-{end}/{len(body)}"}


@dataclass
class Site:
    """A web site on another local port: pages by path, served with their content type."""

    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, path: str, body: str | bytes, content_type: str = "text/html") -> str:
        self.pages[path] = (content_type, body.encode() if isinstance(body, str) else body)
        return self.url + path

    def start(self) -> Site:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = site.pages.get(urlsplit(self.path).path)
                if found is None:
                    self.send_error(404)
                    return
                kind, body = found
                status, body, extra = byte_range(self.headers.get("Range"), body)
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", kind)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Sent:
    """One tracking request as the server side saw it, and the answer the browser got."""

    path: str
    content_type: str | None
    messages: list[dict[str, Any]]
    status: int


@dataclass
class TrackingProxy:
    """Leadloop's front door: forwards everything to the real server and records each
    tracking request (beacons included, which no browser-side log sees during unload).

    ``down`` answers that many tracking POSTs with 503 without forwarding (server away);
    ``reject`` answers that many with 400 (a batch the server refuses); ``lose`` forwards
    that many but answers 502 (stored, acknowledgement lost: the client must resend).
    """

    upstream: str
    port: int = field(default_factory=free_port)
    sent: list[Sent] = field(default_factory=list)
    down: int = 0
    reject: int = 0
    lose: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _fault(self) -> int:
        if self.down:
            self.down -= 1
            return 503
        if self.reject:
            self.reject -= 1
            return 400
        return 0

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        tracking = method == "POST" and path.startswith("/v1/")
        fault = self._fault() if tracking else 0
        if fault:
            response = httpx.Response(fault, json={"code": "test_fault", "message": "test"})
            response.headers["access-control-allow-origin"] = "*"
        else:
            url = self.upstream + path
            response = httpx.request(method, url, content=body, headers=headers, timeout=30)
            if tracking and self.lose:
                self.lose -= 1
                response = httpx.Response(502, headers={"access-control-allow-origin": "*"})
        if tracking:
            data = orjson.loads(body)
            batch = data.get("batch", [data])
            self.sent.append(Sent(path, headers.get("content-type"), batch, response.status_code))
        return response

    def start(self) -> TrackingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                for hop in ("content-length", "connection", "accept-encoding"):  # Host kept
                    headers.pop(hop, None)
                answer = proxy.answer(self.command, self.path, headers, body)
                self.send_response(answer.status_code)
                for k, v in answer.headers.items():
                    if k.lower() not in HOP_HEADERS:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_OPTIONS = forward

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def messages(self) -> list[dict[str, Any]]:
        """The messages of every request the server acknowledged (2xx)."""
        return [m for r in self.sent if 200 <= r.status < 300 for m in r.messages]


HOP_HEADERS = (
    "content-length",
    "connection",
    "content-encoding",
    "transfer-encoding",
    "date",
    "server",
)


@dataclass
class RequestLog:
    """Every URL a page requested, as Chromium's DevTools protocol reports it."""

    urls: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> RequestLog:
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", lambda e: self.urls.append(e["request"]["url"]))
        cdp.send("Network.enable")
        return self

    def hosts(self) -> set[str]:
        return {urlsplit(url).hostname or url for url in self.urls}


def wait_until(page: Any, check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    """Poll ``check``; Playwright delivers its events only while the page waits, not in sleep."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


def stored(engine: Engine) -> list[dict[str, Any]]:
    """Every stored event as its payload, with the contact it belongs to now."""
    query = select(
        events.c.message_id,
        events.c.type,
        events.c.event,
        events.c.timestamp,
        events.c.payload_json,
        events.c.dropped_traits,
        identities.c.contact_id,
    ).join(identities, identities.c.id == events.c.identity_id)
    with engine.connect() as conn:
        out = []
        for row in conn.execute(query.order_by(events.c.id)):
            payload = orjson.loads(row.payload_json)
            out.append(
                {
                    **payload,
                    "messageId": row.message_id,
                    "type": row.type,
                    "event": row.event,
                    "_stored_at": as_utc(row.timestamp),
                    "_contact": row.contact_id,
                    "_dropped": row.dropped_traits,
                }
            )
        return out
