"""Segment-format tracking messages: parse, validate, correct clock skew.

The wire format is Segment's HTTP Tracking API (``track``, ``identify``, ``page``,
``screen``, ``group``, ``alias``), so existing client libraries work unchanged. Parsing is
pure: the caller passes the receive time, the batch-level fields and an id factory.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from leadloop.domain.traits import ALLOWED_ACCOUNT_TRAITS, ALLOWED_PERSON_TRAITS, split_traits
from leadloop.errors import InvalidMessageError

MESSAGE_TYPES: Final = ("track", "identify", "page", "screen", "group", "alias")
SHORT_TYPES: Final = {
    "t": "track",
    "i": "identify",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
}
MAX_ID_LENGTH: Final = 255


@dataclass(slots=True)
class Message:
    """One validated tracking message, ready to store.

    Not frozen: a frozen dataclass costs a setattr call per field, and a server builds
    tens of thousands of these a second. Treat instances as values all the same.
    """

    type: str
    message_id: str
    timestamp: datetime
    received_at: datetime
    anonymous_id: str | None = None
    user_id: str | None = None
    previous_id: str | None = None
    group_id: str | None = None
    event: str | None = None
    name: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    traits: dict[str, Any] = field(default_factory=dict)
    dropped_traits: tuple[str, ...] = ()
    context: dict[str, Any] = field(default_factory=dict)
    integrations: dict[str, Any] = field(default_factory=dict)
    original_timestamp: datetime | None = None
    sent_at: datetime | None = None

    @property
    def identity_key(self) -> tuple[str, str]:
        """The identity an event belongs to: the user when known, else the device."""
        if self.user_id is not None:
            return ("user", self.user_id)
        assert self.anonymous_id is not None
        return ("anonymous", self.anonymous_id)

    def payload(self) -> dict[str, Any]:
        """The stored body: what the client sent, minus dropped traits."""
        body: dict[str, Any] = {}
        if self.properties:
            body["properties"] = self.properties
        if self.traits:
            body["traits"] = self.traits
        if self.context:
            body["context"] = self.context
        if self.integrations:
            body["integrations"] = self.integrations
        if self.previous_id is not None:
            body["previousId"] = self.previous_id
        if self.group_id is not None:
            body["groupId"] = self.group_id
        if self.original_timestamp is not None:
            body["originalTimestamp"] = self.original_timestamp.isoformat()
        if self.sent_at is not None:
            body["sentAt"] = self.sent_at.isoformat()
        return body


def message_dedup_key(message_id: str, original: datetime | None) -> tuple[int, int]:
    """(client timestamp in epoch ms or 0, signed 64-bit hash of messageId).

    A retried message repeats both; leading with time keeps the unique index append-mostly.
    """
    ms = int(original.timestamp() * 1000) if original is not None else 0
    digest = hashlib.blake2b(message_id.encode(), digest_size=8).digest()
    return ms, int.from_bytes(digest, "big", signed=True)


def parse_timestamp(value: object, field_name: str) -> datetime | None:
    """Parse an ISO-8601 timestamp (``Z`` or an offset); naive values are taken as UTC.

    >>> parse_timestamp("2026-01-02T03:04:05.678Z", "timestamp").isoformat()
    '2026-01-02T03:04:05.678000+00:00'
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidMessageError(
            f"{field_name} must be an ISO-8601 string, got {type(value).__name__}",
            field=field_name,
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is UTC:
        return parsed  # the common case: "...Z" or "+00:00"
    try:
        parsed = parsed or datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidMessageError(
            f"{field_name} is not an ISO-8601 timestamp: {value[:40]!r}", field=field_name
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InvalidMessageError(
            f"{field_name} is out of range: {value[:40]!r}", field=field_name
        ) from None


def corrected_timestamp(
    received_at: datetime, sent_at: datetime | None, original: datetime | None
) -> datetime:
    """Correct device clock skew: ``receivedAt - (sentAt - originalTimestamp)``.

    Both device times come from the same (possibly wrong) clock, so their difference is
    trustworthy while their absolute values are not.
    """
    if original is None:
        return received_at
    if sent_at is None:
        return original
    try:
        return received_at - (sent_at - original)
    except OverflowError:
        raise InvalidMessageError(
            "timestamp and sentAt are too far apart to correct the clock skew",
            field="timestamp",
        ) from None


def _optional_id(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value.__class__ is str and 0 < len(value) <= MAX_ID_LENGTH and "\x00" not in value:
        return value  # the common case, checked in one line for speed
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidMessageError(f"{key} must be a string", field=key)
    return _short_text(str(value), key)


def _short_text(text: str, key: str) -> str:
    """An id or name as the store can index it: at most 255 characters, no NUL."""
    if len(text) > MAX_ID_LENGTH:
        raise InvalidMessageError(f"{key} is longer than {MAX_ID_LENGTH} characters", field=key)
    if "\x00" in text:
        raise InvalidMessageError(f"{key} must not contain NUL characters", field=key)
    return text


def _object(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidMessageError(f"{key} must be a JSON object", field=key)
    return value


def _merged(batch_level: dict[str, Any] | None, item: dict[str, Any]) -> dict[str, Any]:
    if not batch_level:
        return item
    return {**batch_level, **item}


def _filtered_context(context: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    if "traits" not in context:
        return context, ()
    traits = context["traits"]
    if traits is None:
        return {k: v for k, v in context.items() if k != "traits"}, ()
    if not isinstance(traits, dict):
        # Kept as is, a string or list here would slip past passive profiling.
        raise InvalidMessageError("context.traits must be a JSON object", field="context.traits")
    kept, dropped = split_traits(traits)
    out = dict(context)
    if kept:
        out["traits"] = kept
    else:
        out.pop("traits")
    return out, dropped


@dataclass(frozen=True, slots=True)
class BatchEnvelope:
    """What a request adds to every message it carries."""

    received_at: datetime
    implied_type: str | None = None
    sent_at: datetime | None = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    ip: str | None = None


def parse_message(
    raw: object,
    envelope: BatchEnvelope,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> Message:
    """Validate one Segment message and normalise it.

    Raises:
        InvalidMessageError: with a reason a developer can act on.
    """
    if not isinstance(raw, dict):
        raise InvalidMessageError("message must be a JSON object")
    kind = raw.get("type", envelope.implied_type)
    if envelope.implied_type is not None and kind != envelope.implied_type:
        kind = envelope.implied_type
    if kind not in MESSAGE_TYPES:
        allowed = ", ".join(MESSAGE_TYPES)
        raise InvalidMessageError(f"type must be one of {allowed}; got {kind!r}", field="type")
    anonymous_id = _optional_id(raw, "anonymousId")
    user_id = _optional_id(raw, "userId")
    previous_id = _optional_id(raw, "previousId")
    group_id = _optional_id(raw, "groupId")
    if kind == "alias":
        if previous_id is None or user_id is None:
            raise InvalidMessageError("alias needs previousId and userId", field="previousId")
    elif anonymous_id is None and user_id is None:
        raise InvalidMessageError("userId or anonymousId is required", field="userId")
    if kind == "group" and group_id is None:
        raise InvalidMessageError("group needs a groupId", field="groupId")
    event = raw.get("event")
    if kind == "track":
        if not isinstance(event, str) or not event.strip():
            raise InvalidMessageError("track needs a non-empty event name", field="event")
        event = _short_text(event.strip(), "event")
    name = raw.get("name") if kind in ("page", "screen") else None
    name = _short_text(name, "name") if isinstance(name, str) else None
    properties = _object(raw, "properties")
    traits_in = _object(raw, "traits")
    dropped: tuple[str, ...] = ()
    traits = traits_in
    if traits_in:
        allowed_traits = ALLOWED_ACCOUNT_TRAITS if kind == "group" else ALLOWED_PERSON_TRAITS
        traits, dropped = split_traits(traits_in, allowed_traits)
    context = _merged(envelope.context, _object(raw, "context"))
    context, dropped_ctx = _filtered_context(context)
    if dropped or dropped_ctx:
        if any("\x00" in k for k in (*dropped, *dropped_ctx)):
            raise InvalidMessageError("trait names must not contain NUL characters", field="traits")
        dropped = tuple(sorted(set(dropped) | set(dropped_ctx)))
    if envelope.ip and "ip" not in context:
        context = {**context, "ip": envelope.ip}
    integrations = _merged(envelope.integrations, _object(raw, "integrations"))
    original = parse_timestamp(raw.get("timestamp"), "timestamp")
    sent_at = parse_timestamp(raw.get("sentAt"), "sentAt") or envelope.sent_at
    message_id = _optional_id(raw, "messageId") or new_id()
    return Message(
        type=kind,
        message_id=message_id,
        timestamp=corrected_timestamp(envelope.received_at, sent_at, original),
        received_at=envelope.received_at,
        anonymous_id=anonymous_id,
        user_id=user_id,
        previous_id=previous_id,
        group_id=group_id,
        event=event if kind == "track" else None,
        name=name,
        properties=properties,
        traits=traits,
        dropped_traits=dropped,
        context=context,
        integrations=integrations,
        original_timestamp=original,
        sent_at=sent_at,
    )
