"""The one-pass row builder stores exactly what the definitions say: ``Message.payload()``
serialised by orjson, ``dedup_key``, and ``db_time`` for the store's dialect."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine

from leadloop.domain.identity import dedup_key
from leadloop.domain.messages import BatchEnvelope, Message, parse_message
from leadloop.domain.plain_messages import plain_event
from leadloop.store.engine import db_time, sqlite_text
from leadloop.store.event_rows import event_rows, payload_text

ENGINES = {
    "sqlite": create_engine("sqlite://"),
    "postgresql": create_engine("postgresql+psycopg://127.0.0.1:5432/test"),  # never connects
}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False,
    allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
    max_size=3),
    max_leaves=8,
)  # fmt: skip
OBJECTS = st.dictionaries(st.text(max_size=5), JSON, max_size=3)
ZONES = st.sampled_from([UTC, UTC, timezone(timedelta(hours=2)), timezone.min])
TIMES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)
IDS = st.none() | st.text(min_size=1, max_size=8)


def message(draw: st.DrawFn, shared_sent: datetime | None, received: datetime) -> Message:
    kind = draw(st.sampled_from(["track", "page", "screen", "identify", "group", "alias"]))
    sent = draw(st.sampled_from([shared_sent, None]) | TIMES)
    return Message(
        type=kind,
        message_id=draw(st.text(min_size=1, max_size=12)),
        timestamp=draw(TIMES),
        received_at=draw(st.sampled_from([received]) | TIMES),
        anonymous_id=draw(IDS),
        user_id=draw(IDS),
        previous_id=draw(IDS),
        group_id=draw(IDS),
        event=draw(IDS),
        name=draw(IDS),
        properties=draw(OBJECTS),
        traits=draw(OBJECTS),
        dropped_traits=tuple(draw(st.lists(st.text(max_size=4), max_size=2))),
        context=draw(OBJECTS),
        integrations=draw(OBJECTS),
        original_timestamp=draw(st.none() | TIMES),
        sent_at=sent,
    )


@st.composite
def units(draw: st.DrawFn) -> list[tuple[Message, int]]:
    """A unit's messages, most sharing one ``sentAt`` and receive time as a batch does."""
    shared = draw(st.none() | TIMES)
    received = draw(TIMES)
    count = draw(st.integers(0, 6))
    return [(message(draw, shared, received), draw(st.integers(1, 2**40))) for _ in range(count)]


def reference_row(engine: Engine, m: Message, identity_id: int) -> tuple[Any, ...]:
    """The row as the write path built it before the one-pass builder."""
    ts, digest = dedup_key(m)
    sqlite = engine.dialect.name == "sqlite"
    return (
        7,
        3,
        ts,
        digest,
        m.message_id,
        identity_id,
        m.type,
        m.event if m.type == "track" else m.name,
        sqlite_text(m.timestamp) if sqlite else m.timestamp,
        db_time(engine, m.received_at),
        orjson.dumps(m.payload()).decode(),
        ",".join(m.dropped_traits) if m.dropped_traits else None,
    )


@settings(max_examples=300, deadline=None)
@given(pairs=units(), dialect=st.sampled_from(sorted(ENGINES)))
def test_rows_equal_the_definitions(pairs: list[tuple[Message, int]], dialect: str) -> None:
    engine = ENGINES[dialect]
    rows = event_rows(
        7,
        3,
        pairs,
        sqlite=dialect == "sqlite",
        db_time=lambda value: db_time(engine, value),
    )
    assert rows == [reference_row(engine, m, i) for m, i in pairs]


STAMPS = TIMES.map(lambda d: d.astimezone(UTC)).flatmap(
    lambda d: st.sampled_from(
        [d.isoformat(), f"{d.year:04d}-{d:%m-%dT%H:%M:%S}.{d.microsecond // 1000:03d}Z",
         f"{d.year:04d}-{d:%m-%dT%H:%M:%S}.000Z", f"{d.year:04d}-{d:%m-%dT%H:%M:%S}Z"]
    )
)  # fmt: skip
PLAIN_ID = st.text(
    st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), min_size=1, max_size=8
)
PLAIN = st.fixed_dictionaries(
    {"type": st.sampled_from(["track", "page", "screen"]), "messageId": PLAIN_ID,
     "event": st.sampled_from(["Viewed", "Downloaded"])},
    optional={"anonymousId": PLAIN_ID, "userId": st.just("u-1"),
              "name": PLAIN_ID, "timestamp": STAMPS, "properties": OBJECTS, "context": OBJECTS,
              "integrations": OBJECTS},
).filter(lambda raw: "anonymousId" in raw or "userId" in raw)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(raws=st.lists(PLAIN, max_size=5), dialect=st.sampled_from(sorted(ENGINES)))
def test_a_plain_event_gives_the_row_its_message_gives(
    raws: list[dict[str, Any]], dialect: str
) -> None:
    """The import's row-shaped lane (``PlainEvent``) against the definitions."""
    engine = ENGINES[dialect]
    received = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    envelope = BatchEnvelope(received)
    events = [plain_event(copy.deepcopy(raw), envelope, payload_text) for raw in raws]
    assert all(e is not None for e in events)
    rows = event_rows(
        7, 3, [(e, 40 + i) for i, e in enumerate(events) if e is not None],
        sqlite=dialect == "sqlite", db_time=lambda value: db_time(engine, value),
    )  # fmt: skip
    messages = [parse_message(raw, envelope) for raw in raws]
    assert rows == [reference_row(engine, m, 40 + i) for i, m in enumerate(messages)]
