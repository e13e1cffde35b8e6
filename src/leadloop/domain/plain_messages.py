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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from leadloop.domain.messages import (
    MAX_ID_LENGTH,
    BatchEnvelope,
    Message,
    corrected_timestamp,
    message_dedup_key,
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


@dataclass(slots=True)
class PlainEvent:
    """A plain message already in the shape of its event row, minus the identity.

    What a bulk import needs of the nine lines in ten that are plain: the identity resolver
    reads ``type`` and the two ids (all it reads of a plain message), the row builder takes
    the rest as they are. :func:`plain_event` builds it in one pass, without the
    :class:`Message` and the second pass that turned it into a row (tests/domain and
    tests/store/test_event_rows.py prove that the row is the one the ``Message`` gives).
    """

    type: str
    message_id: str
    anonymous_id: str | None
    user_id: str | None
    event: str | None
    """The track's event; a page's or screen's name."""
    timestamp: datetime
    received_at: datetime
    original_iso: str | None
    """``originalTimestamp`` as ``datetime.isoformat`` writes it (``None``: none was sent)."""
    dedup_ts: int
    dedup_hash: int
    payload_json: str
    """``Message.payload()`` as the given serialiser wrote it (the store's is orjson)."""


def plain_event(
    raw: object,
    envelope: BatchEnvelope,
    serialise: Callable[[dict[str, Any]], str],
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> PlainEvent | None:
    """The row-shaped :class:`PlainEvent` of what :func:`parse_plain_message` would return,
    for a message without ``sentAt`` under an envelope that adds nothing (an import's);
    ``None`` for every other input: ask the parsers.

    Raises:
        InvalidMessageError: only where ``parse_message`` raises the same.
    """
    if (
        envelope.sent_at is not None
        or envelope.context
        or envelope.integrations
        or envelope.ip
        or envelope.implied_type is not None
    ):
        return None
    shape = _plain_shape(raw, envelope)
    if shape is None:
        return None
    get = raw.get  # type: ignore[attr-defined]  # a dict: _plain_shape checked
    if get("sentAt") is not None:
        return None
    kind, anonymous_id, user_id, event, name, properties, context, integrations = shape
    text = get("timestamp")
    original = parse_timestamp(text, "timestamp")
    message_id = get("messageId") or new_id()
    body: dict[str, Any] = {}
    if properties:
        body["properties"] = properties
    if context:
        body["context"] = context
    if integrations:
        body["integrations"] = integrations
    if original is None:
        timestamp, iso = envelope.received_at, None
    else:
        timestamp, iso = original, _iso(original, text)
        body["originalTimestamp"] = iso
    dedup_ts, dedup_hash = message_dedup_key(message_id, original)
    return PlainEvent(
        kind,
        message_id,
        anonymous_id,
        user_id,
        event if kind == "track" else name,
        timestamp,
        envelope.received_at,
        iso,
        dedup_ts,
        dedup_hash,
        serialise(body),
    )


def _iso(parsed: datetime, text: str) -> str:
    """``parsed.isoformat()``, read off the text where it is the common
    ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (``fromisoformat`` accepted it, so the digits are digits):
    ``isoformat`` costs as much as the rest of a plain row."""
    if (
        len(text) == 24
        and text[23] == "Z"
        and text[19] == "."
        and text[10] == "T"
        and text[4] == "-"
        and text[7] == "-"
        and text[13] == ":"
        and text[16] == ":"
    ):
        millis = text[20:23]
        return text[:19] + ("+00:00" if millis == "000" else "." + millis + "000+00:00")
    return parsed.isoformat()


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
