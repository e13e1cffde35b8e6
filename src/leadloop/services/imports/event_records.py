"""One record of an event file (an NDJSON object, a mapped CSV or Parquet row) turned into
what the store writes: a row-shaped ``PlainEvent`` for the plain lines, a ``Message`` for the
rest, or a reason to quarantine it.

Every record follows :func:`~leadloop.domain.messages.parse_message`'s rules, the tracking
API's. Two differences from live tracking, both because a file is history, not a live
request:

* **Deterministic message ids.** A record without ``messageId`` gets a UUIDv5 of its own
  content (canonical JSON, sorted keys), never a random one. Dedup works on messageId, so a
  random id would store every such record again on each rerun; a content id makes a rerun,
  or the same row in another file, a duplicate. The price: two records that are identical in
  every field (same user, event, properties and timestamp) are one event. Without a
  messageId or a timestamp they could not be told apart anyway.
* **No clock-skew correction.** The API corrects a device clock with
  ``receivedAt - (sentAt - timestamp)``; here "received" is the import, years later, so that
  would move every historical event to today. The file's ``timestamp`` is kept as it is
  (``sentAt`` stays in the payload), and its ``receivedAt``, when present, is kept too.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from leadloop.domain.messages import (
    MESSAGE_TYPES,
    BatchEnvelope,
    Message,
    parse_message,
    parse_timestamp,
)
from leadloop.domain.plain_messages import PlainEvent, plain_event
from leadloop.errors import InvalidMessageError, ValidationError
from leadloop.services.imports.mapping import Mapper, Plan, Schema
from leadloop.store.event_rows import payload_text

if TYPE_CHECKING:
    from leadloop.services.imports.runner import Job

MESSAGE_ID_NAMESPACE = uuid.UUID("1b7e3f52-8a3c-5d7e-9f10-6c2a4b8d0e11")
"""Fixed forever: changing it would give every id-less record a new id and re-import it."""

_ID_FIELDS = ("userId", "anonymousId", "messageId", "previousId", "groupId")
EVENT_SCHEMA = Schema(
    kind="events",
    fields={
        "type": "str",
        "event": "str",
        "name": "str",
        **dict.fromkeys(_ID_FIELDS, "str"),
        "timestamp": "time",
        "sentAt": "time",
        "receivedAt": "time",
        "properties": "json",
        "traits": "json",
        "context": "json",
        "integrations": "json",
    },
    nested=frozenset({"properties", "traits", "context", "integrations"}),
    aliases={
        **{name.lower(): name for name in ("type", "event", "name", *_ID_FIELDS)},
        **{name.lower(): name for name in ("timestamp", "sentAt", "receivedAt")},
        **{name: name for name in ("properties", "traits", "context", "integrations")},
    },
)


def derived_message_id(obj: dict[str, Any]) -> str:
    """A UUIDv5 of the record's content: same content, same id, in any file.

    >>> derived_message_id({"type": "track", "event": "x", "userId": "u1"})
    '89cf86f1-6dc4-5077-87c4-b68575e4fa86'
    """
    try:
        content = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as exc:
        raise InvalidMessageError(f"record cannot be written as JSON: {exc}") from None
    digest = hashlib.sha1(MESSAGE_ID_NAMESPACE.bytes + content, usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


class EventConverter:
    """Turns one decoded record into a :class:`Message` with the importer's rules."""

    def __init__(
        self, received_at: datetime, default_type: str | None = None, *, plain_lane: bool = True
    ) -> None:
        if default_type is not None and default_type not in MESSAGE_TYPES:
            raise ValidationError(
                f"--type must be one of {', '.join(MESSAGE_TYPES)}; got {default_type!r}"
            )
        self.received_at = received_at
        self.envelope = BatchEnvelope(received_at)
        self.default_type = default_type
        self.plain_lane = plain_lane

    def message(self, obj: Any) -> Message | PlainEvent:
        """Validate one record; raise :class:`InvalidMessageError` with the reason."""
        if not isinstance(obj, dict):
            if isinstance(obj, list):
                raise InvalidMessageError(
                    "line holds a JSON array; NDJSON needs one JSON object per line "
                    "(convert with: jq -c '.[]' file.json > file.ndjson)"
                )
            raise InvalidMessageError("message must be a JSON object")
        if self.default_type is not None and not obj.get("type"):
            obj["type"] = self.default_type
        message_id = obj.get("messageId")
        if message_id is None or message_id == "":
            obj.pop("messageId", None)
            obj["messageId"] = derived_message_id(obj)
        if self.plain_lane and "sentAt" not in obj and "receivedAt" not in obj:
            # The tracking API's lane; an import reads sentAt/receivedAt its own way (below).
            plain = plain_event(obj, self.envelope, payload_text)
            if plain is not None:
                return plain  # the same row, sooner (domain/plain_messages.py)
        sent = obj.pop("sentAt", None)
        received = obj.get("receivedAt")
        envelope = self.envelope
        if received is not None:
            at = parse_timestamp(received, "receivedAt")
            envelope = BatchEnvelope(at) if at is not None else envelope
        msg = parse_message(obj, envelope)
        if sent is not None:
            # Kept in the payload, but not used to correct the clock (see module docstring).
            object.__setattr__(msg, "sent_at", parse_timestamp(sent, "sentAt"))
        return msg


def ndjson_convert(converter: EventConverter) -> Callable[[int, Any], Message | PlainEvent]:
    message = converter.message

    def convert(_line: int, obj: Any) -> Message | PlainEvent:
        return message(obj)

    return convert


def row_convert(
    converter: EventConverter, mapper: Mapper, plan: Plan, *, text: bool
) -> Callable[[int, Any], Message | PlainEvent]:
    message = converter.message
    build = mapper.build_row

    def convert(_line: int, values: Any) -> Message | PlainEvent:
        return message(build(plan, values, text))

    return convert


def record_convert(
    job: Job,
    converter: EventConverter,
    mapping: Mapping[str, str] | None,
    default_type: str | None,
) -> Callable[[int, Any], Message | PlainEvent]:
    """How the job's records become messages: NDJSON objects as they are, CSV and Parquet
    rows through the mapping, checked against the header first. The importer and its
    reader process both call it, so they convert alike.

    Raises:
        ValidationError: a mapping for NDJSON, or one the header or the schema refuses.
    """
    if job.fmt == "ndjson":
        if mapping:
            raise ValidationError(
                "--map applies to CSV and Parquet files; NDJSON lines are read as Segment messages"
            )
        return ndjson_convert(converter)
    mapper = Mapper(EVENT_SCHEMA, mapping)
    plan = job.plan(mapper)
    assert plan is not None  # CSV and Parquet have a header
    fields = plan.fields
    if "userId" not in fields and "anonymousId" not in fields:
        raise ValidationError(
            "no column maps to userId or anonymousId; map one, e.g. --map user_id=userId"
        )
    if "type" not in fields and default_type is None:
        raise ValidationError(
            "no column maps to type; map one (e.g. --map kind=type) or give --type track"
        )
    return row_convert(converter, mapper, plan, text=job.reader.text)
