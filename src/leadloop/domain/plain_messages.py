"""The common tracking message, parsed in one pass: a track/page/screen from one or two
plain string ids, without traits. About nine in ten live messages look like this.

:func:`parse_plain_message` either returns exactly the ``Message`` that
:func:`~leadloop.domain.messages.parse_message` returns for the same input, raises exactly
its error, or returns ``None`` ("not plain: ask ``parse_message``"). It never decides
anything ``parse_message`` would decide differently; tests/domain prove the equality.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Final

from leadloop.domain.messages import (
    MAX_ID_LENGTH,
    BatchEnvelope,
    Message,
    corrected_timestamp,
    parse_timestamp,
)
from leadloop.errors import InvalidMessageError

_PLAIN_TYPES: Final = ("track", "page", "screen")  # a tuple: `type` may be unhashable JSON


def _plain_id(value: object) -> bool:
    return value.__class__ is str and 0 < len(value) <= MAX_ID_LENGTH and "\x00" not in value


def _plain_object(value: object) -> bool:
    return value is None or value.__class__ is dict


def parse_plain_message(
    raw: object,
    envelope: BatchEnvelope,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> Message | None:
    """``parse_message(raw, envelope, new_id)`` for a plain message, else ``None``.

    Raises:
        InvalidMessageError: only where ``parse_message`` raises the same (device times).
    """
    shape = _plain_shape(raw, envelope)
    if shape is None:
        return None
    kind, anonymous_id, user_id, event, name, properties, context, integrations = shape
    get = raw.get  # type: ignore[attr-defined]  # a dict: _plain_shape checked
    context = _merged(envelope.context, context)
    if envelope.ip and "ip" not in context:
        context = {**context, "ip": envelope.ip}
    original = parse_timestamp(get("timestamp"), "timestamp")
    sent_at = parse_timestamp(get("sentAt"), "sentAt") or envelope.sent_at
    return Message(
        type=kind,
        message_id=get("messageId") or new_id(),
        timestamp=corrected_timestamp(envelope.received_at, sent_at, original),
        received_at=envelope.received_at,
        anonymous_id=anonymous_id,
        user_id=user_id,
        event=event,
        name=name,
        properties=properties or {},
        context=context,
        integrations=_merged(envelope.integrations, integrations),
        original_timestamp=original,
        sent_at=sent_at,
    )


def is_valid_plain_message(raw: object, envelope: BatchEnvelope) -> bool:
    """True only where :func:`parse_plain_message` returns a message (so ``parse_message``
    accepts it), without building it: the ingest inbox only needs the verdict before it
    answers. False means "not known valid": ask the parsers."""
    if _plain_shape(raw, envelope) is None:
        return False
    get = raw.get  # type: ignore[attr-defined]  # a dict: _plain_shape checked
    try:
        original = parse_timestamp(get("timestamp"), "timestamp")
        sent_at = parse_timestamp(get("sentAt"), "sentAt") or envelope.sent_at
        corrected_timestamp(envelope.received_at, sent_at, original)
    except InvalidMessageError:
        return False
    return True


_Shape = tuple[
    str, "str | None", "str | None", "str | None", "str | None", Any, Any, Any
]  # fmt: skip


def _plain_shape(raw: object, envelope: BatchEnvelope) -> _Shape | None:
    """The fields of a plain message (kind, ids, event, name, the item's own objects), or
    ``None`` where it is not plain. Device times are left to the caller."""
    if raw.__class__ is not dict:
        return None
    get = raw.get
    kind = envelope.implied_type if envelope.implied_type is not None else get("type")
    if kind not in _PLAIN_TYPES:
        return None
    anonymous_id, user_id = get("anonymousId"), get("userId")
    if anonymous_id is not None and not _plain_id(anonymous_id):
        return None
    if user_id is not None and not _plain_id(user_id):
        return None
    if (anonymous_id is None and user_id is None) or get("previousId") is not None:
        return None
    if get("groupId") is not None or get("traits") is not None:
        return None
    event = name = None
    if kind == "track":
        event = get("event")
        if event.__class__ is not str:
            return None
        event = event.strip()
        if not _plain_id(event):
            return None
    else:
        name = get("name")
        if not isinstance(name, str):
            name = None
        elif len(name) > MAX_ID_LENGTH or "\x00" in name:
            return None
    properties, context, integrations = get("properties"), get("context"), get("integrations")
    if not (_plain_object(properties) and _plain_object(context) and _plain_object(integrations)):
        return None
    # "traits" in the merged context, without merging: in either level.
    if (context is not None and "traits" in context) or (
        envelope.context is not None and "traits" in envelope.context
    ):
        return None
    message_id = get("messageId")
    if message_id is not None and message_id != "" and not _plain_id(message_id):
        return None
    return kind, anonymous_id, user_id, event, name, properties, context, integrations


def _merged(batch_level: dict[str, Any] | None, item: dict[str, Any] | None) -> dict[str, Any]:
    if item is None:
        item = {}
    if not batch_level:
        return item
    return {**batch_level, **item}
