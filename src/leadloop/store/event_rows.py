"""Event rows for the driver-level insert, built in one pass per unit of work.

The hot loop of every durable write: at tens of thousands of messages a second each
attribute read and ``isoformat`` call shows. This builds exactly what
``Message.payload()``, ``dedup_key`` and ``db_time`` give (tests/store pin the equality),
with the per-unit repeats (the batch's ``sentAt``, its receive time) formatted once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from leadloop.domain.identity import first_appearances
from leadloop.domain.messages import Message
from leadloop.domain.plain_messages import PlainEvent
from leadloop.store.engine import sqlite_text

Row = tuple[Any, ...]

EVENT_COLUMNS = (
    "workspace_id", "source_id", "dedup_ts", "dedup_hash", "message_id", "identity_id",
    "type", "event", "timestamp", "received_at", "payload_json", "dropped_traits",
)  # fmt: skip
"""The ``events`` columns every row here fills, in order."""


def _sqlite_time(value: datetime) -> str:
    """``sqlite_text`` without the ``replace`` call when the value is UTC (parsed ones are)."""
    if value.tzinfo is UTC:
        return value.isoformat(" ", "microseconds")[:-6]  # drop "+00:00"
    return sqlite_text(value)


def payload_text(payload: dict[str, Any]) -> str:
    """How the store writes a payload (``PlainEvent`` builders take this as ``serialise``)."""
    return orjson.dumps(payload).decode()


def _sqlite_iso(iso: str) -> str:
    """``_sqlite_time`` of a UTC time from its ``isoformat`` text (with or without
    microseconds), without parsing or formatting it again."""
    if len(iso) == 32:  # YYYY-MM-DDTHH:MM:SS.ffffff+00:00
        return iso[:10] + " " + iso[11:26]
    return iso[:10] + " " + iso[11:19] + ".000000"


def event_rows(
    workspace_id: int,
    source_id: int,
    pairs: Sequence[tuple[Message | PlainEvent, int]],
    *,
    sqlite: bool,
    db_time: Callable[[datetime], Any],
) -> list[Row]:
    """Rows in ``EVENT_COLUMNS`` order for ``(message, identity_id)`` pairs."""
    blake2b = hashlib.blake2b
    dumps = orjson.dumps
    from_bytes = int.from_bytes
    received: dict[datetime, Any] = {}
    last_sent: datetime | None = None
    last_sent_text = ""
    rows: list[Row] = []
    append = rows.append
    for m, identity_id in pairs:
        received_at = received.get(m.received_at)
        if received_at is None:
            received_at = received[m.received_at] = db_time(m.received_at)
        if isinstance(m, PlainEvent):
            iso = m.original_iso
            if not sqlite:
                stamp: Any = m.timestamp
            elif iso is not None:
                stamp = _sqlite_iso(iso)
            else:
                stamp = _sqlite_time(m.timestamp)
            append(
                (workspace_id, source_id, m.dedup_ts, m.dedup_hash, m.message_id, identity_id,
                 m.type, m.event, stamp, received_at, m.payload_json, None)
            )  # fmt: skip
            continue
        original = m.original_timestamp
        sent = m.sent_at
        body: dict[str, Any] = {}
        if m.properties:
            body["properties"] = m.properties
        if m.traits:
            body["traits"] = m.traits
        if m.context:
            body["context"] = m.context
        if m.integrations:
            body["integrations"] = m.integrations
        if m.previous_id is not None:
            body["previousId"] = m.previous_id
        if m.group_id is not None:
            body["groupId"] = m.group_id
        if original is not None:
            body["originalTimestamp"] = original.isoformat()
        if sent is not None:
            if sent is not last_sent:
                last_sent, last_sent_text = sent, sent.isoformat()
            body["sentAt"] = last_sent_text
        kind = m.type
        digest = blake2b(m.message_id.encode(), digest_size=8).digest()
        append(
            (
                workspace_id,
                source_id,
                int(original.timestamp() * 1000) if original is not None else 0,
                from_bytes(digest, "big", signed=True),
                m.message_id,
                identity_id,
                kind,
                m.event if kind == "track" else m.name,
                _sqlite_time(m.timestamp) if sqlite else m.timestamp,
                received_at,
                dumps(body).decode(),
                ",".join(m.dropped_traits) if m.dropped_traits else None,
            )
        )
    return rows


ROW_WIDTH = len(EVENT_COLUMNS)
IDENTITY_AT = EVENT_COLUMNS.index("identity_id")
"""Where ``identity_id`` sits in a row: the one value a block's reader cannot know."""
DEDUP_AT = EVENT_COLUMNS.index("dedup_ts")
"""Where the dedup key sits: ``dedup_ts`` here, ``dedup_hash`` next to it."""
assert EVENT_COLUMNS[DEDUP_AT + 1] == "dedup_hash"
TIMESTAMP_AT = EVENT_COLUMNS.index("timestamp")
RECEIVED_AT = EVENT_COLUMNS.index("received_at")
"""Where the two times sit: on PostgreSQL the writer turns a block's into datetimes."""


@dataclass(slots=True)
class EventBlock:
    """A chunk of an import read and converted elsewhere (the reader process), in the shape
    that leaves its writer the least to do: its plain events as one flat list of row values
    without their identities, and what identity resolution needs of them, per distinct pair
    of ids rather than per event. Its other messages come as they are, with their place.

    :func:`event_block` builds it from what :func:`event_rows` would take; the writer
    (``SqlIngestStore``) stores exactly what it would have stored from the messages
    (tests/services/test_import_fast_equality.py writes the same chunks both ways and
    compares every row, and imports a simulated world through the reader process).
    """

    rows: list[Any]
    """``ROW_WIDTH`` values per plain event, ``identity_id`` ``None``. On PostgreSQL the
    ``timestamp`` is the original ``isoformat`` text (``None``: the receive time) and
    ``received_at`` is ``None``: the writer makes the datetimes (they pickle slowly)."""
    pair_of: list[int]
    """Per plain event, its index in :attr:`pairs`."""
    pairs: list[tuple[str | None, str | None]]
    """Distinct ``(anonymous_id, user_id)`` of the plain events, in order of appearance."""
    pair_at: list[int]
    """Per pair, the index of the plain event it first appears in."""
    messages: list[tuple[int, Message]]
    """Every other message, after how many plain events it came."""
    first: dict[tuple[str, str], bool]
    """``domain.identity.first_appearances`` of the whole chunk, in order."""
    received_at: datetime
    """When the plain events were received (an import's one time)."""

    def __len__(self) -> int:
        return len(self.pair_of) + len(self.messages)


def event_block(
    items: Sequence[Message | PlainEvent],
    workspace_id: int,
    source_id: int,
    received_at: datetime,
    *,
    sqlite: bool,
) -> EventBlock:
    """The :class:`EventBlock` of a chunk's converted items (all received at
    ``received_at``, as an import's are)."""
    first, _effects = first_appearances(items, ())
    rows: list[Any] = []
    extend = rows.extend
    pair_of: list[int] = []
    pairs: list[tuple[str | None, str | None]] = []
    pair_at: list[int] = []
    index: dict[tuple[str | None, str | None], int] = {}
    messages: list[tuple[int, Message]] = []
    received = _sqlite_time(received_at) if sqlite else None
    count = 0
    for m in items:
        if not isinstance(m, PlainEvent):
            messages.append((count, m))
            continue
        ids = (m.anonymous_id, m.user_id)
        at = index.get(ids)
        if at is None:
            at = index[ids] = len(pairs)
            pairs.append(ids)
            pair_at.append(count)
        pair_of.append(at)
        iso = m.original_iso
        if not sqlite:
            stamp: Any = iso
        elif iso is not None:
            stamp = _sqlite_iso(iso)
        else:
            stamp = received
        extend((workspace_id, source_id, m.dedup_ts, m.dedup_hash, m.message_id, None,
                m.type, m.event, stamp, received, m.payload_json, None))  # fmt: skip
        count += 1
    return EventBlock(rows, pair_of, pairs, pair_at, messages, first, received_at)
