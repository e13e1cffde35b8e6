"""Real outside edges for hand-off tests: a signature-verifying webhook receiver, an SMTP
server (aiosmtpd), and a way to create contacts and hand-off requests in a real store."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from leadloop.domain.handoff import AccountRef, HandOffRequest, LeadContext, ReadingItem
from leadloop.domain.signing import (
    DELIVERY_ID_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    verify_signature,
)
from leadloop.store.tables import accounts, contacts

SECRET = "whsec_test_secret_0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    delivery_id: str
    event: str
    body: dict[str, Any]
    attempt: int
    started: float
    finished: float = 0.0
    status: int = 0


@dataclass
class Receiver:
    """A real HTTP server on a free port that verifies every signature.

    ``statuses`` is consumed one per request (then 200); ``hold`` makes each request wait
    until it is set (a slow receiver); ``delay_s`` sleeps in every request. Overlapping
    requests for the same delivery id are recorded in ``overlaps``.
    """

    secret: str = SECRET
    port: int = 0
    statuses: deque[int] = field(default_factory=deque)
    hold: threading.Event | None = None
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    bad_signatures: list[str] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/leads"

    def start(self) -> Receiver:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def delivered(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def wait_for(self, check: Callable[[Receiver], bool], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check(self):
                return
            time.sleep(0.02)
        raise AssertionError(f"receiver: condition not met; received {self.summary()}")

    def summary(self) -> list[tuple[str, int]]:
        with self.lock:
            return [(r.delivery_id, r.status) for r in self.received]

    def handle(self, headers: Any, body: bytes) -> tuple[int, Received | None]:
        try:
            verify_signature(self.secret, body, headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            self.bad_signatures.append(str(exc))
            return 401, None
        got = Received(
            headers[DELIVERY_ID_HEADER],
            headers[EVENT_HEADER],
            orjson.loads(body),
            int(headers.get("Leadloop-Attempt", "0")),
            time.monotonic(),
        )
        with self.lock:
            if self.in_flight.get(got.delivery_id):
                self.overlaps.append(got.delivery_id)
            self.in_flight[got.delivery_id] = self.in_flight.get(got.delivery_id, 0) + 1
            self.received.append(got)
            status = self.statuses.popleft() if self.statuses else 200
        if self.hold is not None:
            self.hold.wait(30)
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            self.in_flight[got.delivery_id] -= 1
            got.finished, got.status = time.monotonic(), status
        return status, got


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, _ = receiver.handle(self.headers, body)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the worker was killed while we held its request
                pass

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


@dataclass
class SmtpServer:
    """aiosmtpd on a free port, collecting every message it accepts."""

    controller: Controller
    inbox: _Inbox

    @classmethod
    def start(cls) -> SmtpServer:
        inbox = _Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        return cls(controller, inbox)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def stop(self) -> None:
        if self.controller._thread is not None:  # stopped already by the test
            self.controller.stop()

    def restart(self) -> None:
        """Come back on the same port (a stopped controller cannot start again)."""
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self.inbox.lock:
            return [m for m in self.inbox.messages if address in str(m["To"])]


def make_contact(
    engine: Engine, workspace_id: int, name: str, email_address: str, account: str | None = None
) -> tuple[int, int | None]:
    """A known contact (and its account) in the real store; (contact id, account id)."""
    now = datetime.now(UTC)
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        account_id = None
        if account:
            domain = email_address.split("@")[1]
            account_id = conn.execute(
                select(accounts.c.id).where(
                    accounts.c.workspace_id == workspace_id, accounts.c.domain == domain
                )
            ).scalar()
            if account_id is None:
                account_id = conn.execute(
                    accounts.insert().values(
                        workspace_id=workspace_id,
                        name=account,
                        domain=domain,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
        contact_id = conn.execute(
            contacts.insert().values(
                workspace_id=workspace_id,
                status="known",
                email=email_address,
                name=name,
                account_id=account_id,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return int(contact_id), account_id


READING = (
    ReadingItem(
        "Video book: why branch networks fail",
        "https://acme-telco.example/video-book/branch",
        "deep_read",
        datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    ),
    ReadingItem(
        "Network coverage map EMEA",
        "https://acme-telco.example/coverage-map",
        "downloaded",
        datetime(2026, 11, 21, 14, 5, tzinfo=UTC),
    ),
)

REASONS = (
    "Buying stage is consideration, at or past the agreed consideration.",
    "Downloaded the hot asset 'Network coverage map EMEA'.",
)


def request_for(
    workspace_id: int,
    contact_id: int,
    account_id: int | None = None,
    *,
    cycle: int = 1,
    hot: bool = False,
    segment: str | None = None,
    region: str | None = None,
    persona: str | None = None,
    name: str = "Ana Silva",
) -> HandOffRequest:
    return HandOffRequest(
        workspace_id=workspace_id,
        contact_id=contact_id,
        cycle=cycle,
        reasons=REASONS,
        rule_version="v3",
        hot=hot,
        lead=LeadContext(
            name=name,
            email_masked="a***@acme-logistics.example",
            buying_stage="consideration",
            interests=("network security", "sd-wan"),
            account=AccountRef(account_id, "Acme Logistics") if account_id else None,
            persona=persona,
            segment=segment,
            region=region,
            reading=READING,
        ),
    )
