"""The plain-message lane, fed what an import feeds it (no sentAt/receivedAt: the importer
reads those its own way), builds exactly the Message the general parser builds."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.domain.identity import dedup_key
from leadloop.domain.messages import BatchEnvelope, parse_message, parse_timestamp
from leadloop.domain.plain_messages import (
    _iso,
    is_valid_plain_message,
    parse_plain_message,
    plain_event,
)
from leadloop.errors import InvalidMessageError

RECEIVED = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
TEXT = st.text(max_size=4) | st.sampled_from(["", " x", "x ", "a\x00b", "\u3000y", "x" * 256])
GOOD_IDS = st.sampled_from(["u-1", "a-2", "m-3", "é"])
IDS = GOOD_IDS | st.none() | TEXT | st.integers(-2, 2) | st.booleans()
GOOD_STAMPS = st.sampled_from(["2025-01-01T00:53:25.256Z", "2025-06-30T23:59:59Z"])
STAMPS = (
    GOOD_STAMPS
    | st.none()
    | st.integers(-2, 2)
    | TEXT
    | st.sampled_from(
        [
            "2025-01-01T00:53:25.256+00:00",
            "2025-01-01T00:53:25.256+02:00",
            "2025-01-01T00:53:25.256",
            "2025-02-30T00:00:00Z",
            " 2025-01-01T00:53:25Z",
            "20250101T005325Z",
            "0001-01-01T00:00:00Z",
        ]
    )
    | st.datetimes(timezones=st.just(UTC) | st.none()).map(datetime.isoformat)
)
SCALAR = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | TEXT
OBJECTS = (
    st.dictionaries(st.sampled_from(["a", "traits", "ip", "url"]), SCALAR, max_size=2)
    | st.none()
    | SCALAR
    | st.lists(SCALAR, max_size=1)
)
PLAIN_TYPES = st.sampled_from(["track", "page", "screen"])
REQUIRED: dict[str, st.SearchStrategy[Any]] = {
    "type": PLAIN_TYPES | st.sampled_from(["identify", "group", "alias", "x", ""]) | st.none(),
    "messageId": GOOD_IDS | IDS,
    "anonymousId": GOOD_IDS | IDS,
    "timestamp": GOOD_STAMPS | STAMPS,
}
OPTIONAL: dict[str, st.SearchStrategy[Any]] = {
    "userId": GOOD_IDS | IDS,
    "event": GOOD_IDS | IDS | st.sampled_from(["Viewed", " Viewed", "Viewed\n"]),
    "name": GOOD_IDS | IDS,
    "properties": OBJECTS,
    "context": OBJECTS,
    "integrations": OBJECTS,
    "traits": OBJECTS,
    "previousId": IDS,
    "groupId": IDS,
    "sentAt": STAMPS,
    "receivedAt": STAMPS,
    "version": SCALAR,
}
MESSAGES = st.fixed_dictionaries(REQUIRED, optional=OPTIONAL)


def _general(raw: dict[str, Any]) -> Any:
    try:
        return parse_message(raw, BatchEnvelope(RECEIVED), new_id=lambda: "fresh-id")
    except InvalidMessageError as exc:
        return exc


def _assert_general_refuses(raw: dict[str, Any], exc: InvalidMessageError) -> None:
    """The lane refused ``raw``: the general parser must refuse it with the same words."""
    general = _general(copy.deepcopy(raw))
    assert isinstance(general, InvalidMessageError) and str(general) == str(exc)


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES)
def test_the_fast_lane_builds_what_the_general_parser_builds(raw: dict[str, Any]) -> None:
    if "sentAt" in raw or "receivedAt" in raw:
        return  # the importer never hands these to the lane
    try:
        fast = parse_plain_message(
            copy.deepcopy(raw), BatchEnvelope(RECEIVED), new_id=lambda: "fresh-id"
        )
    except InvalidMessageError as exc:
        _assert_general_refuses(raw, exc)
        return
    if fast is None:
        return
    general = _general(copy.deepcopy(raw))
    assert fast == general
    assert orjson.dumps(fast.payload()) == orjson.dumps(general.payload())
    assert dedup_key(fast) == dedup_key(general)


def _plain(**extra: Any) -> dict[str, Any]:
    base = {
        "type": "page",
        "messageId": "059e70e4",
        "timestamp": "2025-01-01T00:53:25.256Z",
        "anonymousId": "08974aa4",
        "name": "Hybrid work",
        "properties": {"url": "https://example.com/a", "percent": 25},
        "context": {"library": {"name": "analytics.js"}},
    }
    return {**base, **extra}


def test_the_simulators_page_track_and_screen_views_take_the_fast_lane() -> None:
    for raw in (
        _plain(),
        _plain(type="screen", userId="u-1"),
        _plain(type="track", event="Video Progress", name=None),
        _plain(properties=None, context={}, integrations={"All": True}),
    ):
        fast = parse_plain_message(copy.deepcopy(raw), BatchEnvelope(RECEIVED))
        assert fast is not None
        assert fast == parse_message(raw, BatchEnvelope(RECEIVED))


ENVELOPES = st.builds(
    BatchEnvelope,
    st.just(RECEIVED),
    st.none() | PLAIN_TYPES | st.just("identify"),
    st.none()
    | st.sampled_from([datetime(2025, 1, 1, 0, 54, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)]),
    st.none() | st.sampled_from([{"traits": {"a": 1}}, {"library": {"name": "x"}}, {}]),
    st.none() | st.just({"All": True}),
    st.none() | st.just("203.0.113.5"),
)


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES, ENVELOPES)
def test_a_message_the_verdict_calls_valid_is_one_both_parsers_accept(
    raw: dict[str, Any], envelope: BatchEnvelope
) -> None:
    """The ingest inbox answers with this verdict and parses later: a message it counts as
    accepted must never turn out rejected (a False only means "ask the parsers")."""
    if not is_valid_plain_message(copy.deepcopy(raw), envelope):
        return
    fast = parse_plain_message(copy.deepcopy(raw), envelope, new_id=lambda: "fresh-id")
    assert fast is not None
    assert fast == parse_message(copy.deepcopy(raw), envelope, new_id=lambda: "fresh-id")


@given(ENVELOPES)
def test_the_verdict_knows_the_common_message_valid(envelope: BatchEnvelope) -> None:
    raw = _plain(context={"page": {"url": "https://acme.example/wp"}})
    known = is_valid_plain_message(raw, envelope)
    has_traits = envelope.context is not None and "traits" in envelope.context
    assert known == (envelope.implied_type in (None, "page", "screen") and not has_traits)


# --- plain_event: the same message, already in the shape of its row ----------------------

MS_STAMPS = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda d: f"{d.year:04d}-" + d.strftime("%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"
)
DICTS = st.dictionaries(st.sampled_from(["a", "url", "é"]), SCALAR, max_size=2) | st.none()
ROW_MESSAGES = st.fixed_dictionaries(
    {"type": PLAIN_TYPES, "anonymousId": GOOD_IDS, "timestamp": MS_STAMPS | STAMPS},
    optional={
        "messageId": GOOD_IDS | st.just(""),
        "userId": GOOD_IDS,
        "event": GOOD_IDS | st.sampled_from([" Viewed", "Viewed\n"]),
        "name": GOOD_IDS | IDS,
        "properties": DICTS,
        "context": DICTS,
        "integrations": DICTS,
    },
) | st.fixed_dictionaries({**REQUIRED, "timestamp": MS_STAMPS | STAMPS}, optional=OPTIONAL)
ROW_ENVELOPES = st.just(BatchEnvelope(RECEIVED)) | ENVELOPES


def _text(payload: dict[str, Any]) -> str:
    return orjson.dumps(payload).decode()


def _as_row(message: Any) -> tuple[Any, ...]:
    """What a PlainEvent carries, from the Message the parsers build."""
    original = message.original_timestamp
    return (
        message.type,
        message.message_id,
        message.anonymous_id,
        message.user_id,
        message.event if message.type == "track" else message.name,
        message.timestamp,
        message.received_at,
        original.isoformat() if original is not None else None,
        *dedup_key(message),
        _text(message.payload()),
    )


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(ROW_MESSAGES, ROW_ENVELOPES)
def test_plain_event_holds_what_the_parsed_message_holds(
    raw: dict[str, Any], envelope: BatchEnvelope
) -> None:
    try:
        event = plain_event(copy.deepcopy(raw), envelope, _text, new_id=lambda: "fresh-id")
    except InvalidMessageError as exc:
        _assert_general_refuses(raw, exc)
        return
    if event is None:
        return
    assert "sentAt" not in raw or raw["sentAt"] is None
    message = parse_message(copy.deepcopy(raw), envelope, new_id=lambda: "fresh-id")
    fields = (
        event.type, event.message_id, event.anonymous_id, event.user_id, event.event,
        event.timestamp, event.received_at, event.original_iso, event.dedup_ts,
        event.dedup_hash, event.payload_json,
    )  # fmt: skip
    assert fields == _as_row(message)


def test_plain_event_takes_the_simulators_lines_and_leaves_the_rest() -> None:
    envelope = BatchEnvelope(RECEIVED)
    for raw in (_plain(), _plain(type="track", event="Video Progress", name=None)):
        assert plain_event(copy.deepcopy(raw), envelope, _text) is not None
    for raw in (_plain(sentAt="2025-01-01T00:54:00Z"), _plain(type="identify"), _plain(traits={})):
        assert plain_event(raw, envelope, _text) is None
    assert plain_event(_plain(), BatchEnvelope(RECEIVED, ip="203.0.113.5"), _text) is None


@given(MS_STAMPS, st.integers(0, 23), st.sampled_from("0123456789٣ +-:.TZz"), st.booleans())
def test_the_cheap_isoformat_is_isoformat(stamp: str, at: int, char: str, mutate: bool) -> None:
    """``_iso`` reads the common form off the text; anything ``fromisoformat`` accepts in
    that shape (or one character off it) must come out as ``isoformat`` writes it."""
    chars = list(stamp)
    if mutate:
        chars[at] = char
    text = "".join(chars)
    try:
        parsed = parse_timestamp(text, "timestamp")
    except InvalidMessageError:
        return
    assert parsed is not None
    assert _iso(parsed, text) == parsed.isoformat()
