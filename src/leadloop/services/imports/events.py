"""`import_events`: Segment-format events from NDJSON, CSV or Parquet into the event store.

Every record goes through :func:`~leadloop.domain.messages.parse_message`, the same rules
as the tracking API, and through the same durable write path
(:meth:`~leadloop.store.ingest.SqlIngestStore.write`): identity resolution, dedup on
messageId, quarantine for rejects, one transaction per chunk.

Two differences from live tracking, both because a file is history, not a live request:

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
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
from leadloop.services.imports.reader_process import EventFile
from leadloop.services.imports.reader_process import chunks as read_in_child
from leadloop.services.imports.reader_process import wanted as reader_process_wanted
from leadloop.services.imports.runner import ImportReport, Job, ProgressCallback
from leadloop.store.directory import SqlDirectory
from leadloop.store.event_rows import payload_text
from leadloop.store.ingest import Rejected, SqlIngestStore, WriteUnit

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


def _requires(plan: Plan, default_type: str | None) -> None:
    fields = plan.fields
    if "userId" not in fields and "anonymousId" not in fields:
        raise ValidationError(
            "no column maps to userId or anonymousId; map one, e.g. --map user_id=userId"
        )
    if "type" not in fields and default_type is None:
        raise ValidationError(
            "no column maps to type; map one (e.g. --map kind=type) or give --type track"
        )


def import_events(
    ingest: SqlIngestStore,
    directory: SqlDirectory,
    *,
    workspace_id: int,
    source_id: int,
    path: Path | str,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    default_type: str | None = None,
    chunk_size: int = 10_000,
    max_message_bytes: int = 32 * 1024,
    progress: ProgressCallback | None = None,
    received_at: datetime | None = None,
    plain_lane: bool = True,
    reader_process: bool | None = None,
) -> ImportReport:
    """Import a file of events; rerunning it stores nothing new.

    Args:
        ingest: the durable write path; dedup is per ``(workspace_id, source_id)``.
        directory: used to keep quarantine free of rejects already recorded by a rerun.
        path: ``.ndjson``/``.jsonl``/``.json`` (one Segment message per line), ``.csv`` or
            ``.parquet``; text files may be gzip-compressed (``.gz``).
        fmt: ``ndjson``, ``csv`` or ``parquet`` when the extension does not say.
        mapping: ``{column: field}`` for CSV and Parquet (see :mod:`.mapping`).
        default_type: message type for rows without one (CSV/Parquet), e.g. ``track``.
        chunk_size: messages per transaction.
        max_message_bytes: longest accepted line or row, as for the tracking API.
        progress: called after every chunk.
        received_at: when the messages count as received (default: now).
        plain_lane: parse plain page/track/screen records by
            :func:`~leadloop.domain.plain_messages.plain_event`, straight into the shape of
            their row (the default); ``False`` runs the general parser only, which stores
            exactly the same (tests/services/test_import_fast_equality.py compares the two).

    Raises:
        ValidationError: the file, its format or the mapping is unusable (nothing is
            stored), or the file breaks off half-way (what was read before is stored).
        StoreError: a chunk could not be written; earlier chunks are stored.
    """
    path = Path(path)
    job = Job.open("events", path, fmt, max_record_bytes=max_message_bytes, chunk_size=chunk_size)
    received_at = received_at or datetime.now(UTC)
    try:
        converter = EventConverter(received_at, default_type, plain_lane=plain_lane)
        if job.fmt == "ndjson":
            if mapping:
                raise ValidationError(
                    "--map applies to CSV and Parquet files; NDJSON lines are read as "
                    "Segment messages"
                )
            convert = ndjson_convert(converter)
        else:
            mapper = Mapper(EVENT_SCHEMA, mapping)
            plan = job.plan(mapper)
            assert plan is not None
            _requires(plan, default_type)
            convert = _row_convert(converter, mapper, plan, text=job.reader.text)
    except BaseException:
        job.reader.close()
        raise

    def write(messages: list[Message | PlainEvent], rejects: list[Rejected]) -> None:
        fresh = directory.new_rejects(workspace_id, rejects)
        result = ingest.write([WriteUnit(workspace_id, source_id, messages, fresh)])[0]
        job.report.stored += result.stored
        job.report.duplicates += result.duplicates

    if reader_process_wanted(path, job.fmt, reader_process):
        spec = EventFile(
            str(path), job.fmt, chunk_size, max_message_bytes, received_at, default_type,
            plain_lane,
        )  # fmt: skip
        return job.run_chunks(read_in_child(spec), write, progress=progress)
    return job.run(convert, write, chunk_size=chunk_size, progress=progress)


def ndjson_convert(converter: EventConverter) -> Any:
    message = converter.message

    def convert(_line: int, obj: Any) -> Message | PlainEvent:
        return message(obj)

    return convert


def _row_convert(converter: EventConverter, mapper: Mapper, plan: Plan, *, text: bool) -> Any:
    message = converter.message
    build = mapper.build_row

    def convert(_line: int, values: Any) -> Message | PlainEvent:
        return message(build(plan, values, text))

    return convert
