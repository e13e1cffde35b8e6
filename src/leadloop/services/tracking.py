"""Turn a Segment-format request body into messages to store and rejects to quarantine.

Both the HTTP tracking API and the bulk importer use this, so a message is judged the same
way whichever door it came through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from leadloop.domain.messages import BatchEnvelope, Message, parse_message, parse_timestamp
from leadloop.domain.plain_messages import is_valid_plain_message, parse_plain_message
from leadloop.errors import InvalidMessageError, PayloadTooLargeError, ValidationError
from leadloop.store.ingest import Rejected


@dataclass(frozen=True, slots=True)
class Limits:
    max_message_bytes: int = 32 * 1024
    max_request_bytes: int = 500 * 1024
    max_batch_messages: int = 2500


@dataclass(slots=True)
class ParsedRequest:
    """What a request carried: valid messages, rejects, and the key it named in its body."""

    messages: list[Message] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    write_key: str | None = None
    accepted: int = 0
    """Valid messages; with ``verdict_only`` these are counted, not kept in ``messages``."""


def quarantine_text(raw: bytes, limit: int = 64_000) -> str:
    """Raw bytes kept in quarantine as text: invalid UTF-8, and NUL (PostgreSQL text cannot
    hold it), become U+FFFD."""
    return raw[:limit].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def load_json(body: bytes, limits: Limits) -> Any:
    """Parse a request body as JSON, whatever the Content-Type said."""
    if len(body) > limits.max_request_bytes:
        raise PayloadTooLargeError(
            f"request body is {len(body)} bytes; the limit is {limits.max_request_bytes}",
            size=len(body),
            limit=limits.max_request_bytes,
        )
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"body is not valid JSON: {exc}") from None


def parse_body(
    data: Any,
    *,
    received_at: datetime,
    implied_type: str | None,
    source: str,
    limits: Limits,
    ip: str | None = None,
    verdict_only: bool = False,
) -> ParsedRequest:
    """Split a single-message or batch body into messages and rejects.

    ``verdict_only`` (the ingest inbox, which stores the body and parses it later) counts
    the valid messages without building them; rejects and reasons are the same.

    Raises:
        ValidationError: the body as a whole is unusable (not an object, no ``batch`` list).
        PayloadTooLargeError: more than the allowed number of messages.
    """
    if not isinstance(data, dict):
        raise ValidationError("body must be a JSON object")
    write_key = data.get("writeKey") if isinstance(data.get("writeKey"), str) else None
    if implied_type is None:
        items = data.get("batch")
        if not isinstance(items, list):
            raise ValidationError("a batch body needs a `batch` list of messages")
        if len(items) > limits.max_batch_messages:
            raise PayloadTooLargeError(
                f"batch has {len(items)} messages; the limit is {limits.max_batch_messages}",
                size=len(items),
                limit=limits.max_batch_messages,
            )
        ctx = data.get("context") if isinstance(data.get("context"), dict) else None
        integ = data.get("integrations") if isinstance(data.get("integrations"), dict) else None
        try:
            sent_at = parse_timestamp(data.get("sentAt"), "sentAt")
        except InvalidMessageError:
            sent_at = None
        envelope = BatchEnvelope(received_at, None, sent_at, ctx, integ, ip)
    else:
        items = [data]
        envelope = BatchEnvelope(received_at, implied_type, ip=ip)
    out = ParsedRequest(write_key=write_key)
    _parse_items(items, envelope, source, limits, out, verdict_only)
    return out


def _parse_items(
    items: Iterable[Any],
    envelope: BatchEnvelope,
    source: str,
    limits: Limits,
    out: ParsedRequest,
    verdict_only: bool = False,
) -> None:
    limit = limits.max_message_bytes
    dumps = orjson.dumps
    accept = out.messages.append
    valid = 0
    for index, item in enumerate(items):
        try:
            encoded = dumps(item)
        except TypeError:
            encoded = None
        # The limit counts characters of the compact JSON; UTF-8 has at least one byte per
        # character, so only a body over the limit in bytes needs decoding to be sure.
        if encoded is None or len(encoded) > limit:
            raw = encoded.decode() if encoded is not None else repr(item)
            if len(raw) > limit:
                out.rejected.append(
                    Rejected(
                        source, f"message {index} is {len(raw)} bytes; the limit is {limit}",
                        raw[:2000], index,
                    )
                )  # fmt: skip
                continue
        if verdict_only and is_valid_plain_message(item, envelope):
            valid += 1
            continue
        try:
            message = parse_plain_message(item, envelope) or parse_message(item, envelope)
        except InvalidMessageError as exc:
            raw = encoded.decode() if encoded is not None else repr(item)
            out.rejected.append(Rejected(source, f"message {index}: {exc.message}", raw, index))
            continue
        valid += 1
        if not verdict_only:
            accept(message)
    out.accepted = valid
