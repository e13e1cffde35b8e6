"""Properties of the message parser, over any JSON a client could send."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leadloop.domain.identity import dedup_key
from leadloop.domain.messages import (
    MESSAGE_TYPES,
    BatchEnvelope,
    Message,
    corrected_timestamp,
    parse_message,
)
from leadloop.domain.plain_messages import parse_plain_message
from leadloop.domain.traits import ALLOWED_ACCOUNT_TRAITS, ALLOWED_PERSON_TRAITS
from leadloop.errors import InvalidMessageError

INT64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what a JSON parser yields
FLOATS = st.floats(allow_nan=False, allow_infinity=False)  # JSON has neither
JSON_SCALARS = st.none() | st.booleans() | INT64 | FLOATS | st.text()
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)

OFFSETS = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
EDGES = st.datetimes(max_value=datetime(1, 1, 2)) | st.datetimes(min_value=datetime(9999, 12, 30))
ANY_TIME = st.datetimes(timezones=OFFSETS | st.none()) | EDGES.flatmap(
    lambda d: OFFSETS.map(lambda tz: d.replace(tzinfo=tz))
)
TIME_TEXT = ANY_TIME.map(lambda d: d.isoformat()) | st.text(max_size=30) | JSON_SCALARS
TRAIT_NAMES = st.sampled_from(
    [*sorted(ALLOWED_PERSON_TRAITS | ALLOWED_ACCOUNT_TRAITS), "phone", "title", "company", ""]
) | st.text(max_size=8)
TRAITS = st.dictionaries(TRAIT_NAMES, JSON, max_size=6)
IDS = st.none() | st.just("") | st.text(max_size=8) | INT64 | st.text(min_size=250, max_size=260)

SEGMENTISH = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from([*MESSAGE_TYPES, "click", ""]) | JSON_SCALARS,
        "messageId": IDS,
        "anonymousId": IDS,
        "userId": IDS,
        "previousId": IDS,
        "groupId": IDS,
        "event": st.text(max_size=10) | JSON_SCALARS,
        "name": st.text(max_size=10) | JSON_SCALARS,
        "properties": st.dictionaries(st.text(max_size=5), JSON, max_size=3) | JSON_SCALARS,
        "traits": TRAITS | JSON_SCALARS,
        "context": st.fixed_dictionaries(
            {}, optional={"traits": TRAITS | JSON, "ip": st.text(max_size=8), "x": JSON}
        )
        | JSON,
        "integrations": st.dictionaries(st.text(max_size=5), JSON, max_size=2) | JSON_SCALARS,
        "timestamp": TIME_TEXT,
        "sentAt": TIME_TEXT,
    },
)

ENVELOPES = st.builds(
    BatchEnvelope,
    received_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    implied_type=st.none() | st.sampled_from(MESSAGE_TYPES),
    sent_at=st.none() | ANY_TIME.map(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC)),
    context=st.none() | st.dictionaries(st.sampled_from(["locale", "traits", "ip"]), JSON),
    integrations=st.none() | st.dictionaries(st.text(max_size=5), JSON, max_size=2),
    ip=st.none() | st.just("203.0.113.7"),
)


def _check_message(msg: Message, raw: dict[str, Any], env: BatchEnvelope) -> None:
    assert msg.type in MESSAGE_TYPES
    if env.implied_type is not None:
        assert msg.type == env.implied_type
    assert msg.message_id and len(msg.message_id) <= 255
    assert msg.timestamp.tzinfo is not None and msg.timestamp.utcoffset() == timedelta(0)
    assert msg.received_at == env.received_at
    if msg.type == "alias":
        assert msg.user_id and msg.previous_id
    else:
        assert msg.user_id or msg.anonymous_id
        assert msg.identity_key[1] in (msg.user_id, msg.anonymous_id)
    allowed = ALLOWED_ACCOUNT_TRAITS if msg.type == "group" else ALLOWED_PERSON_TRAITS
    assert set(msg.traits) <= allowed
    ctx_traits = msg.context.get("traits", {})
    assert isinstance(ctx_traits, dict) and set(ctx_traits) <= ALLOWED_PERSON_TRAITS
    assert list(msg.dropped_traits) == sorted(set(msg.dropped_traits))
    assert not set(msg.dropped_traits) & set(msg.traits)
    raw_traits = raw.get("traits") if isinstance(raw.get("traits"), dict) else {}
    for name in raw_traits:
        assert (name in msg.traits) != (name in msg.dropped_traits)
    if env.ip and "ip" not in (raw.get("context") or {}) and "ip" not in (env.context or {}):
        assert msg.context["ip"] == env.ip
    # What is stored must serialise as strict JSON, and the dedup key must be computable.
    json.dumps(msg.payload(), allow_nan=False)
    ms, digest = dedup_key(msg)
    assert -(2**63) <= digest < 2**63 and isinstance(ms, int)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=SEGMENTISH | JSON, env=ENVELOPES)
def test_any_json_is_a_message_or_an_invalid_message_error(raw: Any, env: BatchEnvelope) -> None:
    before = copy.deepcopy(raw)
    try:
        msg = parse_message(raw, env)
    except InvalidMessageError as exc:
        assert exc.message  # a reason a developer can act on
    else:
        _check_message(msg, raw, env)
    assert raw == before  # the parser never mutates what it was given


@settings(max_examples=300, deadline=None)
@given(
    timestamps=st.fixed_dictionaries({}, optional={"timestamp": TIME_TEXT, "sentAt": TIME_TEXT}),
    env=ENVELOPES.map(lambda e: dataclasses.replace(e, implied_type=None, context=None)),
)
def test_any_device_times_are_corrected_or_rejected(
    timestamps: dict[str, Any], env: BatchEnvelope
) -> None:
    raw = {"type": "track", "event": "E", "anonymousId": "a", **timestamps}
    try:
        msg = parse_message(raw, env)
    except InvalidMessageError as exc:
        assert exc.detail["field"] in ("timestamp", "sentAt")
    else:
        _check_message(msg, raw, env)


@given(
    received=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    sent=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1)),
    lag=st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=30)),
)
def test_skew_correction_keeps_the_device_measured_delay(
    received: datetime, sent: datetime, lag: timedelta
) -> None:
    received, sent = received.replace(tzinfo=UTC), sent.replace(tzinfo=UTC)
    original = sent - lag
    msg = parse_message(
        {
            "type": "track",
            "event": "E",
            "anonymousId": "a",
            "timestamp": original.isoformat(),
            "sentAt": sent.isoformat(),
        },
        BatchEnvelope(received),
    )
    assert msg.timestamp == corrected_timestamp(received, sent, original)
    assert received - msg.timestamp == lag  # the device clock's offset drops out


@given(raw=SEGMENTISH, env=ENVELOPES)
def test_dedup_key_is_stable_for_a_resent_message(raw: dict[str, Any], env: BatchEnvelope) -> None:
    raw = {**raw, "messageId": "m-1"}
    later = BatchEnvelope(env.received_at + timedelta(minutes=5), env.implied_type)
    try:
        first = parse_message(raw, env)
        again = parse_message(raw, later)
    except InvalidMessageError:
        return
    assert dedup_key(first) == dedup_key(again)


# The one-pass parser for plain messages must agree with parse_message everywhere it answers.
# Examples: a plain message with zero to two fields swapped for an odd value, so most of them
# reach the end of the fast path and the rest probe each of its edges.
GOOD_ID = st.text(min_size=1, max_size=8).filter(lambda s: "\x00" not in s)
ODD_ID = st.sampled_from(["", " ", "a\x00b", "x" * 255, "x" * 256]) | IDS
ISO = ANY_TIME.map(lambda d: d.isoformat())
PLAIN = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["track", "page", "screen"]),
        "anonymousId": GOOD_ID,
        "event": st.sampled_from(["Viewed", " Viewed "]) | GOOD_ID,
        "timestamp": ISO,
    },
    optional={
        "userId": GOOD_ID,
        "messageId": GOOD_ID,
        "name": GOOD_ID,
        "properties": st.dictionaries(st.text(max_size=5), JSON, max_size=3),
        "context": st.fixed_dictionaries({}, optional={"ip": st.text(max_size=8), "x": JSON}),
        "integrations": st.dictionaries(st.text(max_size=5), JSON, max_size=2),
        "sentAt": ISO,
    },
)
ODD_FIELDS = {
    "type": st.sampled_from([*MESSAGE_TYPES, "x"]) | JSON_SCALARS | st.lists(JSON, max_size=1),
    "anonymousId": ODD_ID,
    "userId": ODD_ID,
    "messageId": ODD_ID,
    "previousId": ODD_ID,
    "groupId": ODD_ID,
    "traits": st.just({}) | TRAITS | JSON_SCALARS,
    "event": st.sampled_from(["", "  ", "e\x00", "e" * 255, " " + "e" * 255, "e" * 256]) | JSON,
    "name": st.sampled_from(["", "n\x00", "n" * 255, "n" * 256]) | JSON_SCALARS,
    "properties": st.just({}) | JSON_SCALARS | st.lists(JSON, max_size=1),
    "context": st.fixed_dictionaries({"traits": TRAITS | JSON}) | JSON_SCALARS,
    "integrations": JSON_SCALARS,
    "timestamp": TIME_TEXT,
    "sentAt": TIME_TEXT,
}
ODD_FIELD = st.sampled_from(sorted(ODD_FIELDS)).flatmap(
    lambda k: st.tuples(st.just(k), ODD_FIELDS[k] | st.none())
)
PLAINISH = st.builds(
    lambda base, odd: {**base, **dict(odd)}, PLAIN, st.lists(ODD_FIELD, max_size=2)
)
PLAIN_ENVELOPES = st.builds(
    BatchEnvelope,
    received_at=ENVELOPES.map(lambda e: e.received_at),
    implied_type=st.none() | st.sampled_from(["track", "page", "screen", "identify"]),
    sent_at=st.none() | ANY_TIME.map(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC)),
    context=st.none() | st.just({}) | st.dictionaries(st.sampled_from(["locale", "ip"]), JSON),
    integrations=st.none() | st.dictionaries(st.text(max_size=5), JSON, max_size=2),
    ip=st.none() | st.just("203.0.113.7"),
)


def _outcome(parse: Any, raw: Any, env: BatchEnvelope) -> Any:
    try:
        return parse(raw, env, new_id=lambda: "generated-id")
    except InvalidMessageError as exc:
        return ("error", exc.message, exc.detail)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=PLAINISH | SEGMENTISH | JSON, env=PLAIN_ENVELOPES | ENVELOPES)
def test_plain_parser_answers_as_parse_message_does(raw: Any, env: BatchEnvelope) -> None:
    before = copy.deepcopy(raw)
    fast = _outcome(parse_plain_message, raw, env)
    assert raw == before
    event("plain" if isinstance(fast, Message) else "error" if fast else "not plain")
    if fast is not None:
        assert fast == _outcome(parse_message, raw, env)


def test_plain_parser_takes_the_live_shapes() -> None:
    """The fast path is the common path: library track and page calls are plain."""
    env = BatchEnvelope(datetime(2026, 12, 1, tzinfo=UTC), ip="203.0.113.7")
    track = {
        "type": "track",
        "event": "Content Engaged",
        "messageId": "m-1",
        "anonymousId": "anon-1",
        "timestamp": "2026-12-01T10:00:00.123Z",
        "properties": {"asset_id": "wp-1", "read_depth": 80},
        "context": {"library": {"name": "analytics-python"}},
    }
    page = {"type": "page", "name": "Home", "userId": "u-1", "anonymousId": "a-1"}
    for raw in (track, page):
        fast = parse_plain_message(raw, env, new_id=lambda: "id")
        assert fast is not None and fast == parse_message(raw, env, new_id=lambda: "id")


EDGE_VALUES: list[Any] = [
    None, "", " ", "a\x00b", "x" * 255, "x" * 256, " " + "x" * 255, 7, True, 1.5, [], {},
    {"traits": {"phone": "1"}}, {"ip": "1.2.3.4"},
]  # fmt: skip
EDGE_FIELDS = [
    "type", "anonymousId", "userId", "messageId", "previousId", "groupId", "traits", "event",
    "name", "properties", "context", "integrations", "timestamp", "sentAt",
]  # fmt: skip


def test_plain_parser_edges_one_field_at_a_time() -> None:
    """Every edge value in every field of every plain type, with and without envelope help."""
    base = {"anonymousId": "a", "event": "E", "name": "N", "timestamp": "2026-12-01T10:00:00Z"}
    envelopes = [
        BatchEnvelope(datetime(2026, 12, 1, 10, 5, tzinfo=UTC)),
        BatchEnvelope(
            datetime(2026, 12, 1, 10, 5, tzinfo=UTC),
            sent_at=datetime(2026, 12, 1, 10, 1, tzinfo=UTC),
            context={"locale": "en"},
            integrations={"All": True},
            ip="203.0.113.7",
        ),
    ]
    checked = 0
    for kind in ("track", "page", "screen"):
        for name in EDGE_FIELDS:
            for value in EDGE_VALUES:
                raw = {**base, "type": kind, name: value}
                for env in envelopes:
                    fast = _outcome(parse_plain_message, raw, env)
                    if fast is not None:
                        assert fast == _outcome(parse_message, raw, env), (kind, name, value)
                        checked += 1
    assert checked > 400  # most edges are answered by the fast path, not passed on
