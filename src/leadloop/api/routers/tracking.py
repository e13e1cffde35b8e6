"""Segment-compatible HTTP Tracking API: ``/v1/batch``, ``/v1/track``, ... and short forms.

Existing Segment and RudderStack clients work unchanged: JSON is read whatever the
Content-Type, gzip is accepted, the write key comes from Basic auth or the body, unknown
keys get 401 (clients drop rather than retry), and 200 means the messages are in the store:
as events, or (``LEADLOOP_INGEST_INBOX``) as the request itself in the ingest inbox, which
the drain turns into events moments later.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadloop.api.client_ip import client_ip, networks
from leadloop.api.deps import authenticate, basic_username
from leadloop.api.errors import error_response, json_response
from leadloop.api.schemas import ErrorBody, SegmentBatch, SegmentMessage, TrackingAccepted
from leadloop.bootstrap import Container
from leadloop.errors import LeadloopError, OverloadedError, PayloadTooLargeError, ValidationError
from leadloop.services.tracking import load_json, parse_body, quarantine_text
from leadloop.store.inbox import InboxEntry
from leadloop.store.ingest import Rejected, WriteUnit

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["tracking"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed body; nothing stored."},
    401: {"model": ErrorBody, "description": "Missing or unknown write key; nothing stored."},
    413: {"model": ErrorBody, "description": "Past a size limit; the body is quarantined."},
    429: {"model": ErrorBody, "description": "Store busy; retry after `Retry-After` seconds."},
    503: {"model": ErrorBody, "description": "Store failed; nothing stored, retry."},
}


def _decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    if not encoding or encoding.strip().lower() in ("identity", ""):
        return body
    if encoding.strip().lower() not in ("gzip", "deflate"):
        raise ValidationError(f"Content-Encoding {encoding!r} is not supported; use gzip")
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ValidationError(f"body is not valid gzip: {exc}") from None
    if len(out) > limit:
        raise PayloadTooLargeError(
            f"decompressed body is over the limit of {limit} bytes", limit=limit
        )
    return out


ENCODED_SLACK = 64 * 1024
"""A compressed body may be slightly larger than what it inflates to (incompressible data)."""

DRAIN_LIMIT = 16 * 1024 * 1024
"""Past the limit the rest of a body is read and dropped (so the client hears the 413 rather
than a reset) up to this many bytes; then the connection is given up."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, never holding more than ``limit`` bytes of it in memory.

    ``request.body()`` would buffer whatever a client sends before any size check.
    """
    encoded = (request.headers.get("content-encoding") or "identity").strip().lower()
    wire_limit = limit if encoded in ("identity", "") else limit + ENCODED_SLACK
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > DRAIN_LIMIT:
        raise _too_large(wire_limit, int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= wire_limit:
            chunks.append(chunk)
        elif size > DRAIN_LIMIT:
            break
    body = b"".join(chunks)
    if size > wire_limit:
        raise _too_large(wire_limit, size, kept=body)
    return body


class BodyTooLargeError(PayloadTooLargeError):
    """Past the request limit; ``kept`` is the part read before the limit (for quarantine)."""

    def __init__(self, message: str, kept: bytes, **detail: Any) -> None:
        super().__init__(message, **detail)
        self.kept = kept


def _too_large(limit: int, size: int, kept: bytes = b"") -> BodyTooLargeError:
    return BodyTooLargeError(
        f"request body is {size} bytes or more; the limit is {limit}",
        kept,
        size=size,
        limit=limit,
    )


def _client_ip(request: Request, trusted_proxies: list[str]) -> str | None:
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return client_ip(peer, forwarded, networks(tuple(trusted_proxies)))


async def handle(request: Request, implied_type: str | None) -> Response:
    """Answer one tracking POST (``implied_type`` is None for a batch)."""
    container: Container = request.app.state.container
    received_at = datetime.now(UTC)
    header_key = basic_username(request.headers.get("authorization"))
    source = f"api:{request.url.path}"
    raw = b""
    try:
        raw = await read_body(request, container.limits.max_request_bytes)
        body = _decompress(
            raw, request.headers.get("content-encoding"), container.limits.max_request_bytes
        )
        data = load_json(body, container.limits)
    except LeadloopError as exc:
        if header_key:
            kept = exc.kept if isinstance(exc, BodyTooLargeError) else raw
            await _quarantine_body(request, header_key, source, exc, kept)
        return error_response(exc)
    key = header_key or (data.get("writeKey") if isinstance(data, dict) else None)
    ip = _client_ip(request, container.settings.trusted_proxies)
    try:
        info = authenticate(request, key if isinstance(key, str) else None, scope="write")
        parsed = parse_body(
            data,
            received_at=received_at,
            implied_type=implied_type,
            source=source,
            limits=container.limits,
            ip=ip,
            verdict_only=container.uses_inbox,
        )
    except LeadloopError as exc:
        return error_response(exc)
    duplicates: int | None = None
    try:
        if container.uses_inbox:
            # Durable as the request itself; the drain judges it again, the same way.
            if container.inbox_full():
                raise OverloadedError(
                    "the inbox is full while the store catches up; retry shortly", retry_after=1
                )
            if parsed.accepted or parsed.rejected:
                entry = InboxEntry(
                    info.workspace_id, info.source_id, source, implied_type, received_at, ip,
                    parsed.accepted, body,
                )  # fmt: skip
                await asyncio.wrap_future(container.inbox_writer.submit(entry))
        else:
            unit = WriteUnit(info.workspace_id, info.source_id, parsed.messages, parsed.rejected)
            result = await asyncio.wrap_future(container.writer.submit(unit))
            duplicates = result.duplicates
    except LeadloopError as exc:
        return error_response(exc)
    if implied_type is not None and parsed.rejected:
        reason = parsed.rejected[0].reason
        # "message 0: <why>" is invalid; "message 0 is N bytes; the limit is M" is too large.
        # (Not `"limit" in reason`: the reason may quote the client's own text.)
        status = 400 if reason.startswith("message 0:") else 413
        code = "too_large" if status == 413 else "invalid_message"
        return json_response({"code": code, "message": reason, "detail": {}}, status)
    logger.debug(
        "ingest.request",
        extra={"fields": {"accepted": parsed.accepted, "rejected": len(parsed.rejected)}},
    )
    return json_response(
        {
            "success": True,
            "accepted": parsed.accepted,
            "duplicates": duplicates,
            "rejected": len(parsed.rejected),
            "errors": [r.reason for r in parsed.rejected],
            "queued": container.uses_inbox,
        }
    )


async def _quarantine_body(
    request: Request, key: str, source: str, exc: LeadloopError, raw: bytes
) -> None:
    """Keep an unreadable body from a known key, so nothing a client sent is lost unseen."""
    container: Container = request.app.state.container
    try:
        info = authenticate(request, key, scope="write")
    except LeadloopError:
        return
    text = quarantine_text(raw)
    unit = WriteUnit(info.workspace_id, info.source_id, [], [Rejected(source, exc.message, text)])
    try:
        await asyncio.wrap_future(container.writer.submit(unit))
    except LeadloopError:
        logger.warning("ingest.quarantine_skipped", extra={"fields": {"reason": exc.code}})


def _endpoint(implied_type: str | None) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handle(request, implied_type)

    return endpoint


def _body_schema(model: type[SegmentMessage] | type[SegmentBatch]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": "JSON, sent with any Content-Type (browsers send text/plain); "
            "`Content-Encoding: gzip` accepted.",
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}},
                "text/plain": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}},
            },
        }
    }


ROUTES: list[tuple[str, str | None, str]] = [
    ("batch", None, "Send up to 2,500 messages of any type in one request."),
    ("track", "track", "Record an action a person took (downloaded a white paper, ...)."),
    ("identify", "identify", "Tie a person to their traits (name, e-mail, subscribed topic)."),
    ("page", "page", "Record a page view."),
    ("screen", "screen", "Record a mobile screen view."),
    ("group", "group", "Tie a person to an account (company)."),
    ("alias", "alias", "Merge a previous id into a user id."),
]

for path, kind, summary in ROUTES:
    model = SegmentBatch if kind is None else SegmentMessage
    short = "b" if kind is None else path[0]
    for url, hidden in ((f"/{path}", False), (f"/{short}", True)):
        router.add_api_route(
            url,
            _endpoint(kind),
            methods=["POST"],
            summary=summary if not hidden else f"Short form of /v1/{path} (browser library)",
            response_model=TrackingAccepted,
            responses=ERRORS,
            openapi_extra=_body_schema(model),
            operation_id=f"{path}_{'short' if hidden else 'post'}",
        )


def tracking_paths() -> dict[str, str | None]:
    """Every tracking POST path (long and short forms) with the type it implies."""
    paths: dict[str, str | None] = {}
    for path, kind, _summary in ROUTES:
        short = "b" if kind is None else path[0]
        for url in (f"/{path}", f"/{short}"):
            paths[f"{router.prefix}{url}"] = kind
    return paths
