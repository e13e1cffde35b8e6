"""A fast lane of :func:`~leadloop.domain.messages.parse_message` for plain messages.

Most messages of a bulk file are page/track/screen views in their simplest form: string
ids, a ``...Z`` timestamp, object ``properties``/``context``, no traits, no ``sentAt``. For
those :func:`parse_plain` builds the very :class:`Message` that ``parse_message`` builds,
with a handful of checks instead of the general path's dozens of calls; for anything else
it returns ``None`` and the caller takes the general path, which also writes the reasons
for invalid messages. The equality is a tested property (tests/domain/test_plain_messages.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, TypeGuard

from leadloop.domain.messages import MAX_ID_LENGTH, Message

_PLAIN_TYPES: Final = frozenset({"track", "page", "screen"})
_GENERAL_KEYS: Final = frozenset({"traits", "previousId", "groupId", "sentAt", "receivedAt"})
"""Keys whose handling (trait filtering, payload fields, clock) only the general path does."""


def _plain_id(value: object) -> TypeGuard[str]:
    """An id the general path keeps exactly as it is (a short string without NUL)."""
    return type(value) is str and 0 < len(value) <= MAX_ID_LENGTH and "\x00" not in value


def _plain_name(value: object) -> TypeGuard[str | None]:
    """A page/screen name the general path keeps as it is (it does not strip names)."""
    return value is None or (
        type(value) is str and len(value) <= MAX_ID_LENGTH and "\x00" not in value
    )


def _plain_object(value: object) -> TypeGuard[dict[str, Any] | None]:
    return value is None or type(value) is dict


def parse_plain(raw: dict[str, Any], received_at: datetime) -> Message | None:
    """The message ``parse_message(raw, BatchEnvelope(received_at))`` returns, or ``None``.

    ``None`` means "not plain": take the general path (it may accept or reject the message).
    """
    kind = raw.get("type")
    if kind not in _PLAIN_TYPES or not raw.keys().isdisjoint(_GENERAL_KEYS):
        return None
    anonymous_id = raw.get("anonymousId")
    user_id = raw.get("userId")
    message_id = raw.get("messageId")
    if not (
        (anonymous_id is None or _plain_id(anonymous_id))
        and (user_id is None or _plain_id(user_id))
        and (anonymous_id is not None or user_id is not None)
        and _plain_id(message_id)
    ):
        return None
    event = name = None
    if kind == "track":
        event = raw.get("event")
        if not _plain_id(event) or event.strip() != event:
            return None
    else:
        name = raw.get("name")
        if not _plain_name(name):
            return None
    properties = raw.get("properties")
    context = raw.get("context")
    integrations = raw.get("integrations")
    if not (_plain_object(properties) and _plain_object(context) and _plain_object(integrations)):
        return None
    if context is not None and "traits" in context:
        return None
    stamp = raw.get("timestamp")
    if type(stamp) is not str:
        return None
    try:
        timestamp = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if timestamp.tzinfo is not UTC:
        return None
    return Message(
        type=kind,
        message_id=message_id,
        timestamp=timestamp,
        received_at=received_at,
        anonymous_id=anonymous_id,
        user_id=user_id,
        event=event,
        name=name,
        properties=properties or {},
        context=context or {},
        integrations=integrations or {},
        original_timestamp=timestamp,
    )
